"""The comment inbox page of the desk (``templates/desk/inbox.html``), filled in from plain data.

Every comment is shown as the monitor read it: its class, its state, who has it, the comment
itself (escaped by Jinja2, so a comment can never become markup), how long it waited in office
hours, and what a press officer may do with it now. Every form posts with the desk's CSRF token and
the revision the officer saw, so an action on a comment someone else changed meanwhile is refused
and the page shown again as it now is.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pressroom.web.desk import Visitor, desk_html

#: the inbox's states as the page names them, in the order of the state picker
STATES = (("new", "New"), ("escalated", "Escalated"), ("answered", "Answered"), ("deleted", "Deleted"),
          ("resolved", "Resolved"))
#: the follow-up choices of the offensive comment reporting process
FOLLOW_UPS = (("hidden", "Hidden"), ("deleted", "Deleted"), ("reported", "Reported"))
PATH = "/desk/comments"


@dataclass(frozen=True)
class InboxRow:
    """One comment, ready to show: every value is text or a flag, nothing to compute in the template."""

    comment_id: str
    revision: int
    kind: str
    state: str
    text: str
    author_name: str
    photo_title: str
    photo_url: str
    permalink: str
    #: when it arrived, in the office's time zone ("Fri 4 Dec 16:55")
    arrived: str
    assignee: str = ""
    #: the kind is the monitor's guess (it was not sure)
    unsure: bool = False
    #: what the monitor did in public before anyone looked ("The crime-reporting reply was posted.")
    monitor_did: str = ""
    #: a question still waiting: office time waited so far, and when it passes the target
    waited: str = ""
    due: str = ""
    past_target: bool = False
    #: once answered: the reply, who wrote it, and the response time in office hours
    reply_text: str = ""
    answered_by: str = ""
    response: str = ""
    #: a reply written on the desk but not posted
    pending_text: str = ""
    pending_by: str = ""
    pending_needs_approval: bool = False
    #: whether a reply written now would wait for a second press officer
    reply_needs_approval: bool = False
    follow_ups: tuple[str, ...] = ()
    #: what the visitor may do now
    can_reply: bool = False
    can_approve: bool = False
    can_post: bool = False
    can_withdraw: bool = False
    can_escalate: bool = False
    can_delete: bool = False
    can_resolve: bool = False
    can_follow_up: bool = False
    can_assign: bool = False
    history: tuple[str, ...] = field(default_factory=tuple)


def inbox_html(*, visitor: Visitor, csrf: str, state: str, counts: dict[str, int], rows: Sequence[InboxRow],
               officers: Sequence[str] = (), target: str = "", message: str = "", error: str = "",
               error_id: str = "", read_only: bool = False, here: str = PATH) -> str:
    """The inbox page listing ``rows`` (the comments in ``state``), with ``counts`` per state.

    ``officers``: the press officers a comment may be assigned to; ``target``: the question target
    as words ("4 hours of office time"); ``error_id``: the comment the ``error`` is about (its
    actions are shown open); ``read_only``: one state's comments to read, no state picker (the
    safeguarding leads' view of escalated comments, at ``here``)."""
    if state not in dict(STATES):
        raise ValueError(f"unknown inbox state {state!r}")
    title = f"{dict(STATES)[state]} comments" if read_only else "Comments"
    return desk_html("inbox.html", title=title, visitor=visitor, here=here, csrf=csrf, state=state,
                     states=STATES, counts=counts, rows=rows, officers=officers, target=target, read_only=read_only,
                     follow_up_choices=FOLLOW_UPS, path=PATH, message=message, error=error, error_id=error_id,
                     kind="ok")
