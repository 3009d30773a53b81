"""Every notebook under notebooks/ runs top to bottom (so a broken one fails CI)."""
from __future__ import annotations

import glob
import os

import nbclient
import nbformat
import pytest

from helpers import REPO

NOTEBOOKS = sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_executes(path):
  nb = nbformat.read(path, as_version=4)
  client = nbclient.NotebookClient(
      nb, timeout=600, kernel_name="python3",
      resources={"metadata": {"path": os.path.dirname(path)}})
  client.execute()
  errors = [o for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]
  assert not errors
  assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
  if path.endswith("quickstart.ipynb"):
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert float(text.split("test accuracy: ")[1].split()[0]) > 0.85


def test_quickstart_is_there():
  assert any(p.endswith("quickstart.ipynb") for p in NOTEBOOKS)
