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


def test_a_workdir_made_with_another_config_is_refused(tmp_path, capsys):
  workdir = str(tmp_path / "w")
  base = ["run", "digits", "--workdir", workdir, "--config=digits:tiny",
          "--config.train.num_steps=4", "--config.train.eval_every=0"]
  assert cli.main(base) == 0
  assert cli.main(base) == 0                       # same config: resumes (done)
  capsys.readouterr()
  assert cli.main(base[:-2] + ["--config.train.num_steps=8", base[-1]]) == 2
  err = capsys.readouterr().err
  assert "holds a run with a different config (train.num_steps: 4 -> 8)" in err
  assert err.count("\n") == 1


def test_a_bad_setting_found_by_the_experiment_is_one_line(tmp_path, capsys, monkeypatch):
  from jaxlab import experiments

  def run(config, workdir):
    raise ValueError("unknown partition 'b7'; known: ['b0', 'b1']")
  monkeypatch.setattr(experiments.load("digits"), "run", run)
  assert cli.main(["run", "digits", "--workdir", str(tmp_path), "--config=digits:tiny"]) == 2
  err = capsys.readouterr().err
  assert err.startswith("jaxlab: error: unknown partition 'b7'") and err.count("\n") == 1
