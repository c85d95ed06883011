"""GitHub's review records, read through its REST API (`fleet audit --github OWNER/REPO`).

`GET /repos/{owner}/{repo}/pulls/{number}/reviews`, page by page, with the token in
$GITHUB_TOKEN (read-only: Pull requests read) at $GITHUB_API_URL (GitHub Actions sets it;
default https://api.github.com). What comes back is judged by `fleet.history.reviews`.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from fleet.history import reviews
from fleet.text.problems import UsageError

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
PAGE = 100


def _get(url: str, token: str | None) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.github+json"})  # noqa: S310 - https or the configured API
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise UsageError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as err:
        raise UsageError(f"{url}: {err}") from None


def reviews_of(repository: str, numbers: Iterable[int]) -> dict[int, list[reviews.Review]]:
    """Every review of each pull request, as GitHub recorded it."""
    if not REPOSITORY.match(repository):
        raise UsageError(f"--github {repository!r}: expected OWNER/REPO")
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not api.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise UsageError(f"GITHUB_API_URL {api!r}: an https:// URL")
    token = os.environ.get("GITHUB_TOKEN")
    exported: dict[str, list[Any]] = {}
    for number in numbers:
        items: list[Any] = []
        page = 1
        while True:
            batch = _get(f"{api}/repos/{repository}/pulls/{number}/reviews?per_page={PAGE}&page={page}", token)
            if not isinstance(batch, list):
                raise UsageError(f"{repository}#{number}: the reviews API answered {type(batch).__name__}, not a list")
            items += batch
            if len(batch) < PAGE:
                break
            page += 1
        exported[str(number)] = items
    records, problems = reviews.parse(exported)
    if problems:
        raise UsageError("; ".join(f"{p.path}: {p.reason}" for p in problems))
    return records
