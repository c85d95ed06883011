"""The command line: `parser` builds it, one module per command (validate, plan, access,
guardrails, diff, status, audit, promote, pipeline) adds its sub-parser and runs it, `main`
answers the errors they share, `exits` names the exit codes, `output` writes for a terminal."""
