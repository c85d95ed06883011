#!/usr/bin/env bash
# Record tests/data/status/{dev,prod}.json again: what `fleet status` lists from two disposable
# loopback API servers (the engine kit, ../shared/engine) after tests/status_scenario.py wrote
# the current plan and the scenario into them. Needed when what the program renders changes:
# tests/test_status.py then sees the old objects as drift, as a real cluster would.
#
#   scripts/status-recordings.sh        # ENGINE_DIR (default ~/engine) must hold the kit's binaries
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIT="${ENGINE_KIT:-$ROOT/../shared/engine}"
BIN="${ENGINE_DIR:-$HOME/engine}/bin"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
work="$(mktemp -d)"
servers=()
stop() { for dir in "${servers[@]}"; do ENGINE_DIR="$dir" "$KIT/apiserver.sh" reset >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap stop EXIT
port="${STATUS_PORT_BASE:-27100}"  # a block of four loopback ports per API server
start_server() {  # start_server NAME: prints its kubeconfig
  local dir="$work/$1"; mkdir -p "$dir"; ln -s "$BIN" "$dir/bin"; servers+=("$dir")
  ENGINE_DIR="$dir" ETCD_PORT=$port ETCD_PEER_PORT=$((port + 1)) API_PORT=$((port + 2)) \
    KCM_PORT=$((port + 3)) "$KIT/apiserver.sh" start | tail -1
  port=$((port + 10))
}
for env in dev prod; do
  catalog="$(cd "$ROOT" && if [ -d "stacks/$env" ]; then echo "stacks/$env"; else echo "stacks/$env.yaml"; fi)"
  start_server "$env" >"$work/kubeconfig-path"; kubeconfig="$(cat "$work/kubeconfig-path")"
  # A catalog declaring clusters: the first shares the environment's API server (Argo CD's
  # cluster), each other one gets its own.
  clusters=()
  first=1
  for name in $(cd "$ROOT" && "$PYTHON" -c "import sys; from fleet.compiler import load; print(' '.join(t.name for t in load(sys.argv[1]).targets() if t.name))" "$catalog"); do
    if [ -n "$first" ]; then clusters+=(--cluster "$name=$kubeconfig"); first=""; continue; fi
    start_server "$env-$name" >"$work/kubeconfig-path"
    clusters+=(--cluster "$name=$(cat "$work/kubeconfig-path")")
  done
  (cd "$ROOT" && "$PYTHON" -m tests.status_scenario "$catalog" --kubeconfig "$kubeconfig" "${clusters[@]}" \
    --record "tests/data/status/$env.json")
  echo "recorded tests/data/status/$env.json" >&2
done
