#!/usr/bin/env bash
# pulumi up of the stacks in $STACKS (space-separated: one matrix job's `stacks`, from
# `python -m fleet pipeline matrix`), each with the deployer's configuration of its stack file
# (`fleet pipeline stack-file`: its environment's reviewed Pulumi.<env>.yaml, which imports the
# deployer's ESC environment; a committed Pulumi.<env>.<x>.yaml is never read, and refused) and the guardrail policy pack. A stack that
# fails stops no other; exits non-zero when any failed, after all of them ran. Called by deploy.yml.
set -uo pipefail
set -f  # stack names are words, never globs
: "${STACKS:?the stacks to deploy, space-separated}"
status=0
for stack in $STACKS; do
  case "$stack" in
    *[!a-z0-9.-]*) echo "refused: '$stack' is not a stack name" >&2; exit 2 ;;
  esac
  echo "== pulumi up ${stack}"
  if ! config="$(.venv/bin/python -m fleet pipeline stack-file "$stack")"; then
    status=1
    continue
  fi
  # A new team's stack is created by its first deploy.
  if ! pulumi stack select --create --stack "${PULUMI_ORG}/app-of-apps/${stack}" --non-interactive; then
    status=1
    continue
  fi
  pulumi up --stack "${PULUMI_ORG}/app-of-apps/${stack}" --config-file "$config" \
    --policy-pack policies --diff --yes --non-interactive --color never || status=1
done
exit "$status"
