"""The IRM benchmark runs end to end (no timings are checked)."""
import pytest


@pytest.mark.slow
def test_benchmark_prints_both_implementations_and_the_ratio():
  pytest.importorskip("torch")
  from jaxlab.benchmarks import irm
  table = irm.main(["--steps=3", "--repeats=1", "--hidden=8"])
  rows = [line for line in table.splitlines() if line.startswith("| ")]
  assert rows[0].startswith("| implementation") and len(rows) == 3
  assert rows[1].startswith("| jaxlab") and rows[2].startswith("| PyTorch")
  accs = [float(r.split("|")[3]) for r in rows[1:]]
  assert all(0.0 <= a <= 1.0 for a in accs)
