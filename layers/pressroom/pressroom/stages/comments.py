"""The comments monitor: every new comment on a published photo is read, and acted on by its kind.

The guidance: "Whenever we post photographs the site should be monitored for any comments
posted. These should either be answered, deleted if they are inappropriate, or followed up if
offensive (as per offensive comment reporting process)", and "We cannot accept reports of crime
through our social media sites. If somebody tries to report a crime, refer them to the
0345 113 5000 number".

A comment is read by the rules and the judge of meaning together (``guidance.comment_reading``);
what its kind makes the monitor do is configured in ``guidance/comment_actions.toml``: a threat is
deleted, kept as evidence in the audit trail and the press office (and the control room) alerted
at once; a disclosure of harm gets the reply with the emergency number, an urgent alert, and is
deleted when it names or places anyone; and so on. When the judge is unsure, nothing public is
done: the press office is asked to look. A comment that no action handles goes into the daily
digest, so a person sees every comment.

Each comment is handled once: its id is claimed in the store by a conditional write before
anything is done, and the claim is handed back if handling fails, so the next run tries again; a
claim left "handling" by a run that died (timeout, crash) is taken over once it is
:data:`CLAIM_LEASE` old. The press office is emailed before any public action (a reply, a
deletion), so a failure part-way never loses the email; the email and the reply are noted on the
claim once done, so a retry or takeover repeats neither, and a deletion is safe to repeat. An
author gets at most one reply on a photo (a conditional write per author and photo).

Watched are the photos published within the window and, at most once an hour (Flickr's limit on
its activity feed), older photos that the site's activity feed names as commented on within the
window; the cost follows the recent activity, not the size of the account. Only comments posted
within the window are handled (one with no time counts as posted when its photo was published):
the site lists every comment of a photo, and a seen marker outlives the window, so a comment on a
photo of any age is handled once, never again when its marker has expired.

The daily digest of day D (UTC) is sent by the first run from :data:`DIGEST_HOUR` o'clock the
next day, once: the run that takes the digest's claim (a conditional write) sends it, and hands
the claim back if the email fails; a run that died while sending leaves a claim taken over after
:data:`CLAIM_LEASE` (so a digest could, in that one case, arrive twice, never not at all).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import Comment, Publisher, PublisherUnavailable
from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock
from pressroom.domain.inbox import InboxItem, InboxState
from pressroom.domain.photos import Photo, State
from pressroom.domain.text import clean
from pressroom.guidance.comment_actions import CommentActions, KindActions, Plan, plan
from pressroom.guidance.comment_actions import load as load_actions
from pressroom.guidance.comment_reading import Reading, read
from pressroom.guidance.comment_rules import Kind

__all__ = ["CRIME_REPLY", "DISCLOSURE_REPLY", "CommentsIncomplete", "CommentsMonitor", "Kind", "classify"]

ACTOR = "comments"
#: photos published this long ago or less are watched, and comments posted this long ago or less handled
WINDOW = timedelta(days=30)
#: a seen-comment marker outlives the window its comment is handled in by this, then DynamoDB's TTL removes it
SEEN_MARGIN = timedelta(days=30)
#: the site's activity feed (older photos with new comments) is read at most this often
FEED_EVERY = timedelta(hours=1)
#: a claim still "handling" (or a digest still "sending") after this long was abandoned (the Lambda times out at 120 s)
CLAIM_LEASE = timedelta(minutes=15)
#: the digest of a day is sent from this hour (UTC) of the next day
DIGEST_HOUR = 7
#: days looked back for a digest not sent yet (every run of a whole day failed)
DIGEST_DAYS_BACK = 3
#: a digest's comments are kept this long, then DynamoDB's TTL removes them
DIGEST_KEPT = timedelta(days=14)

CRIME_REPLY = load_actions()[Kind.CRIME_REPORT].reply
DISCLOSURE_REPLY = load_actions()[Kind.DISCLOSURE].reply
#: the audit event of a kind acted on when sure
EVENTS = {
    Kind.THREAT: "comment-threat-removed",
    Kind.DISCLOSURE: "comment-disclosure-answered",
    Kind.CRIME_REPORT: "comment-crime-report-replied",
    Kind.OFFENSIVE: "comment-deleted-offensive",
    Kind.PERSONAL_DETAILS: "comment-deleted-personal-details",
    Kind.REMOVAL_REQUEST: "comment-removal-request-queued",
    Kind.QUESTION: "comment-question-queued",
    Kind.OTHER: "comment-recorded",
}


def classify(text: str) -> Reading:
    """How the deployed monitor reads ``text``: the rules and the shipped judge together."""
    from pressroom.guidance.comment_judge import shipped

    return read(text, shipped())


class CommentsIncomplete(Exception):
    """Some comments (or a digest) could not be handled or read; they are tried again on a later run."""


@dataclass(frozen=True)
class CommentsMonitor:
    store: PhotoStore
    publisher: Publisher
    mailer: Mailer
    press_office: Callable[[], list[str]]
    #: the control room's addresses, told of urgent comments beside the press office
    control_room: Callable[[], list[str]] = list
    reader: Callable[[str], Reading] = classify
    actions: CommentActions = field(default_factory=load_actions)
    window: timedelta = WINDOW
    digest_hour: int = DIGEST_HOUR
    now: Callable[[], datetime] = clock.now
    #: reminds the press office once of questions unanswered past the target (``Inbox.remind``): the
    #: monitor runs every 15 minutes, so a question is reminded within 15 minutes of passing it
    remind: Callable[[], int] | None = None

    def run(self) -> dict[str, int]:
        """Handle every new comment on the watched photos, then send any daily digest due; counts
        by outcome (``unsure``: verdicts only the press office was told of; ``digest``: sent)."""
        counts = {k.value: 0 for k in Kind} | {"seen": 0, "failed": 0, "photos": 0, "unsure": 0, "digest": 0,
                                             "reminded": 0}
        since = self.now() - self.window
        watched, unread = self._watched(since)
        counts["photos"] = len(watched)
        failures: list[str] = []
        for comment in map(_cleaned, self.publisher.comments(list(watched)) if watched else []):
            photo = watched.get(comment.photo_id)
            if photo is not None and not _posted_since(comment, photo, since):
                continue  # older than the window, so than any seen marker: it was handled when it was new
            done = self._claim(comment, photo) if photo is not None else None
            if photo is None or done is None:
                counts["seen"] += 1
                continue
            try:
                reading = self._handle(comment, photo, done)
            except Exception as exc:  # noqa: BLE001 - hand the claim back; the rest still get handled
                self.store.finish_comment(comment.id, "retry")
                failures.append(f"{comment.id}: {type(exc).__name__}: {exc}")
                counts["failed"] += 1
                continue
            self.store.finish_comment(comment.id, reading.kind.value)
            counts[reading.kind.value] += 1
            counts["unsure"] += not reading.sure
        problems = [f"{len(failures)} comment(s) not handled: " + "; ".join(failures)] if failures else []
        if unread:
            problems.append(f"older photos not checked for comments: {unread}")
        sent, digest_problem = self._send_digests()
        counts["digest"] = sent
        problems += [digest_problem] if digest_problem else []
        if self.remind is not None:
            try:
                counts["reminded"] = self.remind()
            except Exception as exc:  # noqa: BLE001 - the questions were handed back: the next run reminds them
                problems.append(f"the reminder of unanswered questions was not sent: {type(exc).__name__}: {exc}")
        if problems:
            raise CommentsIncomplete("; ".join(problems))
        return counts

    def _watched(self, since: datetime) -> tuple[dict[str, Photo], str]:
        """Published photos by their id on the site: those published within the window, and older ones
        the activity feed names (when it is due); and why the feed could not be read, if it could not."""
        watched: dict[str, Photo] = {}
        named: set[str] | None = None  # the feed's photos not met yet; the feed is read at the first older photo
        unread = ""
        for photo in self.store.each_in_state(State.PUBLISHED):
            site_id = str(photo.flickr.get("id") or "")
            published_at = _published_at(photo)
            if site_id and published_at is not None and published_at >= since:
                watched[site_id] = photo
                continue
            if named is None:
                named, unread = self._commented_since(since)
                named -= watched.keys()
            if site_id in named:
                watched[site_id] = photo
                named.discard(site_id)
            changed = clock.parse_time(photo.updated_at)
            if not named and changed is not None and changed < since:
                break  # the rest changed earlier still: all published before the window, and none named
        return watched, unread

    def _commented_since(self, since: datetime) -> tuple[set[str], str]:
        """The photos the site's activity feed names as commented on since ``since``, if the feed is
        due to be read (else none), and why it could not be read (its turn is handed back)."""
        now = self.now()
        if not self.store.claim_feed_read(clock.iso(now), clock.iso(now - FEED_EVERY)):
            return set(), ""
        try:
            return set(self.publisher.commented_since(since)), ""
        except PublisherUnavailable as exc:
            self.store.release_feed_read()
            return set(), str(exc)

    # -- one comment ---------------------------------------------------------------------------
    def _handle(self, comment: Comment, photo: Photo, done: dict[str, str]) -> Reading:
        """Act on ``comment``, skipping the steps in ``done`` (an earlier, unfinished handling's)."""
        reading = self.reader(comment.text)
        planned = plan(reading, self.actions)
        steps = planned.steps
        detail: dict[str, Any] = {"comment_id": comment.id, "author": comment.author,
                                  "author_name": comment.author_name, "kind": reading.kind.value,
                                  "confidence": reading.confidence, "sure": reading.sure, "by": reading.by,
                                  "signals": list(reading.signals)}
        if "evidence" in steps:  # a threat or disclosure: the only copy that survives its deletion
            detail["evidence"] = {"text": comment.text, "author": comment.author, "author_name": comment.author_name,
                                  "posted_at": comment.created_at, "permalink": comment.permalink,
                                  "seen_at": clock.iso(self.now())}
        if "alert" in steps:
            self._alert(comment, photo, reading, planned, self.actions[reading.kind], done)
        if planned.reply:
            detail |= self._reply_once(comment, planned.reply, done)
        if planned.delete:
            self.publisher.delete_comment(comment.id)  # already gone is fine
            detail["deleted"] = True
        if "digest" in steps:
            self._into_digest(comment, photo, reading)
        self.store.add_to_inbox(_inbox_item(comment, photo, reading, planned, detail, clock.iso(self.now())))
        event = EVENTS[reading.kind] if reading.sure else f"comment-{reading.kind.value}-to-check"
        self.store.record(photo.id, actor=ACTOR, event=event, detail=detail)
        return reading

    def _reply_once(self, comment: Comment, text: str, done: dict[str, str]) -> dict[str, Any]:
        """Post ``text`` on the photo unless this author was answered there already."""
        reply_id = done.get("replied")
        if reply_id is None:
            if not self.store.claim_reply(comment.photo_id, comment.author, comment.id, clock.iso(self.now())):
                return {"reply_skipped": "this author was answered on this photo already"}
            reply_id = self.publisher.reply(comment.photo_id, text)
            self.store.note_comment_step(comment.id, "replied", reply_id)
        return {"reply_id": reply_id}

    def _alert(self, comment: Comment, photo: Photo, reading: Reading, planned: Plan, kind: KindActions,
               done: dict[str, str]) -> None:
        if "emailed" in done:
            return
        title = photo.title or photo.id
        urgent, headline = planned.urgent, planned.headline
        if reading.sure:
            advice = [kind.advice]
            if planned.reply:
                advice += ["This reply is posted (once per author and photo):", f"  \"{planned.reply}\""]
            if planned.delete and "delete" not in planned.steps:
                why = "named or placed somebody" if reading.locates else f"held a {' and a '.join(reading.private)}"
                advice.append(f"It {why}, so it was also deleted from Flickr (keep this email: it is the only copy of "
                              "the comment).")
        else:
            advice = [f"Pressroom is not sure ({reading.confidence:.0%}), so nothing was done in public: no reply, "
                      "nothing deleted. If it is what it may be, act on it as the guidance asks "
                      f"({kind.headline.lower()}: {kind.advice})"]
        lines = [
            f"{headline} on the Flickr photo \"{title}\" (album {photo.album}):",
            f"  {photo.flickr.get('url', '')}",
            "",
            f"From:    {comment.author_name} ({comment.author})",
            f"Posted:  {comment.created_at or 'unknown'}",
            f"Link:    {comment.permalink or 'none'}",
            "Comment:",
            *[f"  {line}" for line in comment.text.splitlines() or [""]],
            "",
            *advice,
            "",
            f"Read as: {reading.kind.value} ({reading.confidence:.0%} sure, by {reading.by}).",
            *([f"It may also be: {' or '.join(k.value for k in reading.also)}. Please read it with that in mind; "
               "it is kept in the photo's audit trail."] if reading.also else []),
            *([f"It resembles: {'; '.join(repr(r.text) for r in reading.judge.resembles)}."]
              if reading.judge is not None and reading.judge.resembles else []),
            f"Flagged by: {', '.join(reading.signals) or 'its meaning'}. Photo reference: {photo.id}",
        ]
        recipients = self.press_office() + ([a for a in self.control_room() if a not in self.press_office()]
                                            if urgent and reading.sure else [])
        subject = f"{'URGENT: ' if urgent else ''}Pressroom: {headline[0].lower() + headline[1:]} on \"{title}\""
        self.mailer.send(Email(to=recipients, subject=subject, text="\n".join(lines),
                               headers={"Importance": "high", "X-Priority": "1"} if urgent else {}))
        self.store.note_comment_step(comment.id, "emailed", clock.iso(self.now()))

    # -- the daily digest -------------------------------------------------------------------------
    def _into_digest(self, comment: Comment, photo: Photo, reading: Reading) -> None:
        now = self.now()
        entry = {"comment_id": comment.id, "photo_id": photo.id, "photo_title": photo.title or photo.id,
                 "photo_url": str(photo.flickr.get("url", "")), "author": comment.author,
                 "author_name": comment.author_name, "text": comment.text, "posted_at": comment.created_at,
                 "permalink": comment.permalink, "kind": reading.kind.value, "confidence": reading.confidence,
                 "handled_at": clock.iso(now)}
        self.store.add_to_digest(now.date().isoformat(), comment.id, entry, int((now + DIGEST_KEPT).timestamp()))

    def _send_digests(self) -> tuple[int, str]:
        """Send each day's digest that is due and not sent yet (oldest first); how many were sent,
        and why one could not be."""
        now = self.now()
        sent = 0
        for back in range(DIGEST_DAYS_BACK, 0, -1):
            day = (now - timedelta(days=back)).date()
            if now < datetime.combine(day + timedelta(days=1), time(self.digest_hour), tzinfo=now.tzinfo):
                continue
            stamp = day.isoformat()
            if not self.store.claim_digest(stamp, clock.iso(now), clock.iso(now - CLAIM_LEASE),
                                            int((now + DIGEST_KEPT).timestamp())):
                continue
            try:
                entries = self.store.digest(stamp)
                if entries:
                    self.mailer.send(_digest_email(stamp, entries, self.press_office()))
                    sent += 1
            except Exception as exc:  # noqa: BLE001 - the next run sends it
                self.store.finish_digest(stamp, "retry")
                return sent, f"the digest of {stamp} was not sent: {type(exc).__name__}: {exc}"
            self.store.finish_digest(stamp, "sent" if entries else "empty")
        return sent, ""

    # -- seen markers ----------------------------------------------------------------------------
    def _claim(self, comment: Comment, photo: Photo) -> dict[str, str] | None:
        now = self.now()
        return self.store.claim_comment(comment.id, photo_id=photo.id, site_photo_id=comment.photo_id, now=clock.iso(now),
                                 stale_before=clock.iso(now - CLAIM_LEASE),
                                 expires_at=int((now + self.window + SEEN_MARGIN).timestamp()))


def _digest_email(day: str, entries: list[dict[str, Any]], to: list[str]) -> Email:
    """Every comment nobody acted on that day: photo, author, text, and what the judge made of it."""
    lines = [f"{len(entries)} comment(s) on the force's Flickr photos on {day} needed no action from Pressroom.",
             "The guidance asks that every comment is seen: please read them, and answer, delete or follow up "
             "any that need it.", ""]
    for n, entry in enumerate(entries, 1):
        lines += [
            f"{n}. On \"{entry.get('photo_title', '')}\" {entry.get('photo_url', '')}",
            f"   From:    {entry.get('author_name', '')} ({entry.get('author', '')}), posted {entry.get('posted_at') or 'unknown'}",
            f"   Read as: {entry.get('kind', '')} ({float(entry.get('confidence') or 0):.0%} sure)",
            f"   Link:    {entry.get('permalink') or 'none'}",
            *[f"   | {line}" for line in str(entry.get("text", "")).splitlines() or [""]],
            "",
        ]
    return Email(to=to, subject=f"Pressroom: daily digest of {len(entries)} comment(s), {day}", text="\n".join(lines))


def _cleaned(comment: Comment) -> Comment:
    """``comment`` as clean text (:mod:`pressroom.domain.text`): it is read, mailed and recorded."""
    return dataclasses.replace(
        comment, text=clean(comment.text, lines=True), author=clean(comment.author),
        author_name=clean(comment.author_name), created_at=clean(comment.created_at),
        permalink=clean(comment.permalink))


def _inbox_item(comment: Comment, photo: Photo, reading: Reading, planned: Plan, detail: dict[str, Any],
                now: str) -> InboxItem:
    """The comment as the inbox keeps it: deleted if the monitor deleted it, answered if it posted
    the standard reply, else new for the press office."""
    replied = bool(detail.get("reply_id"))
    did = tuple(d for d, done in (("replied", replied), ("deleted", planned.delete)) if done)
    state = InboxState.DELETED if planned.delete else InboxState.ANSWERED if replied else InboxState.NEW
    return InboxItem(
        comment_id=comment.id, photo_id=photo.id, site_photo_id=comment.photo_id, kind=reading.kind.value,
        text=comment.text, author=comment.author, author_name=comment.author_name,
        arrived_at=clock.iso(posted) if (posted := clock.parse_time(comment.created_at)) else now, state=state,
        photo_title=photo.title or photo.id, photo_url=str(photo.flickr.get("url", "")), permalink=comment.permalink,
        confidence=reading.confidence, sure=reading.sure, monitor_did=did,
        answered_at=now if replied else "", answered_by=ACTOR if replied else "",
        reply_text=planned.reply if replied else "", reply_id=str(detail.get("reply_id") or ""))


def _published_at(photo: Photo) -> datetime | None:
    return clock.parse_time(photo.flickr.get("published_at")) or clock.parse_time(photo.updated_at)


def _posted_since(comment: Comment, photo: Photo, since: datetime) -> bool:
    """Whether ``comment`` was posted at ``since`` or later (one with no time, after its photo was published)."""
    posted = clock.parse_time(comment.created_at) or _published_at(photo)
    return posted is not None and posted >= since

