#!/usr/bin/env bash
# Sets up .venv if needed, then runs the test suite (benchmark-sized tests,
# marked slow, are left to scripts/bench.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export JAX_PLATFORMS=cpu TF_CPP_MIN_LOG_LEVEL=3
exec .venv/bin/python -m pytest -m "not slow" -q "$@"
