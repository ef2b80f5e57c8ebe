"""Telling the uploader what happened to their photo."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pressroom.adapters import parameters
from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock
from pressroom.domain.addresses import is_address
from pressroom.domain.photos import Photo, State

#: what the uploader can do next, where "fix what is listed" would not help them
_NEXT = {
    State.QUARANTINED: "The file could not be read as a photo Pressroom can safely clean: it may be damaged, cut "
                       "short, or in a format it does not take. Open it on your computer or phone, save or export "
                       "it again as a JPEG, and upload that copy. If that fails too, send the press office the "
                       "reference above.",
}


def uploader_addresses(photo: Photo) -> list[str]:
    """The uploader's address when it is a plain valid one, else the press office's."""
    if is_address(photo.uploader):
        return [photo.uploader]
    return parameters.press_office()


def notice(photo: Photo, outcome: str, reasons: list[str]) -> Email:
    """The uploader's email saying that ``photo`` was ``outcome``, with the reasons."""
    name = photo.title or photo.original_key.rsplit("/", 1)[-1]
    lines = [
        f"Your photo \"{name}\" (album {photo.album}) was {outcome} and will not be published.",
        "",
        "Why:" if reasons else "No reason was given.",
        *[f"  - {r}" for r in reasons],
        "",
        f"Photo reference: {photo.id}",
        photo.advice or _NEXT.get(photo.state, "Fix what is listed and upload the photo again, or contact the press office."),
    ]
    return Email(
        to=uploader_addresses(photo),
        subject=f"Pressroom: your photo \"{name}\" was {outcome}",
        text="\n".join(lines),
    )


def notify_once(store: PhotoStore, mailer: Mailer, photo: Photo, outcome: str, reasons: list[str]) -> bool:
    """Tell the uploader about ``photo``'s final state unless that was done already.

    Called after the transition, and again on every redelivery in that state, so a notice whose
    email failed is sent by the retry; ``notified_at`` records that it went. False if it had.
    """
    return send_once(store, mailer, photo, lambda: notice(photo, outcome, reasons), event="uploader-notified",
                     detail={"outcome": outcome})


#: how long a claim to send a notice holds off other deliveries: longer than any function runs, so a
#: claim older than this was left by an invocation that died between claiming and recording
NOTICE_LEASE = timedelta(minutes=15)


class NoticeInFlight(RuntimeError):
    """Another delivery is sending this notice now: try again later (it may yet fail)."""


def send_once(store: PhotoStore, mailer: Mailer, photo: Photo, compose: Callable[[], Email], *, event: str,
              detail: dict[str, Any], field: str = "notified_at") -> bool:
    """Send the email ``compose`` makes about ``photo``'s final state unless ``field`` (``notified_at``)
    says one went, then record it (audit ``event``). False if it had gone.

    Two deliveries of one event may get here at once (S3 and SQS deliver at least once), so the
    sender first claims the notice (:meth:`PhotoStore.claim_notice`): the other raises
    :class:`NoticeInFlight`, to be retried, and finds it recorded then. A failed send gives the
    claim back; a claim whose holder died is taken over after :data:`NOTICE_LEASE`. Recording the
    notice clears the claim, so a photo whose ``field`` is emptied again (a retried publish) can be
    told again.
    """
    if getattr(photo, field):
        return False
    now = clock.now()
    claimed = clock.iso(now)
    if not store.claim_notice(photo.id, field, claimed, clock.iso(now - NOTICE_LEASE)):
        latest = store.get(photo.id)
        if latest is None or getattr(latest, field):
            return False
        raise NoticeInFlight(f"another delivery is sending the {event} email for photo {photo.id}")
    try:
        mailer.send(compose())
    except Exception:
        store.release_notice(photo.id, field, claimed)
        raise
    for _ in range(3):  # another field of the photo may change meanwhile: record it on the photo as it is then
        try:
            store.update(photo.id, photo.state, actor="notices", event=event,
                         changes={field: clock.iso(), f"{field}_claim": ""}, detail=detail,
                         condition=(f"attribute_not_exists({field}) OR {field} = :never", {":never": ""}))
            return True
        except StaleTransition:
            latest = store.get(photo.id)
            if latest is None or latest.state != photo.state or getattr(latest, field):
                return True
    return True
