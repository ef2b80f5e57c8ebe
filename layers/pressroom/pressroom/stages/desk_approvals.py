"""The desk's approval queue: the photos a signed-in approver has been asked to decide on, and the
review page for each, the same page and decision as the emailed link.

The queue holds the waiting photos whose approvers (``photo.approvers``: who the routing rules of
:mod:`pressroom.stages.request_approval` asked) include the visitor's address, that they did not
upload and have not approved already; a second approver or a safeguarding lead sees a photo once
the first approval has asked them, as their email would. Opening one issues a link of the emailed
kind (:func:`pressroom.domain.links.issue`) for the visitor and this photo, good for an hour, and
serves :meth:`pressroom.stages.approval_api.ApprovalApi.review` with it: the page's form posts to
``/review/<id>`` like the emailed page's, so the decision, its checks (the approver list, no
self-approval, second approvals, the CSRF token, one decision per photo) and its audit are that
API's. Opening a review from the desk is an audit event of the desk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock, links
from pressroom.domain.addresses import same_address
from pressroom.domain.photos import Photo, State
from pressroom.stages.approval_api import ApprovalApi, refusal
from pressroom.stages.request_approval import approved_by
from pressroom.web.desk import DeskPage, Visitor, desk_html
from pressroom.web.pages import Page, display_name

#: how long the link behind a review page opened from the desk works
DESK_LINK = timedelta(hours=1)
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class Queued:
    photo: Photo
    name: str
    progress: str


@dataclass(frozen=True)
class DeskApprovals:
    store: PhotoStore
    approvals: ApprovalApi
    signing_key: Callable[[], bytes]

    def waiting_for(self, visitor: Visitor) -> list[Photo]:
        """The waiting photos ``visitor`` was asked about and may still decide on, oldest first."""
        mine = [p for p in self.store.by_state(State.NEEDS_APPROVAL, QUEUE_LIMIT)
                if any(same_address(a, visitor.email) for a in p.approvers)
                and not same_address(p.uploader, visitor.email)
                and not any(same_address(a, visitor.email) for a in approved_by(p))]
        return sorted(mine, key=lambda p: p.created_at)

    def queue(self, visitor: Visitor, *, title: str, csrf: str, here: str) -> DeskPage:
        photos = [Queued(p, display_name(p), f"Approved so far by {', '.join(approved_by(p))}" if p.approvals else "")
                  for p in self.waiting_for(visitor)]
        return DeskPage(200, desk_html("approvals.html", title=title, visitor=visitor, here=here, csrf=csrf,
                                       photos=photos))

    def review(self, visitor: Visitor, photo_id: str, *, now: datetime | None = None) -> Page:
        """The review page of a photo in ``visitor``'s queue, or a refusal saying it is not."""
        now = now or clock.now()
        photo = next((p for p in self.waiting_for(visitor) if p.id == photo_id), None)
        if photo is None:
            return refusal(404, "Not in your queue", "This photo is not waiting for your decision: it was decided, "
                           "you were not asked about it, or you approved it already.")
        token = links.issue(self.signing_key(), photo.id, visitor.email, now + DESK_LINK)
        self.store.record_desk(actor=visitor.email, event="desk-review-opened", detail={"photo_id": photo.id})
        return self.approvals.review(photo.id, token, now=now)
