"""The warnings gate (issue 21): may the pull request's head commit merge with its review's warnings?

A maintainer (`admin` or `maintain` on the repository) accepts the warnings of one commit, by
approving that commit (GitHub binds a review to `commit_id`) or by adding the label
`fleet/warnings-accepted` while that commit is the head. The gate decides on what GitHub says
*now*, read live when the gate runs (never the event's snapshot, which a push right after an
acceptance makes stale):

- the head it reviewed must still be the pull request's head (else a newer run decides);
- an approval counts when it is the approver's latest review, APPROVED, of the head commit;
- a label counts when it is on the pull request now, and its last `labeled` event, by a
  maintainer, came after the head commit arrived. When that was is read from GitHub's own clock:
  the first run of this workflow in the last unbroken series of runs for this head (a push
  of an older commit in between starts a new series), never from commit dates, which the author
  writes.

The workflow collects that state with the GitHub API (`.github/workflows/preview.yml`, job
`gate`) and hands it to `python -m fleet pipeline gate`; this module only decides, so that every
case is a test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LABEL = "fleet/warnings-accepted"
MAINTAINER_ROLES = frozenset({"admin", "maintain"})
RULE = "pipeline-warnings-accepted"


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def head_arrived(head: str, runs: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When `head` became the pull request's head, by GitHub's clock: the creation time of the
    first run of the last unbroken series of runs (in creation order) whose head is `head`."""
    ordered = sorted(
        ((t, str(r.get("head_sha", ""))) for r in runs if (t := _time(r.get("created_at"))) is not None),
        key=lambda pair: pair[0],
    )
    arrived = None
    for created, sha in ordered:
        if sha != head:
            arrived = None
        elif arrived is None:
            arrived = created
    return arrived


def _maintainer(login: Any, roles: Mapping[str, Any]) -> bool:
    return str(roles.get(str(login), "")) in MAINTAINER_ROLES


def _approval(head: str, reviews: Sequence[Mapping[str, Any]], roles: Mapping[str, Any]) -> str | None:
    latest: dict[str, Mapping[str, Any]] = {}
    for review in sorted(reviews, key=lambda r: _time(r.get("submitted_at")) or datetime.min.replace(tzinfo=UTC)):
        if str(review.get("state")) in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[str(review.get("user"))] = review
    for user, review in sorted(latest.items()):
        if review.get("state") == "APPROVED" and review.get("commit_id") == head and _maintainer(user, roles):
            return user
    return None


def _label(head: str, state: Mapping[str, Any], roles: Mapping[str, Any]) -> tuple[str | None, str]:
    if LABEL not in [str(label) for label in state.get("labels") or ()]:
        return None, f"the pull request does not carry {LABEL} now"
    events = [
        e
        for e in state.get("label_events") or ()
        if str(e.get("event")) == "labeled" and str(e.get("label")) == LABEL and _time(e.get("created_at"))
    ]
    if not events:
        return None, f"no labeled event for {LABEL}"
    last = max(events, key=lambda e: _time(e.get("created_at")))  # type: ignore[arg-type, return-value]
    actor = str(last.get("actor", ""))
    if not _maintainer(actor, roles):
        return None, f"{LABEL} was added by {actor or 'someone'}, who does not maintain the repository"
    arrived = head_arrived(head, state.get("runs") or ())
    added = _time(last.get("created_at"))
    if arrived is None or added is None:
        return None, f"when {head[:12]} became the head is unknown: a label cannot be bound to it"
    if added <= arrived:
        return None, (
            f"{LABEL} was added at {last.get('created_at')}, before {head[:12]} became the head "
            f"({arrived.isoformat()}): it accepted an earlier commit's warnings"
        )
    return actor, ""


def decide(reviewed: str, warnings: int, state: Mapping[str, Any]) -> Decision:
    """Whether the warnings of the reviewed commit are accepted, read from the live `state`:
    `head_sha`, `labels`, `label_events` ({event, label, actor, created_at}), `runs`
    ({head_sha, created_at}: this workflow's runs for the pull request's branch), `reviews`
    ({user, state, commit_id, submitted_at}) and `roles` (login -> repository role)."""
    if warnings == 0:
        return Decision(True, "no warnings")
    head = str(state.get("head_sha", ""))
    if head != reviewed:
        return Decision(
            False,
            f"this run reviewed {reviewed[:12]}, but the pull request's head is now {head[:12] or '(unknown)'}: "
            f"the run of the new head decides [{RULE}]",
        )
    roles = state.get("roles") or {}
    if (approver := _approval(head, state.get("reviews") or (), roles)) is not None:
        return Decision(True, f"warnings accepted by {approver} (approval of {head})")
    labeller, why = _label(head, state, roles)
    if labeller is not None:
        return Decision(True, f"warnings accepted by {labeller} (label {LABEL}, added after {head[:12]} arrived)")
    return Decision(
        False,
        f"{warnings} warning(s) need a maintainer: approve commit {head[:12]} or add the label {LABEL} "
        f"now ({why}) [{RULE}]",
    )
