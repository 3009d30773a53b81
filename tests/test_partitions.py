"""Environment partitions: from names, meta-information and clustering."""
import numpy as np
import pytest

from jaxlab.objectives import partitions

ENVS = ("1990", "2000", "2005", "2010")


def test_from_meta_groups_by_value_in_order():
  parts = partitions.from_meta({"1990": "old", "2000": "old", "2005": "recent",
                                "2010": "recent"}, ENVS)
  assert parts == {"old": (0, 1), "recent": (2, 3)}
  assert partitions.select(parts, "recent") == (2, 3)


def test_from_clusters_recovers_separated_groups():
  desc = np.array([[0.0, 0.1], [5.0, 5.1], [0.1, 0.0], [5.2, 4.9]])
  assert partitions.from_clusters(desc, 2) == {"cluster0": (0, 2), "cluster1": (1, 3)}


def test_bad_partitions_raise_clear_errors():
  with pytest.raises(ValueError, match=r"names missing environment\(s\) \['2020'\]"):
    partitions.from_names({"recent": ["2010", "2020"]}, ENVS)
  with pytest.raises(ValueError, match="unknown partition 'future'"):
    partitions.select({"recent": (2, 3)}, "future")
  with pytest.raises(ValueError, match="names no environments"):
    partitions.from_names({"recent": []}, ENVS)
  with pytest.raises(ValueError, match=r"no meta-information for environment\(s\) \['2010'\]"):
    partitions.from_meta({"1990": "a", "2000": "a", "2005": "b"}, ENVS)
  with pytest.raises(ValueError, match="num_partitions must be in"):
    partitions.from_clusters(np.zeros((3, 2)), 4)
