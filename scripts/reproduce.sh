#!/usr/bin/env bash
# Sets up .venv if needed, then runs every paper's miniature and writes
# runs/report.md with figures. Interrupted? Run it again: finished
# experiments are reused and interrupted ones resume from their checkpoints.
# Extra arguments go to `jaxlab reproduce` (e.g. --preset tiny, --only NAME).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
exec .venv/bin/jaxlab reproduce "$@"
