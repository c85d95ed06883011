#!/usr/bin/env bash
# `fleet status --fail-on drift --fail-on out-of-sync` of every stack (an OutOfSync Application
# is drift too: the cluster no longer runs what Git says), inside the stack's READ-ONLY ESC environment
# (its files.KUBECONFIG: the preview identity, mapped to the fleet-status group). The report and
# the reasons are appended to $1/<stack>.log, and a stack whose status fails gets a failed
# $1/<stack>.outcome, so `fleet pipeline drift-issues` opens its issue with both views. Runs
# after preview.sh in drift.yml; exits non-zero when any stack drifted or could not be read.
set -uo pipefail
logs="$1"
mkdir -p "$logs"
status=0
for stack in $(.venv/bin/python -m fleet pipeline stacks); do
  report="$(mktemp)"
  catalog="$(.venv/bin/python -m fleet pipeline catalog "$stack")"  # a file or a folder, as Pulumi.<stack>.yaml says
  pulumi env run "${PULUMI_ORG}/app-of-apps/${stack}-preview" -- \
    .venv/bin/python -m fleet status "$catalog" --fail-on drift --fail-on out-of-sync > "$report" 2>&1
  code=$?
  { echo; echo "== fleet status --fail-on drift --fail-on out-of-sync: exit $code"; cat "$report"; } >> "$logs/$stack.log"
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
