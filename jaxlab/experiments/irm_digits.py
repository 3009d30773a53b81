"""IRM on Colored Digits: ERM, IRMv1, V-REx, GroupDRO and a grayscale oracle.

The IRM Colored-MNIST recipe (Arjovsky et al. 2019: MLP, 501 full-batch
Adam steps, penalty annealed in at step 190, lambda ~ 9e4) on the 8x8 digits
that scikit-learn ships, or on real MNIST through tfds. The oracle sees the
grayscale image (no colour) and, as in the IRM script, uses the IRM
objective. Label noise and colours are redrawn every step (see
`jaxlab.data.colored_digits`). Train accuracy is measured on a fresh draw of
the training environments, test accuracy on held-out digits coloured with
e = 0.9.
"""
from __future__ import annotations

import jax
from tqdm.auto import tqdm

from jaxlab.data import colored_digits as cd
from jaxlab.experiments import _invariance as inv
from jaxlab.experiments import common
from jaxlab.models.classifiers import MLPClassifier, MLPConfig
from jaxlab.objectives import irm

PAPER = "pirm"
DESCRIPTION = "IRM Colored Digits: ERM vs IRMv1 vs V-REx vs GroupDRO vs grayscale oracle"
METHODS = ("erm", "irm", "vrex", "groupdro", "oracle")
# IRM repository (reproduce_paper_results_output.txt), Colored MNIST test acc.
REFERENCE_TEST = {"erm": 0.171, "irm": 0.669, "oracle": 0.730}


def objective(method: str, config) -> irm.Invariance:
  """The `Invariance` spec of a method under this config."""
  if method == "erm":
    return irm.Invariance("erm")
  if method in ("irm", "oracle"):
    return irm.Invariance("irm", penalty_weight=config.irm_lambda,
                          anneal_step=config.anneal_step,
                          unbiased=config.unbiased)
  if method == "vrex":
    return irm.Invariance("vrex", penalty_weight=config.vrex_lambda,
                          anneal_step=config.anneal_step)
  if method == "groupdro":
    return irm.Invariance("groupdro", dro_eta=config.dro_eta)
  raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def run_one(config, workdir: str, method: str, seed: int, pools, devices: int):
  """Trains one method with one seed; returns its train/test metrics."""
  (train_x, train_d), (test_x, test_d) = pools
  train_envs, test_envs = cd.irm_envs(config.train_flips, config.test_flips)
  data = cd.ColoredDigits(train_x, train_d, train_envs,
                          label_noise=config.label_noise, seed=seed,
                          redraw=config.redraw, multiple_of=devices)
  model = MLPClassifier(MLPConfig((config.hidden, config.hidden),
                                  grayscale=method == "oracle"))
  params = inv.train_classifier(
      inv.subrun_dir(workdir, f"{method}_seed{seed}"), model,
      objective(method, config), data, len(train_envs), data.batch(0)["x"][:1],
      inv.TrainSpec(config.steps, config.lr, config.l2, seed))
  test = cd.ColoredDigits(test_x, test_d, test_envs,
                          label_noise=config.label_noise, seed=10_000 + seed,
                          redraw=False)
  train_m = inv.evaluate(model, params, data.batch(config.steps), data.env_names)
  test_m = inv.evaluate(model, params, test.batch(0), test.env_names)
  return {"train_acc": train_m["acc_mean"], "test_acc": test_m["acc_mean"],
          **{f"train/{k}": v for k, v in train_m.items()},
          **{f"test/{k}": v for k, v in test_m.items()}}


def run(config, workdir: str) -> dict:
  pools = cd.load_pool(config.pool, config.test_fraction, seed=0,
                       limit=config.pool_limit or None)
  devices = jax.device_count()
  runs = [(m, s) for m in config.methods for s in range(config.seeds)]
  per_method: dict[str, list[dict]] = {m: [] for m in config.methods}
  for method, seed in tqdm(runs, desc="irm_digits"):
    per_method[method].append(common.cached(
        workdir, f"{method}_seed{seed}",
        lambda: run_one(config, workdir, method, seed, pools, devices)))
  samples = {}
  for method, rows in per_method.items():
    for key in ("train_acc", "test_acc"):
      samples[f"{key}/{method}"] = [r[key] for r in rows]
  results = common.mean_std(samples)
  _figure(results, config.methods, workdir)
  return common.write_results(workdir, "irm_digits", results, config)


def _figure(results, methods, workdir):
  common.figure_backend()
  series = {split: ([results[f"{split}_acc/{m}"] for m in methods],
                    [results[f"{split}_acc/{m}_std"] for m in methods])
            for split in ("train", "test")}
  series["test (IRM paper, MNIST)"] = (
      [REFERENCE_TEST.get(m, float("nan")) for m in methods], [0.0] * len(methods))
  fig = inv.bar_figure(list(methods), series, "accuracy",
                       "Colored Digits: train (e=0.1/0.2) vs test (e=0.9)",
                       hline=0.75)
  common.save_figure(fig, workdir, "irm_digits")


def summarize(results: dict) -> str:
  get = lambda k: results.get(f"test_acc/{k}", float("nan"))
  ordered = get("erm") < get("irm") <= get("oracle") + 0.05
  return (
      "IRM (Arjovsky et al. 2019) claims that penalising the gradient of each "
      "environment's risk with respect to a dummy classifier scale removes a "
      "spurious colour cue that ERM relies on; the IRM code reports Colored "
      "MNIST test accuracy ERM 17.1 %, IRM 66.9 %, grayscale oracle 73.0 %. "
      f"On the bundled 8x8 digits this miniature measured test accuracy ERM "
      f"{get('erm'):.1%}, IRMv1 {get('irm'):.1%}, V-REx {get('vrex'):.1%}, "
      f"GroupDRO {get('groupdro'):.1%} and oracle {get('oracle'):.1%}: the "
      f"paper's ordering ERM << IRM ~ oracle {'holds' if ordered else 'does not hold'}. "
      + ("GroupDRO, which only reweights environments, kept the colour cue "
         "(both training environments favour it). " if get("groupdro") < 0.5 else "")
      + "One deviation from the IRM recipe was needed on the small digit "
      "set: label noise and colours are redrawn every step; with one fixed "
      "draw the MLP memorises the noisy labels and the penalty vanishes.")
