"""The approval of a photo, as the domain sees it: the timers that belong to it, what its outcomes
are called, and who must approve it.

Every photo needs one approval from the approvers list; a photo the rules route to a group needs
one more from someone in that group. Each approver counts once, for one need: approvals fill needs
as a matching does (a safeguarding lead on the approvers list who approves first counts for
whichever need is left to someone else), so two needs always take two people.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pressroom.domain.addresses import same_address

#: the uploader is told a photo was this when nobody decided in time, or an approver rejected it
EXPIRED_OUTCOME = "not approved in time"
REJECTED_OUTCOME = "rejected"
#: the reasons a waiting photo shows while nobody can be asked about it
NO_APPROVERS = "no approvers are configured: nobody has been asked to review it"
ONLY_THE_UPLOADER = "nobody but its uploader is on the approvers list, and nobody approves a photo they uploaded"


def nobody_in(who: str) -> str:
    """The reason a photo waits that needs an approval from ``who`` whom nobody can give."""
    return f"it needs an approval from {who}, but nobody else in that group can be asked"


def reminder_schedule(photo_id: str) -> str:
    """The one-time schedule that reminds the approvers of a photo (48 hours on)."""
    return f"approval-reminder-{photo_id}"


def expiry_schedule(photo_id: str) -> str:
    """The one-time schedule that ends a photo's approval request."""
    return f"approval-expiry-{photo_id}"


def publish_check_schedule(photo_id: str) -> str:
    """The one-time schedule, armed before a decision is stored, that makes sure it was acted on."""
    return f"publish-check-{photo_id}"


def review_url(base_url: str, photo_id: str, token: str | None = None) -> str:
    """The review page of ``photo_id`` under ``base_url`` (with ``?t=token`` when given)."""
    url = f"{base_url.rstrip('/')}/review/{quote(photo_id, safe='')}"
    return f"{url}?t={token}" if token else url


#: the group every photo needs one approval from: the approvers list (SSM /<stack>/approvers)
APPROVERS = ""


@dataclass(frozen=True)
class Need:
    """One approval a photo needs: from someone in ``group`` (``APPROVERS``: the approvers list).
    ``who`` names such a person to an approver ("a safeguarding lead") and ``why`` says why."""

    group: str = APPROVERS
    who: str = "an approver"
    why: str = ""


def assigned(needs: Sequence[Need], approvers: Sequence[str], members: Mapping[str, Iterable[str]]) -> dict[int, str]:
    """Which approver fills which need (by index), with as many needs filled as can be: each
    approver fills one need at most, of a group they belong to (``members``: group → addresses)."""
    groups = {group: {a.strip().lower() for a in found} for group, found in members.items()}
    people = list(dict.fromkeys(a.strip().lower() for a in approvers))
    filled: dict[int, str] = {}

    def place(person: str, tried: set[int]) -> bool:  # an augmenting path (needs and people are few)
        for index, need in enumerate(needs):
            if index in tried or person not in groups.get(need.group, set()):
                continue
            tried.add(index)
            if index not in filled or place(filled[index], tried):
                filled[index] = person
                return True
        return False

    for person in people:
        place(person, set())
    return filled


def unmet(needs: Sequence[Need], approvers: Sequence[str], members: Mapping[str, Iterable[str]]) -> list[Need]:
    """The needs ``approvers`` leave unfilled."""
    filled = assigned(needs, approvers, members)
    return [need for index, need in enumerate(needs) if index not in filled]


def counts(needs: Sequence[Need], approvers: Sequence[str], members: Mapping[str, Iterable[str]],
           person: str) -> bool:
    """Whether an approval by ``person`` would fill a need that ``approvers`` leave unfilled."""
    if any(same_address(person, a) for a in approvers):
        return False
    return len(assigned(needs, [*approvers, person], members)) > len(assigned(needs, approvers, members))
