#!/usr/bin/env bash
# pulumi preview of every stack (from its Pulumi.<stack>.yaml) with the stack's READ-ONLY ESC
# environment and the guardrail policy pack. One log and one outcome per stack in $1; exits
# non-zero when any preview failed, after all of them ran. Called by preview.yml and drift.yml
# (with --refresh --expect-no-changes as extra arguments).
set -uo pipefail
logs="$1"; shift
mkdir -p "$logs" build/pulumi
status=0
for stack in $(.venv/bin/python -m fleet pipeline stacks); do
  config="build/pulumi/Pulumi.${stack}.preview.yaml"
  if .venv/bin/python -m fleet pipeline preview-config "$stack" --out "$config" > "$logs/$stack.log" 2>&1 &&
     pulumi preview --stack "${PULUMI_ORG}/app-of-apps/${stack}" --config-file "$config" \
       --policy-pack policies --diff --non-interactive --color never "$@" >> "$logs/$stack.log" 2>&1; then
    echo "no error" > "$logs/$stack.outcome"
  else
    echo "failed (exit $?)" > "$logs/$stack.outcome"
    status=1
  fi
  cat "$logs/$stack.log"
done
exit "$status"
