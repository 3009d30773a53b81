"""Settings shared by the Colored Digits invariance experiments (irm_digits,
pirm_partitions, pirm_fairness) and the IRM benchmark: the environment
construction and the IRM reference recipe (the hyperparameters of the IRM
code's reproduce_paper_results.sh), kept in one place so they cannot drift."""
import ml_collections

IRM_LR = 4.898536566546834e-4
IRM_L2 = 0.00110794568
IRM_LAMBDA = 91257.18613115903
IRM_ANNEAL_STEP = 190
IRM_STEPS = 501


def colored_digits_config() -> ml_collections.ConfigDict:
  """The data and optimiser settings every Colored Digits experiment starts from."""
  c = ml_collections.ConfigDict()
  c.pool = "sklearn"           # sklearn (bundled 8x8 digits) | mnist (tfds)
  c.pool_limit = 0             # cap on MNIST images per split (0 = all)
  c.test_fraction = 0.3
  c.label_noise = 0.25
  c.train_flips = (0.1, 0.2)
  c.steps = IRM_STEPS
  c.lr = IRM_LR
  c.l2 = IRM_L2
  c.anneal_step = IRM_ANNEAL_STEP
  return c
