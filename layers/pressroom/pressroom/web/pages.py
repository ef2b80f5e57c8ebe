"""The review page and the result pages: Jinja2 templates (``web/templates``) with autoescaping on,
served with strict security headers.

Jinja2 escapes every value it puts in HTML unless a value is marked safe (only the stylesheet,
which the Content-Security-Policy pins by its hash, is), so a caption, a finding or an address can
never become markup; hand-built strings had to remember ``escape`` at each of dozens of places.

The review page is built for a phone first: what will be published, exactly as the site will show
it, comes first, and the Approve and Reject buttons stay at the bottom of the screen while the
approver reads and answers (a sticky bar, no script). Each question carries the findings that
concern it, so nothing is said twice. A refused submission comes back with every answer kept, the
reason at the top, the question concerned marked, and the browser's focus on it (``autofocus``).
The form's fields are described in :mod:`pressroom.web.forms`.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pressroom.domain.photos import Photo
from pressroom.domain.publication import Publication
from pressroom.domain.redaction import in_words
from pressroom.guidance.checklist import Item, Problem
from pressroom.web.forms import MAX_DESCRIPTION, MAX_REASON, MAX_TITLE, Caption
from pressroom.web.preview import REVIEW_PIXELS

CSS = """
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--brand:#003d7a;--ok:#116329;--bad:#a40e26;--warn:#9a6700}
*{box-sizing:border-box}
html{scroll-padding:12px 0 96px}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:760px;margin:0 auto;padding:10px 14px 24px;background:#fff;min-height:100vh}
.brand{margin:0;color:var(--brand);font-weight:600;font-size:13px;letter-spacing:.02em}
h1{font-size:20px;line-height:1.25;margin:2px 0 8px;overflow-wrap:anywhere}
h2{font-size:17px;margin:20px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.progress{margin:0 0 8px;padding:6px 10px;border-radius:6px;background:#ddf4ff;font-size:14px}
.public{border:2px solid var(--brand);border-radius:8px;padding:8px 10px;margin:0 0 8px}
.public h2{font-size:13px;margin:0 0 6px;border:0;padding:0;color:var(--brand);text-transform:uppercase;letter-spacing:.04em}
figure{margin:0 0 6px}
figure img{display:block;max-width:100%;height:auto;max-height:24vh;margin:0 auto;border-radius:4px;background:#eee}
dl{display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;margin:0;font-size:15px}
.box-face{color:#a86a00;font-weight:600}.box-finding{color:#c0143c;font-weight:600}.box-text{color:#1e6fd9;font-weight:600}
figcaption{color:var(--muted);font-size:13px;text-align:center}
dt{color:var(--muted);font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.ptitle{font-weight:700;font-size:17px;margin:0 0 2px;overflow-wrap:anywhere}
.caption{white-space:pre-wrap;margin:0 0 4px;overflow-wrap:anywhere}
.footer{color:var(--muted);font-size:12px;line-height:1.3;margin:0 0 3px;overflow-wrap:anywhere}
.meta{margin-top:6px;font-size:14px}
.tags span{display:inline-block;background:#eef2f7;border-radius:10px;padding:0 7px;margin:0 4px 2px 0;font-size:14px}
details.edit{margin-top:8px;border-top:1px solid var(--line);padding-top:6px}
summary{cursor:pointer;color:var(--brand);font-weight:600;min-height:32px}
label{display:block;margin:8px 0 2px}
input[type=text],textarea{width:100%;font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px}
fieldset.q{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:8px 10px}
fieldset.q legend{float:left;width:100%;padding:0;margin:0 0 6px;font-weight:600}
fieldset.q legend+*{clear:both}
fieldset.problem{border:2px solid var(--bad);background:#fff5f5}
.why{color:var(--bad);font-weight:600;margin:4px 0}
.answers{display:flex;flex-wrap:wrap;gap:6px;clear:both}
.answers label{flex:1 1 5.5em;margin:0;display:flex;align-items:center;gap:6px;border:1px solid var(--line);border-radius:6px;padding:8px 10px;min-height:44px}
.answers label.safe{font-weight:600}
.answers input{width:20px;height:20px;margin:0;flex:none}
.answers label:has(input:checked){border-color:var(--brand);background:#ddf4ff}
.answers label.unsafe:has(input:checked){border-color:var(--bad);background:#ffebe9}
.note{display:none}
.q:has(input[data-note]:checked) .note,.q.needs-note .note{display:block}
.finding{font-size:14px;border-left:4px solid var(--warn);padding:2px 8px;margin:4px 0;overflow-wrap:anywhere}
.finding.info{border-left-color:#0969da}.finding.block{border-left-color:var(--bad)}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;color:#fff;background:var(--warn);border-radius:4px;padding:0 5px}
.info .sev{background:#0969da}.block .sev{background:var(--bad)}
.evidence{color:var(--muted)}
.declared ul,.unjudged ul{padding-left:18px;margin:0;font-size:14px}
.unjudged{margin:0 0 10px}
.reason{margin-top:16px}
.bar{position:sticky;bottom:0;display:flex;gap:10px;padding:8px 0 calc(8px + env(safe-area-inset-bottom,0px));margin-top:12px;background:#fff;border-top:1px solid var(--line)}
button{flex:1 1 0;font:inherit;font-weight:600;padding:10px 14px;border:0;border-radius:6px;color:#fff;cursor:pointer;min-height:48px}
#approve{background:var(--ok)}#reject{background:var(--bad)}
button.secondary{background:var(--brand);flex:none;margin-top:8px;min-height:44px}
.notice{border-radius:6px;padding:10px 12px;margin:8px 0;border:1px solid var(--line);background:#f6f8fa}
.notice ul{margin:4px 0 0;padding-left:18px}
.notice.error{border:2px solid var(--bad);background:#ffebe9;font-weight:600}
.notice.ok{border-color:var(--ok);background:#dafbe1}
.muted{color:var(--muted);font-size:14px;font-weight:400}
.about{font-size:14px}
fieldset.blur{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:8px 10px}
fieldset.blur legend{font-weight:600;padding:0 4px}
fieldset.blur p{margin:0 0 6px;font-size:14px}
.checks label{display:flex;align-items:center;gap:8px;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0 0 6px;min-height:44px}
.checks input{width:20px;height:20px;margin:0;flex:none}
.checks label:has(input:checked){border-color:var(--brand);background:#ddf4ff}
.blurred{color:var(--ok);font-weight:600}
ol.audit{list-style:none;padding:0;margin:0}
ol.audit li{font-size:13px;padding:4px 0;border-bottom:1px solid #eee;overflow-wrap:anywhere}
""".strip()

_STYLE_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
_SEVERITY = {"block": "blocks", "warn": "check", "info": "note"}
_ENV = Environment(
    loader=PackageLoader("pressroom.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Page:
    """An HTML reply: status, body and the security headers it must carry."""

    status: int
    html: str
    img_origin: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return security_headers(self.img_origin)


def security_headers(img_origin: str = "") -> dict[str, str]:
    """Headers every page carries: nothing runs, nothing frames us, nothing is cached or leaked."""
    images = img_origin or "'none'"
    csp = (f"default-src 'none'; img-src {images}; style-src 'sha256-{_STYLE_HASH}'; "
           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


@dataclass(frozen=True)
class BlurView:
    """The "Blur before publishing" fieldset: what may be blurred and what will be."""

    #: choice (``domain.redaction.CHOICES``) → how many places image analysis found (0: not counted)
    offered: Mapping[str, int] = field(default_factory=dict)
    #: what will be blurred: the page's image is the blurred copy of these
    chosen: Sequence[str] = ()
    #: what earlier approvals asked to blur: choice → who (it stays ticked)
    before: Mapping[str, str] = field(default_factory=dict)
    #: ``Redaction.seen`` of the blurred copy shown, "" when none is
    seen: str = ""
    #: something could be blurred, but the photo is too large for the review page to blur
    too_large: bool = False


def display_name(photo: Photo) -> str:
    return photo.title or photo.original_key.rsplit("/", 1)[-1] or photo.id


@dataclass(frozen=True)
class Review:
    """Everything the review page shows and keeps."""

    photo: Photo
    public: Publication
    items: Sequence[Item]
    others: Sequence[dict[str, Any]]
    approver: str
    action_url: str
    token: str
    csrf: str
    preview_url: str
    expires: str
    audit_lines: Sequence[str]
    #: the caption in the edit fields (the stored one, or the approver's edit being shown back)
    caption: Caption
    #: the fingerprint of the stored caption the page shows, and of an edit whose findings were shown
    shown: str
    checked: str = ""
    answers: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    problems: Sequence[Problem] = ()
    error: str = ""
    notice: str = ""
    reason: str = ""
    progress: str = ""
    #: the id of the element the browser should focus (the first thing to put right)
    focus: str = ""
    edit_open: bool = False
    #: the earlier photo with the same picture (stages.duplicates), and whether approving needs
    #: "Publish it again" ticked (``again``: it was)
    earlier: Photo | None = None
    again_needed: bool = False
    again: bool = False
    #: the preview has image analysis's boxes drawn on it (the page says what they mean)
    boxes_shown: bool = False
    #: what the automatic checks said they could not judge (not questions of their own)
    unjudged: Sequence[str] = ()
    blur: BlurView = field(default_factory=BlurView)


def review_page(view: Review) -> str:
    """The page an approver decides on."""
    problems = {p.question: p for p in view.problems}
    asks = {item.id: item.question.ask for item in view.items}
    return _ENV.get_template("review.html").render(
        css=Markup(CSS), title=f"Review: {display_name(view.photo)}", **vars(view),
        asked_items=[i for i in view.items if not i.declared], declared_items=[i for i in view.items if i.declared],
        footer_lines=[line for line in view.public.footer.split("\n") if line.strip()],
        problem_of=problems.get, asked=lambda qid: asks.get(qid, qid), severity_word=_severity, text=text,
        blurred_words=in_words(view.blur.chosen) if view.blur.chosen else "", max_pixels=f"{REVIEW_PIXELS:,}",
        file_name=PurePosixPath(view.photo.original_key).name, max_title=MAX_TITLE, max_description=MAX_DESCRIPTION,
        max_reason=MAX_REASON)


_BOXES = (" Boxes show what image analysis found, and are not part of the photo:"
          ' <span class="box-face">amber</span> faces, <span class="box-finding">red</span> text that is a finding,'
          ' <span class="box-text">blue</span> other text read.')


def notice_page(title: str, message: str, *, kind: str = "error", photo: Photo | None = None,
                audit_lines: Sequence[str] | None = None) -> str:
    """A result or refusal: a heading, a message and, for a verified link, the photo's history."""
    return _ENV.get_template("notice.html").render(
        css=Markup(CSS), title=title, message=message, kind=kind, photo=photo,
        name=display_name(photo) if photo else "", audit_lines=list(audit_lines or []))


def render(name: str, **values: Any) -> str:
    """Another template of this room (the emails), autoescaped when it is HTML."""
    return _ENV.get_template(name).render(**values)


def _severity(severity: Any) -> str:
    return _SEVERITY.get(str(severity).lower(), str(severity))


def text(value: Any) -> str:
    """A finding's field as plain text (evidence may be a list or a mapping)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text(v)}" for k, v in value.items())
    return str(value)
