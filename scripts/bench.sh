#!/usr/bin/env bash
# Sets up .venv if needed, then runs every registered benchmark (or those
# named as arguments) and prints their tables, then the slow tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  mapfile -t names < <(.venv/bin/python -c "from jaxlab import benchmarks; print('\n'.join(benchmarks.names()))")
fi
for name in "${names[@]}"; do
  echo "## jaxlab bench $name"
  .venv/bin/jaxlab bench "$name"
  echo
done
if [ $# -eq 0 ]; then
  .venv/bin/python -m pytest -m slow -q || [ $? -eq 5 ]   # 5: no slow tests
fi
