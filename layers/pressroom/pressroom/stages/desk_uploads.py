"""The desk's upload form, the presigned uploads behind it, and "My photos".

Staff declare what the pipeline asks about a photo once for the batch (category, people, release
forms, children, parental permission, credit, copyright, licence, publish-at) and give each photo
its title and description. The desk checks the declarations as ``pressroom upload --declare`` does
(:func:`pressroom.guidance.declared.invalid`), then answers each file with a presigned POST to the
raw bucket: the browser sends the file straight there, and S3 refuses it unless it matches the
policy: that key, that content type, between 1 byte and the pipeline's size limit, and exactly the
declarations as the object metadata the scrub stage reads (``uploader`` the signed-in visitor, never
what the form says). From there the photo goes through the pipeline as any upload does; its state
is read back for the form (:meth:`DeskUploads.states`) and for "My photos".
"""
from __future__ import annotations

import mimetypes
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pressroom.adapters.store import PhotoStore
from pressroom.domain.metadata import encode_metadata
from pressroom.domain.photos import Photo, State
from pressroom.guidance.declared import CHOICES, invalid
from pressroom.settings import Settings
from pressroom.web.desk import DeskPage, desk_html
from pressroom.web.forms import MAX_DESCRIPTION, MAX_TITLE
from pressroom.web.pages import display_name

#: the declarations the form asks, in its order (title and description are per photo)
FORM_KEYS = ("category", "category-reason", "people", "release-forms", "children", "parental-permission",
             "credit", "copyright", "licence", "publish-at")
#: the form's questions that must be answered: the rest are asked of the approver when left empty
REQUIRED = ("category", "people", "children")
#: how the form's choices read, where the value alone would not
CHOICE_LABELS = {
    "category=neighbourhood-initiative": "Neighbourhood initiative",
    "category=force-photographer-pr": "Force photographer (PR)", "category=campaign": "Campaign",
    "category=other": "Other (say why below)", "people=none": "No people",
    "people=identifiable": "People who can be identified", "people=not-identifiable": "People who cannot be identified",
    "children=yes": "Yes, children are in them", "children=no": "No children",
}
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/heic", "image/heif")
MAX_FILES = 20
MAX_METADATA_BYTES = 2048  # S3's limit for all user metadata together
UPLOAD_SECONDS = 900
_ALBUM = re.compile(r"^[\w][\w .()&'-]{0,99}$")
_UNSAFE_NAME = re.compile(r"[^\w .()&'+-]")
#: how each state reads to the person who uploaded the photo
STATE_LABELS = {
    State.RECEIVED: "Received: being checked", State.SCRUBBED: "Hidden data removed: being checked",
    State.QUARANTINED: "Not accepted", State.BLOCKED: "Blocked by the guidance",
    State.NEEDS_APPROVAL: "Waiting for approval", State.APPROVED: "Approved: being published",
    State.REJECTED: "Rejected", State.EXPIRED: "Expired: nobody decided in time", State.PUBLISHED: "Published",
    State.PUBLISH_FAILED: "Publishing failed: trying again", State.TAKING_DOWN: "Being taken down",
    State.TAKEN_DOWN: "Taken down",
}
#: states in which nothing more happens to a photo by itself
FINAL = frozenset({State.QUARANTINED, State.BLOCKED, State.REJECTED, State.EXPIRED, State.PUBLISHED,
                   State.TAKEN_DOWN})


class UploadRefused(ValueError):
    """The upload request cannot be used; the message says what to put right."""


