"""app-of-apps: catalog, derived names, desired state, guardrails, reports, and the shell around them.

The pure layers import no Pulumi and touch no network; only `cli`, `pipeline` and `io` run git,
read clusters, import Pulumi or write files (the import contract in pyproject.toml).
"""

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it); `app-of-apps --version`
