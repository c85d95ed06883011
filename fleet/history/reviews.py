"""Who approved a pull request, from the code host's own review records (issue 21).

A commit's `Reviewed-by:`/`Approved-by:` trailers are written by whoever wrote the commit: a
team member can name the platform lead as the reviewer of their own grant. The audit names as
approvers only those GitHub recorded: per pull request number, the reviews as GitHub's REST API
returns them (`GET /repos/{owner}/{repo}/pulls/{number}/reviews`), from an exported JSON file or
read through the API (`fleet.io.github`). Trailers stay in the report, shown as claims.

A reviewer's latest decisive review counts (APPROVED, CHANGES_REQUESTED or DISMISSED; a comment
changes nothing): an approval later withdrawn or dismissed is not an approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.text.problems import Problem

DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass(frozen=True)
class Review:
    user: str
    state: str
    submitted_at: str
    commit: str


Records = Mapping[int, Sequence[Review]]


def _review(item: Any, path: list[str | int], problems: list[Problem]) -> Review | None:
    if not isinstance(item, Mapping):
        problems.append(Problem.at(path, "a review is an object of GitHub's reviews API"))
        return None
    user = item.get("user")
    login = user.get("login") if isinstance(user, Mapping) else None
    state = item.get("state")
    if not isinstance(login, str) or not login or not isinstance(state, str):
        problems.append(Problem.at(path, "a review names user.login and state, as GitHub's reviews API returns it"))
        return None
    return Review(login, state, str(item.get("submitted_at") or ""), str(item.get("commit_id") or ""))


def parse(data: Any) -> tuple[dict[int, list[Review]], list[Problem]]:
    """An exported file: an object from pull request number to that pull request's reviews (the
    reviews API's list as it is), or a list of {"pull_request": n, "reviews": [...]}; every
    problem at once."""
    problems: list[Problem] = []
    pairs: list[tuple[Any, Any, list[str | int]]] = []
    if isinstance(data, Mapping):
        pairs = [(key, value, [str(key)]) for key, value in data.items()]
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, Mapping):
                pairs.append((item.get("pull_request"), item.get("reviews"), [i]))
            else:
                problems.append(Problem.at([i], "expected {pull_request, reviews}"))
    else:
        problems.append(Problem.at([], "expected an object of pull request number -> reviews"))
    records: dict[int, list[Review]] = {}
    for key, reviews, path in pairs:
        number = int(key) if isinstance(key, int) or (isinstance(key, str) and key.isdigit()) else None
        if number is None:
            problems.append(Problem.at(path, f"{key!r} is not a pull request number"))
            continue
        if not isinstance(reviews, list):
            problems.append(Problem.at(path, "the reviews are a list, as GitHub's reviews API returns them"))
            continue
        found = [_review(item, [*path, i], problems) for i, item in enumerate(reviews)]
        records.setdefault(number, []).extend(r for r in found if r is not None)
    return records, problems


def approvers(reviews: Sequence[Review]) -> list[Review]:
    """Each reviewer's approval that still stands (their latest decisive review), in the order
    they were given."""
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: r.submitted_at):
        if review.state in DECISIVE:
            latest[review.user] = review
    return sorted((r for r in latest.values() if r.state == "APPROVED"), key=lambda r: r.submitted_at)
