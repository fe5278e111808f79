#!/usr/bin/env bash
# Shows whether each validator's process runs, its metrics URL, and its height, view, leader,
# peers and mempool (via `fedledger status`). Environment: TESTNET_DIR (default ./.testnet).
#   ./testnet/status.sh           once
#   ./testnet/status.sh --watch   every 2 s until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
NET=${TESTNET_DIR:-$PWD/.testnet}
JAR=$PWD/node/target/fedledger.jar
[ -f "$JAR" ] || { echo "not built yet: run ./testnet/start.sh" >&2; exit 1; }
[ -f "$NET/genesis.json" ] || { echo "no testnet in $NET: run ./testnet/start.sh" >&2; exit 1; }
# the gRPC addresses of genesis.json (whatever BASE_PORT the testnet was created with)
ALL=$(grep -o '"rpc_address": *"[^"]*"' "$NET/genesis.json" | sed 's/.*"\([^"]*\)"$/\1/')
N=$(echo "$ALL" | wc -l)
show() {
  for i in $(seq 0 $((N - 1))); do
    pidf="$NET/node$i/pid"
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then st="running (pid $(cat "$pidf"))"; else st="not running"; fi
    metrics=$(sed -n 's/^metrics.listen *= *//p' "$NET/node$i/node.properties" 2>/dev/null)
    echo "node$i: $st${metrics:+, metrics http://$metrics/metrics}"
  done
  # shellcheck disable=SC2086
  java -jar "$JAR" status --timeout-ms 2000 $ALL || true
}
if [ "${1:-}" = "--watch" ]; then
  while true; do clear; date; show; sleep 2; done
else
  show
fi
