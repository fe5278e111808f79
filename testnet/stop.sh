#!/usr/bin/env bash
# Stops the testnet's validators: SIGTERM (clean shutdown: stop accepting, flush, close
# RocksDB), then waits up to 30 s each; SIGKILL only if one does not stop. Data is kept;
# ./testnet/start.sh resumes, ./testnet/start.sh --fresh starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
NET=${TESTNET_DIR:-$PWD/.testnet}
[ -d "$NET" ] || { echo "no testnet in $NET"; exit 0; }
pids=()
for pidf in "$NET"/node*/pid; do
  [ -f "$pidf" ] || continue
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" && pids+=("$pid:$pidf")
    echo "sent SIGTERM to $(basename "$(dirname "$pidf")") (pid $pid)"
  else
    rm -f "$pidf"
  fi
done
for entry in "${pids[@]+"${pids[@]}"}"; do
  pid=${entry%%:*}; pidf=${entry#*:}
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "pid $pid did not stop within 30 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
done
echo "stopped."
