"""Diversity profile: a hand-computed case, the decomposition identity, labels."""
import numpy as np
import pytest

from jaxlab.sampling import diversity as D

LN2 = np.log(2.0)


def test_hand_computed_profile():
  prof = D.diversity_profile(
      approach_PxN=[[0, 0, 1, 1], [2, 2, 2, 2]],
      answer_PxN=[[5, 5, 3, 7], [1, 1, -1, 1]],
      correct_PxN=[[1, 1, 0, 0], [1, 1, 0, 1]], num_approaches=3)
  np.testing.assert_allclose(prof.pi_PxZ, [[.5, .5, 0], [0, 0, 1]])
  np.testing.assert_allclose(prof.entropy_P, [LN2, 0])
  np.testing.assert_allclose(prof.effective_approaches_P, [2, 1])
  np.testing.assert_allclose(prof.success_PxZ[0, :2], [1, 0])
  assert np.isnan(prof.success_PxZ[0, 2])
  np.testing.assert_allclose(prof.success_PxZ[1, 2], 0.75)
  h_no_answer = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
  np.testing.assert_allclose(prof.answer_entropy_P, [1.5 * LN2, h_no_answer])
  np.testing.assert_allclose(prof.breadth_P, [LN2, 0], atol=1e-12)
  np.testing.assert_allclose(prof.depth_P, [0.5 * LN2, h_no_answer])
  s = prof.summary()
  assert s["accuracy"] == pytest.approx((0.5 + 0.75) / 2)
  assert s["pi/2"] == pytest.approx(0.5)
  assert s["pooled_entropy"] == pytest.approx(1.5 * LN2)   # pooled pi = (.25, .25, .5)


def test_decomposition_holds_on_random_samples():
  rng = np.random.default_rng(0)
  z = rng.integers(0, 4, (10, 50))
  y = (z * 3 + rng.integers(0, 3, (10, 50))) % 7
  prof = D.diversity_profile(z, y, y == 0, 4)
  np.testing.assert_allclose(prof.breadth_P + prof.depth_P, prof.answer_entropy_P)
  assert (prof.breadth_P >= -1e-12).all() and (prof.breadth_P <= prof.entropy_P + 1e-12).all()


def test_labelling_functions():
  samples = [[(1, 2), (1, 3), (2, 2)], [(2, 9), (1, 0), (1, 1)]]
  labels, values = D.label_with(lambda s: s[0], samples)
  np.testing.assert_array_equal(labels, [[0, 0, 1], [1, 0, 0]])
  assert values == [1, 2]
  emb = np.concatenate([np.zeros((2, 3, 2)), np.full((2, 3, 2), 10.0)], 1)
  km = D.kmeans_labels(emb + np.random.default_rng(0).normal(0, .1, emb.shape), 2)
  assert (km[:, :3] == km[0, 0]).all() and (km[:, 3:] != km[0, 0]).all()


@pytest.mark.parametrize("args, match", [
    (([[0, 3]], [[1, 1]], [[1, 1]], 3), r"\[0, 3\)"),
    (([[0, 1]], [[1]], [[1, 1]], 3), "share one"),
    (([[0, 1]], [[1, -2]], [[1, 1]], 3), "answers must be"),
    ((np.zeros((2, 0), int), np.zeros((2, 0)), np.zeros((2, 0)), 3), "samples>0"),
])
def test_bad_input_raises(args, match):
  with pytest.raises(ValueError, match=match):
    D.diversity_profile(*args)
