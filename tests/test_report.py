"""`jaxlab reproduce`: runs, reuses finished runs, records failures, reports."""
from __future__ import annotations

import os

from jaxlab import experiments, report


def test_reproduce_reports_reuses_and_records_failures(tmp_path, monkeypatch):
  out = str(tmp_path)
  path = report.reproduce(["digits"], out, preset="tiny")
  text = open(path).read()
  assert "## `digits` (foundation)" in text
  assert "| `test_acc` |" in text
  assert "![digits_curves.png](digits/digits_curves.png)" in text
  results_file = os.path.join(out, "digits", "results.json")
  stamp = os.stat(results_file).st_mtime_ns

  report.reproduce(["digits"], out, preset="tiny")       # current: not re-run
  assert os.stat(results_file).st_mtime_ns == stamp

  def broken_run(config, workdir):
    raise RuntimeError("synthetic failure for the test")
  monkeypatch.setattr(experiments.load("digits"), "run", broken_run)
  os.remove(results_file)
  text = open(report.reproduce(["digits"], out, preset="tiny")).read()
  assert "**Did not complete:** `RuntimeError: synthetic failure for the test`" in text
