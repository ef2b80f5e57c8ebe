"""Duplicates: the same picture uploaded again is published again only when an approver says so.

The scrub stage records, per scrubbed image, the photo that first had it (the SHA-256 of the
scrubbed bytes, ``PhotoStore.first_with_image``); a later upload whose scrubbed image is the same
is recorded as a duplicate of that one (``Photo.duplicate_of``). The scrubber keeps only the image
data, copied byte for byte, and what it needs to display, and is deterministic, so the same picture
uploaded under another name or with other captions or camera metadata scrubs to the same bytes.
Comparing decoded pixels would need a full decode of every upload, which the scrubber avoids (it
proves most outputs without decoding, in bounded memory).

Approving a duplicate while its earlier photo may still be published, or has been, needs the
approver to tick "publish it again" on the review page; the decision records it
(``publish_again``). An earlier photo that can never be published (quarantined, blocked, rejected,
expired) asks nothing: the upload is then a second attempt, not a second copy.
"""
from __future__ import annotations

from pressroom.adapters.store import PhotoStore
from pressroom.domain.photos import NEVER_PUBLISHED, Photo

#: the review form's checkbox (``value="yes"``) by which an approver publishes a duplicate anyway
FIELD = "publish_again"


def earlier(store: PhotoStore, photo: Photo) -> Photo | None:
    """The earlier photo ``photo`` duplicates, if any (and if its record is there)."""
    return store.get(photo.duplicate_of) if photo.duplicate_of else None


def needs_consent(first: Photo | None) -> bool:
    """Whether approving a duplicate of ``first`` would publish the picture a second time."""
    return first is not None and first.state not in NEVER_PUBLISHED


def problem(first: Photo | None, action: str, again: bool) -> str:
    """Why an approval of a duplicate of ``first`` cannot be recorded as sent, or ""."""
    if action == "approve" and needs_consent(first) and not again:
        return ("This picture was uploaded before (see the note above). Tick \"Publish it again\" to approve "
                "it anyway, or reject it as a duplicate.")
    return ""
