"""The comment inbox's use cases: what a press officer does with a comment from the desk.

The guidance: comments "should either be answered, deleted if they are inappropriate, or followed
up if offensive (as per offensive comment reporting process)"; "respond to questions that you are
asked". Each action reads the comment afresh, asks the domain (:mod:`pressroom.domain.inbox`)
whether it may be done, and writes it conditionally on the revision read, with an audit item on the
photo's trail (who, what, when). An officer whose page showed an older revision is refused and shown
the comment as it now is, so two press officers acting at once never undo each other.

A reply is cleaned (:func:`pressroom.domain.text.clean`), then posted on the photo as the account.
Where ``comment_actions.toml`` sets ``reply_approval`` for the comment's kind (or the monitor was not
sure of the kind), it waits until a second press officer approves it. Posting is claimed first, so a
reply goes out once even when two officers press the button together; if the site fails, the claim is
handed back and the reply stays, unposted, to post again.

Unanswered questions past the target (office time, :class:`~pressroom.domain.inbox.OfficeHours`)
are reminded once (:meth:`Inbox.remind`): each is marked reminded before the one email goes, and
handed back if the email fails, so no question is reminded twice.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import Publisher, PublisherUnavailable
from pressroom.adapters.store import StaleInboxItem
from pressroom.domain import clock
from pressroom.domain.inbox import (
    REPLYABLE,
    TRANSITIONS,
    FollowUp,
    FollowUpAction,
    InboxItem,
    InboxRefused,
    InboxState,
    OfficeHours,
    PendingReply,
    check_approval,
    check_move,
    check_reply,
    due_by,
    may_post,
    past_target,
    response_time,
)
from pressroom.domain.text import clean
from pressroom.guidance.comment_actions import CommentActions
from pressroom.guidance.comment_actions import load as load_actions
from pressroom.guidance.comment_rules import Kind
from pressroom.web.audit import format_event
from pressroom.web.desk import DeskPage, Visitor
from pressroom.web.inbox import InboxRow, inbox_html

#: the approver group (``<groups_parameter_prefix><group>``) told of an escalated comment, with the control room
ESCALATION_GROUP = "safeguarding-leads"
#: a note or a follow-up's text keeps at most this many characters
MAX_NOTE = 1000
#: attempts at a write that lost a race to another officer's (re-read and re-checked each time)
ATTEMPTS = 3
#: kinds whose follow-up (the offensive comment reporting process) the page asks for
FOLLOWED_UP = frozenset({Kind.OFFENSIVE.value, Kind.THREAT.value})
#: what the monitor did, as the page says it
_MONITOR_DID = {"replied": "Pressroom posted its standard reply.", "deleted": "Pressroom deleted it from Flickr."}


class InboxStore(Protocol):
    def inbox(self, state: InboxState, limit: int | None = 200) -> list[InboxItem]: ...

    def inbox_item(self, comment_id: str) -> InboxItem | None: ...

    def save_inbox(self, before: InboxItem, after: InboxItem, *, actor: str, event: str,
                   detail: dict[str, Any] | None = None) -> InboxItem: ...

    def audit(self, photo_id: str) -> list[dict[str, Any]]: ...


class InboxNotFound(LookupError):
    """No comment with this id is in the inbox."""


class ChangedMeanwhile(InboxRefused):
    """The comment changed since the officer's page showed it."""