@dataclass(frozen=True)
class Upload:
    """One file the browser may now send: its key, and the presigned POST (URL and form fields)."""

    name: str
    key: str
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class DeskUploads:
    settings: Settings
    store: PhotoStore
    s3: Any

    @property
    def bucket_origin(self) -> str:
        """Where the browser sends the files (the page's ``connect-src``)."""
        url = self.s3.generate_presigned_post(self.settings.raw_bucket, "incoming/x", ExpiresIn=60)["url"]
        parts = url.split("/")
        return f"{parts[0]}//{parts[2]}"

    # -- the form ----------------------------------------------------------------------------
    def form(self, *, title: str, visitor: Any, csrf: str, here: str) -> DeskPage:
        return DeskPage(200, desk_html(
            "upload.html", title=title, visitor=visitor, here=here, csrf=csrf, choices=CHOICES,
            required=REQUIRED, labels=CHOICE_LABELS, accepted=",".join(ACCEPTED_TYPES), max_files=MAX_FILES,
            max_mb=self.settings.max_upload_bytes // (1024 * 1024), max_title=MAX_TITLE,
            max_description=MAX_DESCRIPTION), connect=(self.bucket_origin,))

    def prepare(self, uploader: str, request: Mapping[str, Any]) -> list[Upload]:
        """A presigned POST for each file of ``request`` (``album``, ``declared``, ``files`` with
        ``name``, ``type``, ``size``, ``title``, ``description``); :class:`UploadRefused` with what
        to put right, before any is issued, if one cannot be used."""
        album = str(request.get("album", "")).strip()
        if not _ALBUM.match(album):
            raise UploadRefused("Name the album with letters, digits, spaces or .()&'- (up to 100 characters).")
        declared = _declared(request.get("declared"))
        files = request.get("files")
        if not isinstance(files, list) or not files:
            raise UploadRefused("Choose at least one photo.")
        if len(files) > MAX_FILES:
            raise UploadRefused(f"Upload at most {MAX_FILES} photos at a time.")
        planned = [self._plan(album, declared, uploader, f) for f in files]
        uploads = []
        for name, key, content_type, metadata in planned:
            post = self.s3.generate_presigned_post(
                self.settings.raw_bucket, key, ExpiresIn=UPLOAD_SECONDS,
                Fields={"Content-Type": content_type, "success_action_status": "201",
                        **{f"x-amz-meta-{k}": v for k, v in metadata.items()}},
                Conditions=[{"Content-Type": content_type}, {"success_action_status": "201"},
                            ["content-length-range", 1, self.settings.max_upload_bytes],
                            *({f"x-amz-meta-{k}": v} for k, v in metadata.items())])
            self.store.record_desk(actor=uploader, event="desk-upload-issued",
                                   detail={"key": key, "type": content_type})
            uploads.append(Upload(name, key, post["url"], dict(post["fields"])))
        return uploads

    def _plan(self, album: str, declared: dict[str, str], uploader: str, file: Any) -> tuple[str, str, str, dict[str, str]]:
        if not isinstance(file, Mapping):
            raise UploadRefused("The upload request is damaged: reload the page.")
        name = _UNSAFE_NAME.sub("_", str(file.get("name", "")).replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:120]
        if not name:
            raise UploadRefused("A photo has no file name.")
        content_type = str(file.get("type") or "").lower() or (mimetypes.guess_type(name)[0] or "")
        if content_type not in ACCEPTED_TYPES:
            raise UploadRefused(f"{name} is not a photo Pressroom takes (JPEG, PNG, WebP, GIF, TIFF or HEIC).")
        size = file.get("size")
        if not isinstance(size, int) or not 0 < size <= self.settings.max_upload_bytes:
            limit = self.settings.max_upload_bytes // (1024 * 1024)
            raise UploadRefused(f"{name} is empty or larger than {limit} MB: export it again smaller.")
        title = " ".join(str(file.get("title", "")).split())
        description = str(file.get("description", "")).replace("\r\n", "\n").strip()
        if not title:
            raise UploadRefused(f"Give {name} a title.")
        if len(title) > MAX_TITLE or len(description) > MAX_DESCRIPTION:
            raise UploadRefused(f"Keep the title of {name} under {MAX_TITLE} characters and its description "
                                f"under {MAX_DESCRIPTION}.")
        metadata = {k: encode_metadata(v) for k, v in
                    {**declared, "title": title, "description": description, "uploader": uploader}.items() if v}
        if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA_BYTES:
            raise UploadRefused(f"What is declared about {name} is longer than S3 keeps (2 KB): shorten its "
                                "description.")
        return name, f"incoming/{album}/{secrets.token_hex(6)}/{name}", content_type, metadata

    # -- what became of them -----------------------------------------------------------------
    def mine(self, uploader: str) -> list[Photo]:
        return self.store.uploaded_by(uploader, tuple(State))

    def states(self, uploader: str) -> list[dict[str, Any]]:
        """The uploader's photos as the form follows them: key, state, what it means, and why."""
        return [{"key": p.original_key, "id": p.id, "name": display_name(p), "state": p.state.value,
                 "label": STATE_LABELS[p.state], "why": why(p), "final": p.state in FINAL,
                 "url": str(p.flickr.get("url", "")) if p.state == State.PUBLISHED else ""}
                for p in self.mine(uploader)]


def why(photo: Photo) -> str:
    """What the uploader should know about the photo's state, in a sentence or two."""
    if photo.state == State.REJECTED:
        return f"Rejected by {photo.decision.get('by', 'an approver')}: {photo.decision.get('why', '')}".strip(": ")
    if photo.state == State.BLOCKED:
        blocks = [str(f.get("message", "")) for f in photo.findings if f.get("severity") == "block"]
        return "; ".join(blocks) or photo.reason
    parts = [photo.reason, photo.advice]
    return " ".join(p for p in parts if p)


def _declared(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise UploadRefused("The upload request is damaged: reload the page.")
    declared = {k: " ".join(str(value.get(k, "")).split()) for k in FORM_KEYS}
    declared = {k: v for k, v in declared.items() if v}
    missing = [k for k in REQUIRED if k not in declared]
    if missing:
        raise UploadRefused(f"Answer: {', '.join(missing)}.")
    if declared.get("category") == "other" and not declared.get("category-reason"):
        raise UploadRefused("Say why a photo of category \u201cother\u201d should be published.")
    problems = invalid(declared)
    if problems:
        raise UploadRefused("; ".join(problems))
    return declared
