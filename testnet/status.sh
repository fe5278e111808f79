#!/usr/bin/env bash
# Shows each validator's height, view, leader, peers and mempool (via `fedledger status`).
#   ./testnet/status.sh           once
#   ./testnet/status.sh --watch   every 2 s until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
NET=${TESTNET_DIR:-$PWD/.testnet}
BASE_PORT=${BASE_PORT:-26600}
JAR=$PWD/node/target/fedledger.jar
[ -f "$JAR" ] || { echo "not built yet: run ./testnet/start.sh" >&2; exit 1; }
[ -f "$NET/genesis.json" ] || { echo "no testnet in $NET: run ./testnet/start.sh" >&2; exit 1; }
N=$(ls -d "$NET"/node* 2>/dev/null | wc -l)
ALL=$(for i in $(seq 0 $((N - 1))); do echo "127.0.0.1:$((BASE_PORT + 100 + i))"; done)
show() {
  for i in $(seq 0 $((N - 1))); do
    pidf="$NET/node$i/pid"
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then st="running (pid $(cat "$pidf"))"; else st="not running"; fi
    echo "node$i: $st"
  done
  # shellcheck disable=SC2086
  java -jar "$JAR" status --timeout-ms 2000 $ALL || true
}
if [ "${1:-}" = "--watch" ]; then
  while true; do clear; date; show; sleep 2; done
else
  show
fi