@dataclass(frozen=True)
class Inbox:
    store: InboxStore
    publisher: Publisher
    mailer: Mailer
    press_office: Callable[[], list[str]]
    #: who hears of an escalated comment (safeguarding, the control room)
    escalation: Callable[[], list[str]]
    hours: OfficeHours
    target: timedelta
    actions: CommentActions = field(default_factory=load_actions)
    desk_url: str = ""
    now: Callable[[], datetime] = clock.now

    # -- reading ---------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {state.value: len(self.store.inbox(state)) for state in InboxState}

    def rows(self, state: InboxState, visitor: str) -> list[InboxRow]:
        """The comments in ``state`` as the page shows them to ``visitor``: the oldest first while
        they wait for someone (new, escalated), else the most recently changed first."""
        items = self.store.inbox(state)
        if state in REPLYABLE:
            items = sorted(items, key=lambda i: i.arrived_at)
        trails: dict[str, list[dict[str, Any]]] = {}  # each photo's audit trail, read once for all its comments
        for item in items:
            if item.photo_id not in trails:
                trails[item.photo_id] = self.store.audit(item.photo_id)
        return [self.row(item, visitor, trail=trails[item.photo_id]) for item in items]

    def row(self, item: InboxItem, visitor: str, *, trail: list[dict[str, Any]] | None = None) -> InboxRow:
        """``item`` as the page shows it to ``visitor``, with its history from ``trail`` (its
        photo's audit trail) when given."""
        now = self.now()
        arrived = clock.parse_time(item.arrived_at)
        waiting = item.kind == Kind.QUESTION.value and item.state == InboxState.NEW and arrived is not None
        due = due_by(item, self.hours, self.target)
        taken = response_time(item, self.hours)
        pending = item.pending
        moves = TRANSITIONS[item.state] if pending is None else frozenset()
        return InboxRow(
            comment_id=item.comment_id, revision=item.revision, kind=item.kind.replace("-", " "),
            state=item.state.value, text=item.text, author_name=item.author_name,
            photo_title=item.photo_title or item.photo_id, photo_url=_web_link(item.photo_url),
            permalink=_web_link(item.permalink),
            arrived=self._local(arrived), assignee=item.assignee, unsure=not item.sure,
            monitor_did=" ".join(_MONITOR_DID[d] for d in item.monitor_did if d in _MONITOR_DID),
            waited=_duration(self.hours.working_time(arrived, now)) if waiting and arrived else "",
            due=self._local(due), past_target=past_target(item, self.hours, self.target, now),
            reply_text=item.reply_text, answered_by=item.answered_by, response=_duration(taken) if taken else "",
            pending_text=pending.text if pending else "", pending_by=pending.by if pending else "",
            pending_needs_approval=bool(pending and pending.needs_approval and not pending.approved_by),
            reply_needs_approval=self.needs_approval(item),
            follow_ups=tuple(f"{f.action.value.capitalize()} by {f.by}, {self._local(clock.parse_time(f.at))}"
                             + (f": {f.note}" if f.note else "") for f in item.follow_ups),
            can_reply=item.state in REPLYABLE and pending is None,
            can_approve=bool(pending and pending.needs_approval and not pending.approved_by and pending.by != visitor),
            can_post=bool(pending and (not pending.needs_approval or pending.approved_by)),
            can_withdraw=pending is not None,
            can_escalate=InboxState.ESCALATED in moves, can_delete=InboxState.DELETED in moves,
            can_resolve=InboxState.RESOLVED in moves and not (item.kind == Kind.OFFENSIVE.value and not item.follow_ups),
            can_follow_up=item.state != InboxState.RESOLVED and (item.kind in FOLLOWED_UP
                                                                 or item.state == InboxState.DELETED),
            can_assign=item.state != InboxState.RESOLVED,
            history=tuple(format_event(e) for e in trail or ()
                          if (e.get("detail") or {}).get("comment_id") == item.comment_id),
        )

    def item(self, comment_id: str) -> InboxItem:
        found = self.store.inbox_item(comment_id)
        if found is None:
            raise InboxNotFound(f"no comment {comment_id!r} in the inbox")
        return found

    def needs_approval(self, item: InboxItem) -> bool:
        """Whether a reply to ``item`` waits for a second press officer: its kind's rule says so, or
        the monitor was not sure what kind it is."""
        try:
            kind = Kind(item.kind)
        except ValueError:
            return True
        return self.actions[kind].reply_approval or not item.sure

    # -- acting ----------------------------------------------------------------------------------
    def assign(self, comment_id: str, assignee: str, *, by: str, seen: int | None = None) -> InboxItem:
        """Give the comment to ``assignee`` ("" for nobody)."""
        who = clean(assignee).strip()[:200]

        def change(item: InboxItem) -> InboxItem:
            if item.state == InboxState.RESOLVED:
                raise InboxRefused("This comment is resolved; nobody needs to have it.")
            return dataclasses.replace(item, assignee=who)

        return self._change(comment_id, seen, by, "comment-assigned", change, {"assignee": who or "nobody"})

    def reply(self, comment_id: str, text: str, *, by: str, seen: int | None = None) -> InboxItem:
        """Post ``text`` on the photo as the account, or hold it for a second press officer's approval."""
        words = clean(text, lines=True).strip()
        item = self._fresh(comment_id, seen)
        check_reply(item, words)
        needs = self.needs_approval(item)
        pending = PendingReply(words, by, clock.iso(self.now()), needs, posting_at="" if needs else clock.iso(self.now()))
        held = self._save(item, dataclasses.replace(item, pending=pending), by,
                               "comment-reply-awaiting-approval" if needs else "comment-reply-posting", {"text": words})
        if needs:
            self._ask_approval(held)
            return held
        return self._post(held, by)

    def post_reply(self, comment_id: str, *, by: str, seen: int | None = None) -> InboxItem:
        """Approve (a second press officer) and post the waiting reply, or post again one the site failed."""
        item = self._fresh(comment_id, seen)
        pending = item.pending
        if pending is None:
            raise InboxRefused("There is no reply waiting to be posted.")
        if pending.needs_approval and not pending.approved_by:
            check_approval(item, by)
            pending = dataclasses.replace(pending, approved_by=by)
        if not may_post(pending, self.now()):
            raise InboxRefused("This reply is being posted right now.")
        claimed = self._save(item, dataclasses.replace(item, pending=dataclasses.replace(
            pending, posting_at=clock.iso(self.now()))), by,
            "comment-reply-approved" if pending.approved_by == by else "comment-reply-posting",
            {"text": pending.text})
        return self._post(claimed, by)

    def withdraw_reply(self, comment_id: str, *, by: str, seen: int | None = None) -> InboxItem:
        """Drop a reply that waits (for approval, or to be posted again)."""
        def change(item: InboxItem) -> InboxItem:
            if item.pending is None:
                raise InboxRefused("There is no reply waiting.")
            if not may_post(item.pending, self.now()):
                raise InboxRefused("This reply is being posted right now.")
            return dataclasses.replace(item, pending=None)

        return self._change(comment_id, seen, by, "comment-reply-withdrawn", change, {})

    def escalate(self, comment_id: str, note: str = "", *, by: str, seen: int | None = None) -> InboxItem:
        """Pass the comment to safeguarding (and the control room): they are emailed it first."""
        words = _note(note)
        item = self._fresh(comment_id, seen)
        check_move(item, InboxState.ESCALATED)
        self.mailer.send(self._escalation_email(item, words, by))
        return self._change(comment_id, None, by, "comment-escalated", _moved(InboxState.ESCALATED), {"note": words})

    def delete(self, comment_id: str, note: str = "", *, by: str, seen: int | None = None) -> InboxItem:
        """Delete the comment on Flickr (gone already is fine), then mark it deleted; its text stays here."""
        words = _note(note)
        item = self._fresh(comment_id, seen)
        check_move(item, InboxState.DELETED)
        self.publisher.delete_comment(item.comment_id)
        return self._change(comment_id, None, by, "comment-deleted", _moved(InboxState.DELETED), {"note": words})

    def resolve(self, comment_id: str, note: str = "", *, by: str, seen: int | None = None) -> InboxItem:
        words = _note(note)
        return self._change(comment_id, seen, by, "comment-resolved", _moved(InboxState.RESOLVED), {"note": words})

    def follow_up(self, comment_id: str, action: str, note: str = "", *, by: str, seen: int | None = None) -> InboxItem:
        """Record what was done about the comment (hidden, deleted or reported), by whom, when, and a note."""
        try:
            done = FollowUpAction(action)
        except ValueError:
            raise InboxRefused("Choose what was done: hidden, deleted or reported.") from None
        record = FollowUp(done, by, clock.iso(self.now()), _note(note))

        def change(item: InboxItem) -> InboxItem:
            if item.state == InboxState.RESOLVED:
                raise InboxRefused("This comment is resolved; its record is closed.")
            return dataclasses.replace(item, follow_ups=(*item.follow_ups, record))

        return self._change(comment_id, seen, by, "comment-followed-up", change, record.as_json())

    # -- the reminder ----------------------------------------------------------------------------
    def remind(self) -> int:
        """Email the press office once about the questions past the target that were not reminded
        of yet; how many were in the email. Each is marked before the email goes (so none is
        reminded twice), and handed back if the email fails (so the next run tries again)."""
        now = self.now()
        marked: list[InboxItem] = []
        for item in self.store.inbox(InboxState.NEW):
            if item.reminded_at or not past_target(item, self.hours, self.target, now):
                continue
            try:
                marked.append(self.store.save_inbox(item, dataclasses.replace(item, reminded_at=clock.iso(now)),
                                                    actor="inbox", event="comment-reminder-sent", detail={}))
            except StaleInboxItem:
                continue  # someone acted on it meanwhile: the next run looks again
        if not marked:
            return 0
        try:
            self.mailer.send(self._reminder_email(marked))
        except Exception:
            for item in marked:
                self._change(item.comment_id, None, "inbox", "comment-reminder-failed",
                             lambda i: dataclasses.replace(i, reminded_at=""), {})
            raise
        return len(marked)

    # -- internals -------------------------------------------------------------------------------
    def _fresh(self, comment_id: str, seen: int | None) -> InboxItem:
        item = self.item(comment_id)
        if seen is not None and seen != item.revision:
            raise ChangedMeanwhile("Someone changed this comment since your page showed it: here it is as it is now.")
        return item

    def _save(self, before: InboxItem, after: InboxItem, by: str, event: str,
                   detail: dict[str, Any]) -> InboxItem:
        """One conditional write: a race lost is the officer's to look at again."""
        try:
            return self.store.save_inbox(before, after, actor=by, event=event, detail=detail)
        except StaleInboxItem:
            raise ChangedMeanwhile("Another press officer acted on this comment at the same moment: "
                                   "here it is as it is now.") from None

    def _change(self, comment_id: str, seen: int | None, by: str, event: str,
                change: Callable[[InboxItem], InboxItem], detail: dict[str, Any]) -> InboxItem:
        """Apply ``change`` to the comment as it is now; a write that loses a race is re-read and
        re-checked (so the change applies to what the other officer left, or is refused)."""
        for attempt in range(ATTEMPTS):
            item = self._fresh(comment_id, seen if attempt == 0 else None)
            try:
                return self.store.save_inbox(item, change(item), actor=by, event=event, detail=detail)
            except StaleInboxItem:
                continue
        raise ChangedMeanwhile("Other press officers kept changing this comment: look at it again.")

    def _post(self, item: InboxItem, by: str) -> InboxItem:
        pending = item.pending
        assert pending is not None
        try:
            reply_id = self.publisher.reply(item.site_photo_id, pending.text)
        except Exception:
            self._change(item.comment_id, None, by, "comment-reply-not-posted",
                         lambda i: dataclasses.replace(i, pending=dataclasses.replace(
                             i.pending, posting_at="")) if i.pending else i, {})
            raise

        def answered(current: InboxItem) -> InboxItem:
            check_move(current, InboxState.ANSWERED)
            return dataclasses.replace(current, state=InboxState.ANSWERED, answered_at=clock.iso(self.now()),
                                       answered_by=pending.by, reply_text=pending.text, reply_id=reply_id,
                                       pending=None)

        return self._change(item.comment_id, None, by, "comment-answered", answered,
                            {"reply_id": reply_id, "text": pending.text, "written_by": pending.by,
                             "approved_by": pending.approved_by})

    def _local(self, when: datetime | None) -> str:
        if when is None:
            return ""
        return when.astimezone(ZoneInfo(self.hours.timezone)).strftime("%a %-d %b %H:%M")

    def _link(self, item: InboxItem) -> str:
        return f"{self.desk_url}/desk/comments?state={item.state.value}#c-{item.comment_id}" if self.desk_url else ""

    def _about(self, item: InboxItem) -> list[str]:
        return [f"On the photo \"{item.photo_title or item.photo_id}\" {item.photo_url}",
                f"From:    {item.author_name} ({item.author}), {self._local(clock.parse_time(item.arrived_at))}",
                f"Read as: {item.kind}{'' if item.sure else ' (Pressroom was not sure)'}",
                "Comment:", *[f"  {line}" for line in item.text.splitlines() or [""]]]

    def _ask_approval(self, item: InboxItem) -> None:
        pending = item.pending
        assert pending is not None
        to = [a for a in self.press_office() if a.lower() != pending.by.lower()] or self.press_office()
        lines = [f"{pending.by} wrote a reply to a comment ({item.kind}); a second press officer approves it "
                 "before it is posted on Flickr.", "", *self._about(item), "", "The reply:",
                 *[f"  {line}" for line in pending.text.splitlines()], "",
                 f"Approve or withdraw it on the desk: {self._link(item)}" if self.desk_url else
                 "Approve or withdraw it in the desk's comment inbox."]
        self.mailer.send(Email(to=to, subject=f"Pressroom: a reply waits for your approval ({item.kind})",
                               text="\n".join(lines)))

    def _escalation_email(self, item: InboxItem, note: str, by: str) -> Email:
        to = list(dict.fromkeys(self.escalation() + self.press_office()))
        lines = [f"{by} escalated a comment on the force's Flickr account.", "", *self._about(item), "",
                 *([f"Note: {note}", ""] if note else []),
                 f"Link on Flickr: {item.permalink or 'none'}", f"Comment reference: {item.comment_id}"]
        return Email(to=to, subject=f"Pressroom: a comment ({item.kind}) was escalated to you", text="\n".join(lines),
                     headers={"Importance": "high"})

    def _reminder_email(self, items: list[InboxItem]) -> Email:
        now = self.now()
        lines = [f"{len(items)} question(s) on the force's Flickr photos waited longer than the target "
                 f"({_duration(self.target)} of office time) without an answer. The guidance asks us to respond to "
                 "questions we are asked. This reminder is sent once per question.", ""]
        for n, item in enumerate(sorted(items, key=lambda i: i.arrived_at), 1):
            arrived = clock.parse_time(item.arrived_at)
            waited = _duration(self.hours.working_time(arrived, now)) if arrived else "?"
            lines += [f"{n}. Waiting {waited}{', assigned to ' + item.assignee if item.assignee else ''}",
                      *[f"   {line}" for line in self._about(item)], *([f"   {self._link(item)}"] if self.desk_url else []),
                      ""]
        return Email(to=self.press_office(), subject=f"Pressroom: {len(items)} question(s) past the answer target",
                     text="\n".join(lines))


