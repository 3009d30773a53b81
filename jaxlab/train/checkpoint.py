"""Orbax checkpoints of the train state plus the data position.

Orbax finalises a step directory only when every file is written, so a kill
mid-save never yields a "latest" step that looks complete. On top of that,
`restore_latest` treats a finalised step that fails to read back (a truncated
or corrupted file) as bad: it warns and falls back to the previous step.
"""
from __future__ import annotations

import logging
import os
import shutil
from typing import Any

import jax
import orbax.checkpoint as ocp

log = logging.getLogger(__name__)


class Checkpointer:
  """Saves ``{state, meta}`` every so often and restores the newest good one."""

  def __init__(self, directory: str, keep: int = 3):
    self.directory = os.path.abspath(directory)
    options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  def save(self, step: int, state: Any, meta: dict) -> None:
    """Starts an asynchronous save; the arrays are copied off-device first."""
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta)))

  def steps(self) -> list[int]:
    return sorted(self._manager.all_steps())

  def restore_latest(self, abstract_state: Any) -> tuple[Any, dict] | None:
    """The newest checkpoint that reads back whole, or None when there is none.

    `abstract_state` (a pytree of `jax.ShapeDtypeStruct` with shardings) tells
    orbax where each array goes, so a restore lands already sharded.
    """
    bad: list[int] = []
    for step in reversed(self.steps()):
      try:
        restored = self._manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract_state),
            meta=ocp.args.JsonRestore()))
      except Exception as e:  # pylint: disable=broad-except
        log.warning("checkpoint at step %d in %s is unreadable (%s: %s); "
                    "falling back to the previous one", step, self.directory,
                    type(e).__name__, str(e).splitlines()[0][:200])
        print(f"WARNING: checkpoint at step {step} is unreadable "
              f"({type(e).__name__}); falling back to the previous one",
              flush=True)
        bad.append(step)
        continue
      self._quarantine(bad)
      return restored.state, restored.meta
    self._quarantine(bad)
    return None

  def _quarantine(self, steps: list[int]) -> None:
    """Moves unreadable steps aside (kept for inspection, never trusted again)
    so that the resumed run can write those steps afresh."""
    if not steps:
      return
    if jax.process_index() == 0:
      aside = f"{self.directory}_unreadable"
      os.makedirs(aside, exist_ok=True)
      for step in steps:
        target = os.path.join(aside, str(step))
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(os.path.join(self.directory, str(step)), target)
    self._manager.reload()

  def wait(self) -> None:
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
