#!/usr/bin/env bash
# `make e2e`: the end-to-end tier (tests/e2e) under a real Pulumi CLI against a disposable cluster.
#
#   KUBECONFIG=~/.kube/kind-e2e make e2e    # yours: any `pulumi` on PATH, a kind/k3d cluster
#   make e2e                                # no KUBECONFIG: the engine kit beside the repository
#
# Without KUBECONFIG (or without `pulumi` on PATH) it uses the engine kit ($ENGINE_KIT, default
# ../shared/engine): builds it (cached in $ENGINE_DIR, default ~/engine), starts its loopback API
# server, puts its CLI on PATH, and stops the API server at the end if it started it. When there
# is no kit, or it cannot be built or started, the tier is skipped LOUDLY and the exit is 0: the
# tier needs what the machine cannot give. A test that fails inside the tier exits non-zero.
# Extra arguments go to pytest (e.g. `make e2e PYTEST_ARGS="-k access"`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

skip_loudly() {
  local line="################################################################################"
  {
    echo "$line"
    echo "#  E2E TIER SKIPPED: $1"
    echo "#  Nothing ran under a real Pulumi engine. Give it a disposable cluster and a CLI:"
    echo "#    KUBECONFIG=<kind/k3d kubeconfig> make e2e    (see docs/development.md, 'The end-to-end tier')"
    echo "$line"
  } >&2
  # GitHub Actions shows this on the run's summary page.
  [ -z "${GITHUB_ACTIONS:-}" ] || echo "::warning title=e2e tier skipped::$1"
  exit 0
}

run_tier() {
  APP_OF_APPS_E2E=1 "$PYTHON" -m pytest --tb=native -q --durations=15 tests/e2e "$@"
}

if [ -n "${KUBECONFIG:-}" ] && command -v pulumi >/dev/null 2>&1; then
  echo "== e2e: $(command -v pulumi) ($(pulumi version)), KUBECONFIG=$KUBECONFIG" >&2
  run_tier "$@"
  exit $?
fi

# --- the engine kit ---------------------------------------------------------------------------
ENGINE_KIT="${ENGINE_KIT:-$ROOT/../shared/engine}"
if [ -n "${KUBECONFIG:-}" ]; then
  echo "== e2e: KUBECONFIG is set but there is no pulumi on PATH: using the engine kit's CLI and cluster" >&2
fi
export ENGINE_DIR="${ENGINE_DIR:-$HOME/engine}"
[ -x "$ENGINE_KIT/build.sh" ] && [ -x "$ENGINE_KIT/apiserver.sh" ] \
  || skip_loudly "no KUBECONFIG + pulumi given, and no engine kit at $ENGINE_KIT"

# The kit registers its plugins under the versions the program's SDKs ask for: our pins.
pin() { sed -n "s/^$1==//p" "$ROOT/constraints.txt"; }
export K8S_PLUGIN_VERSION="$(pin pulumi_kubernetes)" OKTA_PLUGIN_VERSION="$(pin pulumi_okta)" \
  AWS_PLUGIN_VERSION="$(pin pulumi_aws)"
export PULUMI_HOME="${PULUMI_HOME:-$ENGINE_DIR/pulumi-home}"

echo "== e2e: building the engine kit into $ENGINE_DIR (cached; the first build takes ~15 min)" >&2
build_log="$(mktemp)"
if ! "$ENGINE_KIT/build.sh" >"$build_log" 2>&1; then
  tail -30 "$build_log" >&2
  skip_loudly "the engine kit ($ENGINE_KIT/build.sh) failed to build; its log is above"
fi
rm -f "$build_log"

started=""
status="$("$ENGINE_KIT/apiserver.sh" status)"  # not piped into grep -q: pipefail + SIGPIPE would lie
case "$status" in *"kube-apiserver: running"*) ;; *) started=1 ;; esac
# A kit's cluster that is not running is started from an empty store: its data outlives the
# machine's processes, and a run stopped before its clean-up (a session's end, a killed job) leaves
# objects that the next run's tests would meet. A running one is somebody's: the tier's first check
# refuses it if it holds such objects.
[ -z "$started" ] || "$ENGINE_KIT/apiserver.sh" reset >&2
stop_apiserver() { [ -z "$started" ] || "$ENGINE_KIT/apiserver.sh" stop >&2 || true; }
trap stop_apiserver EXIT
kit_kubeconfig="$("$ENGINE_KIT/apiserver.sh" start | tail -1)" \
  || skip_loudly "the engine kit's API server did not start (logs: $ENGINE_DIR/cluster/logs)"

# The kit's cluster is disposable by construction (the kit made it, on loopback); a copy of its
# kubeconfig whose context says so is what the tier's `kubeconfig` fixture accepts.
work="$(mktemp -d)"
trap 'stop_apiserver; rm -rf "$work"' EXIT
cp "$kit_kubeconfig" "$work/kubeconfig"
kubectl --kubeconfig "$work/kubeconfig" config rename-context \
  "$(kubectl --kubeconfig "$work/kubeconfig" config current-context)" disposable-engine-kit >/dev/null

export KUBECONFIG="$work/kubeconfig" PATH="$ENGINE_DIR/bin:$PATH"
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
echo "== e2e: engine kit $ENGINE_DIR ($(pulumi version)), API server $(sed -n 's/ *server: //p' "$KUBECONFIG")" >&2
run_tier "$@"