def _moved(to: InboxState) -> Callable[[InboxItem], InboxItem]:
    def change(item: InboxItem) -> InboxItem:
        check_move(item, to)
        return dataclasses.replace(item, state=to)

    return change


def _web_link(url: str) -> str:
    """``url`` if it is a web address, else "" (a link from the site is shown, never a ``javascript:`` one)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _note(note: str) -> str:
    words = clean(note, lines=True).strip()
    if len(words) > MAX_NOTE:
        raise InboxRefused(f"A note has at most {MAX_NOTE} characters; this one has {len(words)}.")
    return words


def _duration(span: timedelta) -> str:
    """``15 min``, ``2 h 5 min``, ``3 h``."""
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass(frozen=True)
class InboxPages:
    """The inbox's desk pages: what the desk function's routes call, once it has checked the
    visitor's group (press-office; safeguarding for :meth:`escalated`) and a POST's CSRF token."""

    inbox: Inbox
    #: the press officers a comment may be assigned to (beside the visitor)
    officers: Callable[[], list[str]]

    def page(self, visitor: Visitor, *, state: str = "new", csrf: str, message: str = "", error: str = "",
             error_id: str = "", status: int = 200) -> DeskPage:
        """``GET /desk/comments?state=...``: the comments in ``state`` (new when it is not a state)."""
        chosen = InboxState(state) if state in {s.value for s in InboxState} else InboxState.NEW
        rows = self.inbox.rows(chosen, visitor.email)
        officers = list(dict.fromkeys([visitor.email, *self.officers(), *(r.assignee for r in rows if r.assignee)]))
        return DeskPage(status, inbox_html(visitor=visitor, csrf=csrf, state=chosen.value, counts=self.inbox.counts(),
                                           rows=rows, officers=officers, target=_duration(self.inbox.target)
                                           + " of office time", message=message, error=error, error_id=error_id))

    def escalated(self, visitor: Visitor, *, csrf: str) -> DeskPage:
        """``GET /desk/escalated``: the escalated comments, to read only (safeguarding)."""
        rows = [dataclasses.replace(self.inbox.row(item, visitor.email), can_reply=False, can_approve=False,
                                    can_post=False, can_withdraw=False, can_escalate=False, can_delete=False,
                                    can_resolve=False, can_follow_up=False, can_assign=False)
                for item in self.inbox.store.inbox(InboxState.ESCALATED)]
        return DeskPage(200, inbox_html(visitor=visitor, csrf=csrf, state=InboxState.ESCALATED.value, counts={},
                                        rows=rows, read_only=True, here="/desk/escalated"))

    def act(self, visitor: Visitor, comment_id: str, action: str, posted: dict[str, Any], *, csrf: str) -> DeskPage:
        """``POST /desk/comments/<comment_id>/<action>`` (the form's fields in ``posted``): do it as
        the visitor, then show the page again with what happened, or why not (400: refused; 404:
        no such comment; 409: changed meanwhile; 503: Flickr unreachable, nothing lost)."""
        by = visitor.email
        seen = _revision(posted.get("revision"))
        state = str(posted.get("state", "new"))
        note = str(posted.get("note", ""))
        doing: dict[str, Callable[[], InboxItem]] = {
            "assign": lambda: self.inbox.assign(comment_id, str(posted.get("assignee", "")), by=by, seen=seen),
            "reply": lambda: self.inbox.reply(comment_id, str(posted.get("text", "")), by=by, seen=seen),
            "post-reply": lambda: self.inbox.post_reply(comment_id, by=by, seen=seen),
            "withdraw-reply": lambda: self.inbox.withdraw_reply(comment_id, by=by, seen=seen),
            "escalate": lambda: self.inbox.escalate(comment_id, note, by=by, seen=seen),
            "delete": lambda: self.inbox.delete(comment_id, note, by=by, seen=seen),
            "resolve": lambda: self.inbox.resolve(comment_id, note, by=by, seen=seen),
            "follow-up": lambda: self.inbox.follow_up(comment_id, str(posted.get("action", "")), note, by=by,
                                                      seen=seen),
        }
        if action not in doing:
            return self.page(visitor, state=state, csrf=csrf, error="There is no such action.", status=404)
        try:
            item = doing[action]()
        except InboxNotFound:
            return self.page(visitor, state=state, csrf=csrf, error="That comment is not in the inbox.", status=404)
        except ChangedMeanwhile as exc:
            return self.page(visitor, state=state, csrf=csrf, error=str(exc), error_id=comment_id, status=409)
        except InboxRefused as exc:
            return self.page(visitor, state=state, csrf=csrf, error=str(exc), error_id=comment_id, status=400)
        except PublisherUnavailable:
            return self.page(visitor, state=state, csrf=csrf, error_id=comment_id, status=503,
                             error="Flickr could not be reached, so nothing changed there; what you wrote is kept. "
                                   "Try again in a few minutes.")
        return self.page(visitor, state=state, csrf=csrf, message=_DONE[action](item))


#: what the page says once an action is done
_DONE: dict[str, Callable[[InboxItem], str]] = {
    "assign": lambda i: f"Assigned to {i.assignee}." if i.assignee else "Assigned to nobody.",
    "reply": lambda i: ("The reply waits for a second press officer's approval." if i.pending
                        else "The reply is posted on Flickr."),
    "post-reply": lambda i: "The reply is posted on Flickr.",
    "withdraw-reply": lambda i: "The reply was withdrawn.",
    "escalate": lambda i: "Escalated: safeguarding and the press office were emailed.",
    "delete": lambda i: "Deleted from Flickr; its text stays here.",
    "resolve": lambda i: "Resolved.",
    "follow-up": lambda i: "The follow-up is recorded.",
}


def _revision(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
