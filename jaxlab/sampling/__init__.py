"""The sampling engine: KV-cached decoding as one `lax.scan`, strategies,
trees of continuations with budget accounting, signals and diversity profiles.

Public API:

- `generate(model, params, prompts_BxP, prompt_lengths_B, strategy,
  max_new_tokens, rng)` -> `Generation` (tokens ``[B, N]``, per-token
  log-probs and entropies, mask, done, cache);
- `tree_search(model, params, prompts, lengths, levels, strategy, rng,
  signal=..., verifier=...)` -> `TreeResult` (leaves and their budget);
  `parallel_sample` is its one-level case;
- `diversity_profile(approach_PxN, answer_PxN, correct_PxN, num_approaches)`.
"""
from jaxlab.sampling.decode import Generation, generate
from jaxlab.sampling.diversity import DiversityProfile, diversity_profile
from jaxlab.sampling.signals import PathStats, Verifier
from jaxlab.sampling.strategies import Greedy, MinP, Temperature, TopK, TopP
from jaxlab.sampling.tree import Level, TreeResult, parallel_sample, tree_search, token_budget

__all__ = ["Generation", "generate", "DiversityProfile", "diversity_profile",
           "PathStats", "Verifier", "Greedy", "MinP", "Temperature", "TopK",
           "TopP", "Level", "TreeResult", "parallel_sample", "tree_search",
           "token_budget"]
