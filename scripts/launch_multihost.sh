#!/usr/bin/env bash
# Runs one `jaxlab run` as N local processes that form one mesh over gloo
# (the same code path as N hosts). Usage:
#   bash scripts/launch_multihost.sh NUM_PROCESSES DEVICES_PER_PROCESS jaxlab-run-args...
# e.g. bash scripts/launch_multihost.sh 2 2 digits --workdir runs/digits_mh --config=digits:tiny
# On real hosts, set JAXLAB_COORDINATOR=host0:port, JAXLAB_NUM_PROCESSES and
# JAXLAB_PROCESS_ID on each host and run `jaxlab run ...` there instead.
set -euo pipefail
cd "$(dirname "$0")/.."
n=$1; devices=$2; shift 2
port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
pids=()
for ((i = 0; i < n; i++)); do
  JAX_PLATFORMS=cpu JAX_NUM_CPU_DEVICES=$devices JAXLAB_COORDINATOR=127.0.0.1:$port \
  JAXLAB_NUM_PROCESSES=$n JAXLAB_PROCESS_ID=$i .venv/bin/jaxlab run "$@" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
exit $status
