"""The stale-account reminder: the press office hears when nothing was published for N days.

After every publish the one-time schedule ``stale-account`` is moved to N days later (the
ACCOUNT item records the last publish time, the schedule's name and its due time); until the
first publish, the comments run arms it N days after it first finds it unarmed
(:meth:`ReminderTimer.ensure_armed`), so a deployment that never publishes is reminded too. When it
fires, the press office is reminded, and it is armed again for another N days, so the reminder
repeats until someone publishes. A firing that a later publish or reminder has overtaken does
nothing but make sure the current timer is armed; a repeated firing sends nothing twice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.store import PhotoStore
from pressroom.adapters.timers import Timers
from pressroom.domain import clock
from pressroom.domain.photos import State
from pressroom.settings import Settings

SCHEDULE = "stale-account"
KIND = "stale-account"
#: a firing this close to the N-day mark counts as due (schedules have one-second precision)
GRACE = timedelta(minutes=5)
#: how soon an overtaken firing whose reminder never went out is fired again
CATCH_UP = timedelta(minutes=1)
GUIDANCE = (
    "it's important that you don't leave your account without an update for weeks",
    "Add images on a regular basis to ensure the site is maintained.",
)


def due_iso(when: datetime) -> str:
    """A due time as the schedule payload carries it: UTC, whole seconds, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_after(published_at: datetime, stale_after: timedelta) -> datetime:
    """``published_at + stale_after``, rounded up to the whole second a schedule can express."""
    due = published_at + stale_after
    return due.replace(microsecond=0) + (timedelta(seconds=1) if due.microsecond else timedelta(0))


def assess(account: dict[str, Any], due: str, now: datetime, stale_after: timedelta) -> str:
    """What a firing for ``due`` should do, given the ACCOUNT item:

    ``fresh`` (a photo was published within N days), ``superseded`` (a later publish or
    reminder moved the timer), ``already-reminded`` (this firing was handled) or ``remind``.
    """
    last = clock.parse_time(account.get("last_published_at"))
    if last is not None and now < last + stale_after - GRACE:
        return "fresh"
    current = account.get("stale_due")
    if current and current != due:
        return "superseded"
    if account.get("reminded_due") == due:
        return "already-reminded"
    return "remind"


def reminder_email(recipients: list[str], *, now: datetime, last_published: datetime | None,
                   waiting: int, failed: int, every_days: int) -> Email:
    """The reminder: how long it has been, what the guidance says, what is waiting."""
    if last_published is None:
        days = None
        opening = "No photo has been published to the force's Flickr account yet."
        subject = "Pressroom: nothing has been published to Flickr yet"
    else:
        days = (now - last_published).days
        opening = (f"No photo has been published to the force's Flickr account for {days} "
                   f"day{'s' if days != 1 else ''} (the last one on {last_published:%d %B %Y at %H:%M} UTC).")
        subject = f"Pressroom: nothing published to Flickr for {days} day{'s' if days != 1 else ''}"
    lines = [
        opening,
        "",
        f"The force's Flickr guidance says \"{GUIDANCE[0]}\", and: \"{GUIDANCE[1]}\"",
        "",
        f"Photos waiting for approval: {waiting}.",
    ]
    if failed:
        lines.append(f"Approved photos that could not be published: {failed} "
                     "(see `pressroom status`, then `pressroom retry PHOTO_ID`).")
    lines += ["", f"This reminder repeats every {every_days} day{'s' if every_days != 1 else ''} "
                  "until a photo is published."]
    return Email(to=recipients, subject=subject, text="\n".join(lines))


@dataclass(frozen=True)
class ReminderTimer:
    """Keeps the ``stale-account`` schedule and the ACCOUNT item in step."""

    settings: Settings
    store: PhotoStore
    timers: Timers

    @property
    def stale_after(self) -> timedelta:
        return timedelta(days=self.settings.stale_after_days)

    def after_publish(self, published_at: datetime) -> None:
        """Record a publish and move the reminder to N days later (idempotent; an older publish
        recorded after a newer one changes nothing)."""
        due = due_after(published_at, self.stale_after)
        when = clock.iso(published_at)
        self.store.update_account({"last_published_at": when, "stale_schedule": SCHEDULE,
                                   "stale_due": due_iso(due)}, if_newer=when)
        if self.store.account().get("stale_due") == due_iso(due):
            self.arm(due)

    def ensure_armed(self, now: datetime) -> datetime | None:
        """Arm the reminder N days from ``now`` if nothing has yet (a deployment that has never
        published); return its due time, or None when it was armed already. Costs one consistent
        read of the ACCOUNT item when it is. The schedule is armed before the ACCOUNT item records
        it: a crash between leaves a schedule whose firing still reminds (and records it)."""
        if self.store.account().get("stale_due") or self.timers.due(SCHEDULE) is not None:
            return None
        due = due_after(now, self.stale_after)
        self.arm(due)
        if not self.store.update_account({"stale_schedule": SCHEDULE, "stale_due": due_iso(due)},
                                         if_absent="stale_due"):
            return None  # a publish armed it meanwhile: its firing finds this one superseded
        return due

    def arm(self, due: datetime, payload_due: str | None = None) -> None:
        self.timers.arm(SCHEDULE, due, self.settings.staleness_function_arn,
                        {"kind": KIND, "due": payload_due or due_iso(due)})


@dataclass(frozen=True)
class StalenessReminder:
    """Handles one firing of the ``stale-account`` schedule."""

    timer: ReminderTimer
    mailer: Mailer
    press_office: Callable[[], list[str]]
    now: Callable[[], datetime] = clock.now

    @property
    def _store(self) -> PhotoStore:
        return self.timer.store

    def fire(self, due: str) -> str:
        """Remind the press office if nothing was published for N days; return what was done."""
        now = self.now()
        account = self._store.account()
        verdict = assess(account, due, now, self.timer.stale_after)
        if verdict in ("fresh", "superseded"):
            self._keep_armed(account, now)
            return verdict
        if verdict == "already-reminded":
            return verdict
        next_due = due_after(now, self.timer.stale_after)
        if not self._claim(due, due_iso(next_due), account.get("last_published_at")):
            return "already-reminded"
        try:
            self.mailer.send(reminder_email(
                self.press_office(), now=now, last_published=clock.parse_time(account.get("last_published_at")),
                waiting=len(self._store.by_state(State.NEEDS_APPROVAL, limit=1000)),
                failed=len(self._store.by_state(State.PUBLISH_FAILED, limit=1000)),
                every_days=self.timer.settings.stale_after_days,
            ))
        except Exception:
            self._unclaim(due)
            raise
        self.timer.arm(next_due)
        return "reminded"

    def _keep_armed(self, account: dict[str, Any], now: datetime) -> None:
        """Make sure the schedule the ACCOUNT item names is armed (repairs a lost race)."""
        current = clock.parse_time(account.get("stale_due"))
        if current is None:
            return
        if current > now:
            self.timer.arm(current)
        elif account.get("reminded_due") != account.get("stale_due"):
            self.timer.arm(now + CATCH_UP, payload_due=account["stale_due"])

    def _claim(self, due: str, next_due: str, last_published: Any) -> bool:
        """Atomically mark ``due`` reminded and move the ACCOUNT's due time on, unless a firing
        for ``due`` already did or a publish happened meanwhile."""
        return self._store.claim_stale_reminder(due, next_due, SCHEDULE, clock.iso(self.now()),
                                                str(last_published) if last_published else None)

    def _unclaim(self, due: str) -> None:
        """Undo :meth:`_claim` after the email failed, so that a retry sends it."""
        self._store.unclaim_stale_reminder(due)
