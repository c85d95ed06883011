#!/usr/bin/env bash
# `fleet status --fail-on drift --fail-on out-of-sync` of the environments of the stacks in
# $STACKS (an OutOfSync Application is drift too: the cluster no longer runs what Git says),
# inside each environment's READ-ONLY ESC environment (its files.KUBECONFIG: the preview
# identity, mapped to the fleet-status group). `fleet status` reads a whole environment, so it
# runs once per environment: in the job of its platform stack (`<env>.platform`), or of its one
# stack (`<env>`, a one-file catalog); team stacks' jobs skip it. The report and the reasons are
# appended to $1/<stack>.log, and a stack whose status fails gets a failed $1/<stack>.outcome, so
# `fleet pipeline drift-issues` opens its issue with both views. Runs after preview.sh in
# drift.yml; exits non-zero when any environment drifted or could not be read.
set -uo pipefail
set -f  # stack names are words, never globs
logs="$1"
: "${STACKS:?the stacks whose environments are checked, space-separated}"
mkdir -p "$logs"
status=0
for stack in $STACKS; do
  case "$stack" in
    *[!a-z0-9.-]*) echo "refused: '$stack' is not a stack name" >&2; exit 2 ;;
    *.platform) environment="${stack%.platform}" ;;
    *.*) continue ;;  # a team stack: its environment is checked in its platform stack's job
    *) environment="$stack" ;;
  esac
  report="$(mktemp)"
  catalog="$(.venv/bin/python -m fleet pipeline catalog "$environment")"  # a file or a folder, as Pulumi.<env>.yaml says
  pulumi env run "${PULUMI_ORG}/app-of-apps/${environment}-preview" -- \
    .venv/bin/python -m fleet status "$catalog" --fail-on drift --fail-on out-of-sync > "$report" 2>&1
  code=$?
  { echo; echo "== fleet status --fail-on drift --fail-on out-of-sync (${environment}): exit $code"; cat "$report"; } >> "$logs/$stack.log"
  if [ "$code" != 0 ]; then
    status=1
    if [ "$(cat "$logs/$stack.outcome" 2>/dev/null)" = "no error" ]; then
      echo "fleet status failed (exit $code)" > "$logs/$stack.outcome"
    fi
  fi
  cat "$report"
  rm -f "$report"
done
exit "$status"
