"""A stack's inputs digest, and whether a stack whose inputs did not change needs its engine run.

`python -m fleet preview|up` skips a selected stack when everything that decides what the engine
would do with it is exactly what its last successful update ran with. That is the stack's
**inputs digest** (sha256 over canonical JSON), made of:

- the stack's rendered part (fleet.render.partition.digests: its resources, their properties,
  `protect` and `retain_on_delete`) and the outputs it exports (the `fleet` contract of its part;
  for the platform stack also its `platform` output, which names the environment's teams): two
  catalogs that render the same stack give the same part, whatever else of the environment
  changed;
- for a team stack, the platform stack's inputs digest: a platform change runs every team stack
  (a team stack reads the platform through a StackReference and checks it);
- the bytes of the stack's configuration file as `fleet.io.stacks.prepare` writes it
  (`Pulumi.<env>.<x>.yaml`: the catalog's path, provider settings, the ESC environment's name,
  the secrets provider) and of `Pulumi.yaml`;
- the program: a digest of the sources the engine's Python runs (the `fleet` and `components`
  packages and the project's `__main__.py`; every file of them but compiled bytecode);
- the installed versions of `pulumi`, `pulumi-kubernetes`, `pulumi-aws` and `pulumi-okta` (each
  SDK asks the engine for its own provider plugin's version) and the `pulumi` CLI's version.

Deliberately **not** in it, because it changes who may act or what exists outside the stack's
inputs, not what the program asks for, or it changes at every run:

- credentials: `KUBECONFIG`'s tokens and certificates, `AWS_*`, Okta keys, `PULUMI_CONFIG_PASSPHRASE`
  (they rotate; the program checks that the kubeconfig reaches the catalog's cluster and that
  the AWS account is the catalog's, and the catalog is in the digest);
- the values a Pulumi ESC environment supplies (only its name is in the stack file), a cluster
  stack's outputs (`app-of-apps:clusterStack`), and provider switches given as environment
  variables (`PULUMI_K8S_*`);
- what exists in the cloud and the cluster: a preview or an update compares the program with the
  stack's state, not with the live objects; finding drift is `refresh`'s work, and `refresh`
  never skips;
- the policy pack (`policies/`): these commands do not run it (CI's `pulumi preview --policy-pack`
  does, on its own).

After a change to any of these, `--all` runs every selected stack whatever its history says.

The decision reads the stack's latest history entry (`pulumi stack history`, newest first; a
preview, which a backend may list there, is passed over: it changed no state): it skips only
when that entry is an `update` that `succeeded` with the message
`app-of-apps inputs sha256:<digest>` of exactly the current digest. Anything else runs the
stack: no history, a `refresh`, a `destroy`, an import, a failed, cancelled or running update,
an update run by hand (another message). Pulumi 3.274 writes no history entry for `pulumi state
delete|move|rename|edit|unprotect` nor for `pulumi stack import`, and changes neither the
stack's last update time nor anything else `pulumi stack ls` shows but its resource count, which
cannot be compared with what the update left (under the engine kit a team stack holds two
resources more than its update's summary counts): after such a command, run with `--all`.

Pure: plain data in, plain data out; the reading is in fleet.io.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MESSAGE_PREFIX = "app-of-apps inputs sha256:"
# The operations that may skip a stack; refresh and destroy always run (their work is the world's state).
SKIPPABLE = frozenset({"preview", "up"})
# The packages whose installed versions are in the digest (each SDK names its provider plugin).
PACKAGES = ("pulumi", "pulumi-kubernetes", "pulumi-aws", "pulumi-okta")
SHOWN = 12  # hex digits of a digest a note shows
PREVIEW = "preview"  # a history entry's kind that changed no state (a backend may list previews)
PREVIEWS_PASSED = 50  # the newest entries read when the newest is a preview


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_digest(files: Mapping[str, bytes]) -> str:
    """The program's sources as one digest: each file's '/'-separated path and contents, in any
    order (a file renamed, added, removed or edited changes it)."""
    return _sha(sorted([path, _bytes(content)] for path, content in files.items()))


@dataclass(frozen=True)
class Program:
    """What every stack of a run shares: the program and the engine that runs it."""

    code: str  # code_digest of the program's sources
    project_file: bytes  # Pulumi.yaml
    versions: Mapping[str, str | None] = field(default_factory=dict)  # package -> installed version
    cli: str = ""  # the pulumi CLI's version

    def plain(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "project_file": _bytes(self.project_file),
            "versions": {name: self.versions.get(name) for name in PACKAGES},
            "cli": self.cli,
        }


def rendered(part: str, outputs: Mapping[str, Any]) -> str:
    """What a stack registers and exports, as one digest: its part's digest
    (fleet.render.partition.digests) and the outputs the program exports from the render
    (name -> plain data)."""
    return _sha({"part": part, "outputs": dict(outputs)})


def whole(parts: Mapping[str, str]) -> str:
    """The part of the stack named like the environment (a one-file catalog's one stack), which
    holds every stack's part: one digest of them all (`parts`: stack -> its part's digest)."""
    return _sha(sorted(parts.items()))


def stack_digest(render: str, config: bytes, program: Program, platform: str | None = None) -> str:
    """A stack's inputs digest: `render` (see `rendered`), the bytes of its stack file as written
    for the run, the program's inputs, and for a team stack its platform stack's inputs digest."""
    return _sha(
        {
            "render": render,
            "config": _bytes(config),
            "program": program.plain(),
            "platform": platform,
        }
    )


def message(digest: str) -> str:
    """The update's message that records the digest in the backend's history."""
    return MESSAGE_PREFIX + digest


def recorded(text: str | None) -> str | None:
    """The digest an update's message records, None when it records none (an update by hand)."""
    if not text or not text.startswith(MESSAGE_PREFIX):
        return None
    digest = text[len(MESSAGE_PREFIX) :].strip()
    return digest if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest) else None


