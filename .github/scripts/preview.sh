#!/usr/bin/env bash
# pulumi preview of the stacks in $STACKS (space-separated: one matrix job's `stacks`, as
# `python -m fleet pipeline matrix` or the review wrote them), each with the READ-ONLY ESC
# environment of its environment (`fleet pipeline preview-config`) and the guardrail policy pack.
# One log and one outcome per stack in $1; exits non-zero when any preview failed, after all of
# them ran. Called by preview.yml and drift.yml (with --refresh --expect-no-changes as extra arguments).
set -uo pipefail
set -f  # stack names are words, never globs
logs="$1"; shift
: "${STACKS:?the stacks to preview, space-separated}"
mkdir -p "$logs" build/pulumi
for stack in $STACKS; do
  case "$stack" in
    *[!a-z0-9.-]*) echo "refused: '$stack' is not a stack name" >&2; exit 2 ;;
  esac
done
# The project's stacks as Pulumi Cloud lists them: a stack a pull request adds (a new team) does
# not exist before its first deploy, and a read-only token cannot create it.
existing="build/pulumi/stacks.json"
if ! pulumi stack ls --organization "$PULUMI_ORG" --project app-of-apps --json > "$existing"; then
  echo "cannot list the project's stacks" >&2
  exit 1
fi
status=0
for stack in $STACKS; do
  config="build/pulumi/Pulumi.${stack}.preview.yaml"
  if ! .venv/bin/python -c 'import json, sys; sys.exit(sys.argv[2] not in {str(s.get("name", "")).rsplit("/", 1)[-1] for s in json.load(open(sys.argv[1]))})' "$existing" "$stack"; then
    echo "new stack: $stack does not exist yet; its first deploy creates it (the review above shows what it gains)" > "$logs/$stack.log"
    echo "new stack, created by its first deploy" > "$logs/$stack.outcome"
    cat "$logs/$stack.log"
    continue
  fi
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
