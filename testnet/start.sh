#!/usr/bin/env bash
# Builds FedLedger if needed, creates a 4-validator testnet in ./.testnet (once), starts the
# validators on loopback (each with its own data directory and log), waits until they commit,
# then runs the federated-learning demo when it is built.
#   ./testnet/start.sh            start (or restart) the testnet
#   ./testnet/start.sh --fresh    wipe ./.testnet first (new keys, new chain)
#   ./testnet/start.sh --no-demo  validators only
# Environment: TESTNET_DIR (default ./.testnet); BASE_PORT (default 26600: peers on BASE_PORT+i,
# gRPC on +100+i, metrics on +200+i; read when the testnet is created, later runs take the
# addresses from its genesis.json); JAVA_OPTS (default -Xmx512m).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NET=${TESTNET_DIR:-$ROOT/.testnet}
BASE_PORT=${BASE_PORT:-26600}
JAR=$ROOT/node/target/fedledger.jar
DEMO_CP_FILE=$ROOT/testnet/target/classpath.txt
N=4
FRESH=0
DEMO=1
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    --no-demo) DEMO=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

command -v java >/dev/null || { echo "java (JDK 17+) is not on PATH" >&2; exit 1; }
fedledger() { java -jar "$JAR" "$@"; }

# 1. Build what is needed: when the jar is missing or any source is newer than it.
if [ ! -f "$JAR" ] || [ ! -f "$DEMO_CP_FILE" ] || [ -n "$(find proto ledger consensus fl-contracts node testnet -path '*/src/*' -newer "$JAR" -print -quit 2>/dev/null)" ] \
    || [ -n "$(find . -maxdepth 2 -name pom.xml -newer "$JAR" -print -quit)" ]; then
  command -v mvn >/dev/null || { echo "mvn (Maven 3.8+) is not on PATH" >&2; exit 1; }
  echo "== building (mvn -B -ntp -DskipTests package) ..."
  # also writes each module's target/classpath.txt (the FL demo's classpath) from the reactor
  mvn -B -ntp -q -DskipTests -pl node,testnet -am package dependency:build-classpath \
    -Dmdep.outputFile=target/classpath.txt
fi

# 2. Create the network once.
if [ "$FRESH" = 1 ]; then
  "$ROOT/testnet/stop.sh" >/dev/null 2>&1 || true
  rm -rf "$NET"
fi
if [ ! -f "$NET/genesis.json" ]; then
  echo "== creating a $N-validator testnet in $NET"
  fedledger testnet init --dir "$NET" --validators "$N" --base-port "$BASE_PORT"
fi

# 3. Start every validator that is not running.
for i in $(seq 0 $((N - 1))); do
  dir="$NET/node$i"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "node$i is already running (pid $(cat "$dir/pid"))"
    continue
  fi
  # shellcheck disable=SC2086
  nohup java ${JAVA_OPTS:--Xmx512m} -jar "$JAR" node --config "$dir/node.properties" >>"$dir/node.log" 2>&1 &
  echo $! >"$dir/pid"
  echo "started node$i (pid $!, log $dir/node.log)"
done

# 4. Wait until every validator serves (the gRPC addresses are those of genesis.json), then
#    until a transaction commits.
mapfile -t RPCS < <(grep -o '"rpc_address": *"[^"]*"' "$NET/genesis.json" | sed 's/.*"\([^"]*\)"$/\1/')
[ "${#RPCS[@]}" = "$N" ] || { echo "cannot read $N rpc_address entries from $NET/genesis.json" >&2; exit 1; }
rpc() { echo "${RPCS[$1]}"; }
ALL="${RPCS[*]}"
dead() {
  for i in $(seq 0 $((N - 1))); do
    if ! kill -0 "$(cat "$NET/node$i/pid")" 2>/dev/null; then
      echo "node$i exited; the end of $NET/node$i/node.log:" >&2
      tail -n 15 "$NET/node$i/node.log" >&2
      echo "(fix it, then ./testnet/start.sh again; ./testnet/stop.sh stops the others)" >&2
      return 0
    fi
  done
  return 1
}
echo "== waiting for the validators to serve ..."
for _ in $(seq 1 60); do
  # shellcheck disable=SC2086
  if fedledger status --timeout-ms 2000 $ALL >/dev/null 2>&1; then break; fi
  if dead; then exit 1; fi
  sleep 1
done
# shellcheck disable=SC2086
fedledger status --timeout-ms 2000 $ALL || { echo "some validators did not come up; see $NET/node*/node.log" >&2; exit 1; }

echo "== submitting a transaction (the admin registers an auditor) and waiting for its commit ..."
AUDITOR_KEY="$NET/auditor-$(date +%s).key"
AUDITOR=$(fedledger keygen --out "$AUDITOR_KEY")
fedledger submit --rpc "$(rpc 1)" --key "$NET/admin.key" --register "auditor-$(date +%s)" --role AUDITOR \
  --public-key "$AUDITOR" --wait --timeout-ms 60000 >/dev/null
# shellcheck disable=SC2086
fedledger status $ALL
echo "== the testnet is committing."

# 5. The federated-learning demo (testnet/README.md), when it is built.
if [ "$DEMO" = 1 ] && [ -f "$ROOT/testnet/target/classes/org/fedledger/testnet/FlDemo.class" ]; then
  echo "== running the federated-learning demo (log: $NET/fl-demo.log)"
  java -cp "$ROOT/testnet/target/classes:$(cat "$DEMO_CP_FILE")" org.fedledger.testnet.FlDemo \
    --testnet "$NET" 2>&1 | tee "$NET/fl-demo.log"
  # shellcheck disable=SC2086
  fedledger status $ALL
fi
echo "== ./testnet/status.sh to watch, ./testnet/stop.sh to stop."