@dataclass(frozen=True)
class Latest:
    """A stack's latest history entry, as plain data."""

    kind: str  # update, preview, refresh, destroy, import, resource-import, rename, …
    result: str  # succeeded, failed, in-progress, …
    message: str = ""
    end_time: str = ""  # as the backend gives it (ISO 8601)


def latest_change(entries: Sequence[Latest]) -> Latest | None:
    """The newest entry (entries newest first) that is not a preview: a preview changes no state.
    When every entry read is a preview, one of them stands (and the stack runs)."""
    return next((e for e in entries if e.kind != PREVIEW), entries[0] if entries else None)


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: str  # why it runs, or the skipped stack's note


def decide(digest: str, latest: Latest | None, *, unreadable: str = "") -> Decision:
    """Whether a stack of `preview` or `up` runs: it is skipped iff its latest history entry (not
    a preview: `latest_change`) is a succeeded `update` whose message records exactly `digest`.
    `unreadable`: why the history could not be read (then it runs)."""
    if unreadable:
        return Decision(True, f"its history could not be read ({unreadable})")
    if latest is None:
        return Decision(True, "no update in its history")
    if latest.kind != "update":
        return Decision(True, f"its last operation is a {latest.kind}, not an update")
    if latest.result != "succeeded":
        return Decision(True, f"its last update {latest.result}")
    mine = recorded(latest.message)
    if mine is None:
        return Decision(True, "its last update records no inputs digest (run by hand?)")
    if mine != digest:
        return Decision(True, f"its inputs changed since its last update (sha256:{mine[:SHOWN]})")
    when = latest.end_time or "unknown time"
    return Decision(False, f"unchanged since its update of {when}, inputs sha256:{digest[:SHOWN]}")


__all__ = [
    "MESSAGE_PREFIX",
    "PACKAGES",
    "PREVIEW",
    "PREVIEWS_PASSED",
    "SKIPPABLE",
    "Decision",
    "Latest",
    "Program",
    "code_digest",
    "decide",
    "latest_change",
    "message",
    "recorded",
    "rendered",
    "stack_digest",
]
