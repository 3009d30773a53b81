"""The command line: listing, one-line errors with exit code 2, overrides."""
from __future__ import annotations

import json

import ml_collections
import pytest

from jaxlab import cli
from jaxlab.config_overrides import ConfigError, apply_overrides, load_config


@pytest.mark.parametrize("argv, message", [
    (["run", "nope", "--workdir", "w"], "unknown experiment 'nope'; known: "),
    (["run", "digits", "--workdir", "w", "--config.train.num_stepz=3"],
     "unknown config key 'train.num_stepz': train has no 'num_stepz'; allowed: batch_size"),
    (["run", "digits", "--workdir", "w", "--config.train.num_steps=abc"],
     "--config.train.num_steps='abc': expected int, got str"),
    (["run", "digits", "--workdir", "w", "--config=digits:huge"],
     "unknown digits config variant 'huge'; known: default, tiny"),
    (["run", "digits", "--workdir", "w", "--config=other:tiny"],
     "names config 'other' but the experiment is 'digits'"),
    (["bench", "nope"], "unknown benchmark 'nope'; known: "),
    (["reproduce", "--only", "digits,nope"], "unknown experiment 'nope'"),
])
def test_bad_input_is_one_line_with_exit_code_2(argv, message, capsys):
  assert cli.main(argv) == 2
  err = capsys.readouterr().err
  assert err.count("\n") == 1 and err.startswith("jaxlab: error: ")
  assert message in err
  assert "Traceback" not in err


def test_list_names_every_experiment(capsys):
  assert cli.main(["list"]) == 0
  out = capsys.readouterr().out
  assert "digits" in out and "[foundation]" in out


def test_overrides_convert_and_check_types():
  cfg = load_config("digits", "digits:tiny")
  apply_overrides(cfg, ["learning_rate=1", "model.features=(4, 8)", "train.num_steps=7"])
  assert cfg.learning_rate == 1.0 and isinstance(cfg.learning_rate, float)
  assert tuple(cfg.model.features) == (4, 8) and cfg.train.num_steps == 7
  with pytest.raises(ConfigError, match="model is a group"):
    apply_overrides(cfg, ["model=3"])
  with pytest.raises(ConfigError, match="expected int, got bool"):
    apply_overrides(cfg, ["train.num_steps=True"])


def test_run_writes_results_metrics_events_checkpoints_figure(tmp_path, capsys):
  workdir = tmp_path / "digits"
  assert cli.main(["run", "digits", "--workdir", str(workdir), "--config=digits:tiny"]) == 0
  printed = capsys.readouterr().out
  results = json.load(open(workdir / "results.json"))
  assert results["results"]["test_acc"] > 0.85
  assert results["config"]["train"]["num_steps"] == 120
  assert '"test_acc"' in printed
  seed_dir = workdir / "seed_0"
  assert (seed_dir / "metrics.jsonl").stat().st_size > 0
  assert list((seed_dir / "tensorboard").glob("events.out.tfevents.*"))
  assert (seed_dir / "checkpoints" / "120").is_dir()
  assert (workdir / "digits_curves.png").stat().st_size > 10_000
