"""Tree search: branches equal decoding from scratch, both cache layouts
agree, budgets are exact on a hand-checked tree, memory, selection."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlab.models.transformer import Transformer, TransformerConfig, init_params
from jaxlab.sampling import select, signals, strategies as S, tree

CFG = TransformerConfig(vocab_size=11, d_model=16, num_layers=1, num_heads=2,
                        num_kv_heads=1, max_len=32)
MODEL = Transformer(CFG)
PARAMS = init_params(CFG, jax.random.PRNGKey(0))
PROMPTS = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
LENS = np.array([3, 5])
LEVELS = (tree.Level(branching=3, new_tokens=2, keep=2), tree.Level(branching=2, new_tokens=3))
VERIFIER = signals.Verifier(query_tokens=(9,), verify_token=10)


def _search(share, **kw):
  return tree.tree_search(MODEL, PARAMS, PROMPTS, LENS, LEVELS, S.Temperature(1.0),
                          jax.random.PRNGKey(3), signal=signals.by_name("ent+sr"),
                          verifier=VERIFIER, share_prefix=share, **kw)


@pytest.fixture(scope="module")
def trees():
  out = {share: _search(share) for share in (True, False)}
  out["segmented"] = _search(True, segment_tokens=2)   # level 2 (3 tokens) -> 2 + 1
  return out


def test_branches_equal_decoding_their_prefix_from_scratch(trees):
  r = trees[True]
  assert r.tokens_BxKxT.shape == (2, 4, 5)
  rows = [np.concatenate([p[:l], t]) for p, l in zip(PROMPTS, LENS)
          for t in np.asarray(r.tokens_BxKxT[PROMPTS.tolist().index(p.tolist())])]
  seq = np.stack([np.pad(x, (0, 10 - len(x))) for x in rows])
  logp = jax.nn.log_softmax(MODEL.apply({"params": PARAMS}, jnp.asarray(seq)), -1)
  for i, (l, toks) in enumerate(zip(np.repeat(LENS, 4), r.tokens_BxKxT.reshape(8, 5))):
    ref = logp[i, l - 1 + np.arange(5), toks]
    np.testing.assert_allclose(r.logprobs_BxKxT.reshape(8, 5)[i], ref, atol=1e-5)
  # The self-reward of a leaf is the full pass's log p(verify | path + query).
  query_seq = np.concatenate([rows[0], [9]])[None]
  sr = jax.nn.log_softmax(MODEL.apply({"params": PARAMS}, jnp.asarray(query_seq)), -1)[0, -1, 10]
  ent = -np.mean(np.asarray(r.entropies_BxKxT[0, 0]))
  np.testing.assert_allclose(r.scores_BxK[0, 0], sr + ent, atol=1e-5)
  assert (np.diff(np.asarray(r.scores_BxK), axis=1) <= 0).all()   # best first


@pytest.mark.parametrize("layout", [True, "segmented"])
def test_shared_prefix_and_gathered_caches_agree(trees, layout):
  a, b = trees[layout], trees[False]
  np.testing.assert_array_equal(a.tokens_BxKxT, b.tokens_BxKxT)
  np.testing.assert_allclose(a.logprobs_BxKxT, b.logprobs_BxKxT, atol=1e-5)
  np.testing.assert_allclose(a.scores_BxK, b.scores_BxK, atol=1e-5)
  np.testing.assert_array_equal(a.generated_tokens_B, b.generated_tokens_B)


def test_budget_accounting_on_a_hand_checked_tree(trees):
  r = trees[True]
  # level 1: 3 children x 2 tokens; level 2: 2 kept x 2 children x 3 tokens
  assert tree.token_budget(LEVELS) == 3 * 2 + 4 * 3 == 18
  np.testing.assert_array_equal(r.generated_tokens_B, [18, 18])
  assert r.forward_calls == 1 + 2 + 3 + 2           # prefill, tokens, 2 verifier queries
  assert r.row_forwards == 2 * 5 + 2 * 3 * (2 + 1) + 2 * 4 * (3 + 1)
  # Every token stops a row: each level-1 child emits one token, level 2 none.
  stopped = _search(True, stop_tokens=tuple(range(11)), pad_id=0)
  np.testing.assert_array_equal(stopped.generated_tokens_B, [3, 3])
  assert int(stopped.mask_BxKxT.sum()) == 2 * 4 * 1


def test_shared_prefix_memory_grows_with_distinct_tokens(trees):
  slot = 2 * CFG.num_layers * CFG.num_kv_heads * CFG.head_dim * 4
  # gathered: every leaf holds prompt + all tokens (+1 query slot)
  assert trees[False].cache_bytes == 2 * 4 * (5 + 5 + 1) * slot
  # shared: 2 kept prefixes of 5 + 2 + 1 slots, 4 suffixes of 3 + 1 slots
  assert trees[True].cache_bytes == 2 * (2 * 8 + 4 * 4) * slot
  # segmented: after the first 2-token segment each of the 4 children owns a
  # joined prefix of 8 + 2 slots, plus its last suffix of 1 + 1 slots
  assert trees["segmented"].cache_bytes == 2 * (4 * 10 + 4 * 2) * slot
  deep = (tree.Level(4, 64, 1), tree.Level(16, 8))
  shared = tree._static_costs(MODEL, deep, 1, 512, 0, True)[2]
  gathered = tree._static_costs(MODEL, deep, 1, 512, 0, False)[2]
  assert gathered > 10 * shared


def test_selection_rules():
  answers = np.array([[3, 5, 5, -1], [2, 7, 2, 7], [-1, -1, -1, -1]])
  np.testing.assert_array_equal(select.majority_vote(answers), [5, 2, -1])
  np.testing.assert_array_equal(select.pass_at_k(answers, np.array([3, 1, 0])),
                                [True, False, False])
  scores = np.array([[0., 1., 2., 3.], [5., 0., 0., 0.], [0., 0., 0., 1.]])
  np.testing.assert_array_equal(select.best_of(answers, scores), [-1, 2, -1])


@pytest.mark.parametrize("make, match", [
    (lambda: tree.Level(branching=0, new_tokens=2), "branching factor"),
    (lambda: tree.level_widths([tree.Level(2, 2, keep=3)]), "keep=3"),
    (lambda: signals.self_reward(signals.PathStats(
        jnp.zeros((1, 1)), jnp.zeros((1, 1)), jnp.ones((1, 1), bool))), "Verifier"),
    (lambda: signals.by_name("vibes"), "unknown signal"),
])
def test_bad_settings_raise(make, match):
  with pytest.raises(ValueError, match=match):
    make()


def test_level_history_follows_each_leaf(trees):
  r = trees[True]
  assert r.level_scores_BxKxL.shape == r.level_self_rewards_BxKxL.shape == (2, 4, 2)
  np.testing.assert_allclose(r.level_scores_BxKxL[..., -1], r.scores_BxK)
  # The level-1 score is the signal of the leaf's first two tokens.
  prefix = signals.PathStats(r.logprobs_BxKxT[..., :2], r.entropies_BxKxT[..., :2],
                             r.mask_BxKxT[..., :2], r.level_self_rewards_BxKxL[..., 0])
  np.testing.assert_allclose(r.level_scores_BxKxL[..., 0],
                             signals.by_name("ent+sr")(prefix), atol=1e-5)
  # The 4 leaves are 2 kept level-1 parents x 2 children: ancestors come in pairs.
  parents = np.sort(np.asarray(r.level_self_rewards_BxKxL[..., 0]), 1)
  np.testing.assert_array_equal(parents[:, 0::2], parents[:, 1::2])
  assert (parents[:, 1] != parents[:, 2]).all()
