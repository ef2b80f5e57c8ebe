"""The review page and the result pages, as escaped HTML with strict security headers.

Form contract (the decision endpoint and browser tests rely on it): one ``<form id="decide"
method="post">`` posting to ``/review/<photo id>`` with hidden fields ``t`` (the link token) and
``csrf``, one checkbox ``name="check"`` per checklist item (``value`` = its index), a textarea
``name="reason"`` (``id="reason"``) and two buttons ``name="decision"``: ``value="approve"``
(``id="approve"``) and ``value="reject"`` (``id="reject"``).
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from pressroom.domain.photos import Photo

CSS = """
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--brand:#003d7a;--ok:#116329;--bad:#a40e26}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:760px;margin:0 auto;padding:16px;background:#fff;min-height:100vh}
.brand{margin:0;color:var(--brand);font-weight:600;font-size:14px;letter-spacing:.02em}
h1{font-size:24px;line-height:1.25;margin:4px 0 12px;overflow-wrap:anywhere}
h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
figure{margin:0 0 12px}
figure img{display:block;max-width:100%;height:auto;max-height:70vh;margin:0 auto;border:1px solid var(--line);border-radius:6px;background:#eee}
figcaption{color:var(--muted);font-size:13px;text-align:center}
.box-face{color:#a86a00;font-weight:600}.box-finding{color:#c0143c;font-weight:600}.box-text{color:#1e6fd9;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}
dt{color:var(--muted);font-weight:600}
dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
.tags span{display:inline-block;background:#eef2f7;border-radius:12px;padding:0 8px;margin:0 4px 4px 0;font-size:14px}
ul.findings,ol.audit{list-style:none;padding:0;margin:0}
ul.findings li{border:1px solid var(--line);border-left:6px solid #888;border-radius:6px;padding:8px 12px;margin-bottom:8px}
ul.findings li.block{border-left-color:var(--bad)}
ul.findings li.warn{border-left-color:#bf8700}
ul.findings li.info{border-left-color:#0969da}
.sev{display:inline-block;font-size:12px;font-weight:700;text-transform:uppercase;border-radius:4px;padding:0 6px;margin-right:6px;color:#fff;background:#888}
.block .sev{background:var(--bad)}.warn .sev{background:#9a6700}.info .sev{background:#0969da}
.findings p{margin:4px 0;overflow-wrap:anywhere}
.guidance{font-style:italic;color:var(--muted)}
.rule{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:var(--muted)}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 12px;padding:8px 12px}
legend{font-weight:600;padding:0 4px}
label.check{display:flex;gap:10px;align-items:flex-start;padding:8px 0;border-bottom:1px solid #eee}
label.check:last-child{border-bottom:0}
label.check input{width:22px;height:22px;flex:none;margin-top:1px}
textarea{width:100%;font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px}
.actions{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
button{flex:1 1 200px;font:inherit;font-weight:600;padding:12px 16px;border:0;border-radius:6px;color:#fff;cursor:pointer;min-height:48px}
#approve{background:var(--ok)}#reject{background:var(--bad)}
.notice{border-radius:6px;padding:12px;margin:12px 0;border:1px solid var(--line);background:#f6f8fa}
.notice.error{border-color:var(--bad);background:#ffebe9}
.notice.ok{border-color:var(--ok);background:#dafbe1}
.muted{color:var(--muted);font-size:14px}
ol.audit li{font-size:14px;padding:4px 0;border-bottom:1px solid #eee;overflow-wrap:anywhere}
""".strip()

_STYLE_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
_SEVERITY = {"block": "blocks", "warn": "check", "info": "note"}


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


def display_name(photo: Photo) -> str:
    return photo.title or photo.original_key.rsplit("/", 1)[-1] or photo.id


def review_page(
    photo: Photo,
    audit_lines: list[str],
    *,
    approver: str,
    action_url: str,
    token: str,
    csrf: str,
    preview_url: str,
    expires: str,
    error: str = "",
    reason: str = "",
    ticked: Iterable[int] = (),
    boxes_shown: bool = False,
) -> str:
    """The page an approver decides on; ``boxes_shown``: the preview has image analysis's boxes drawn."""
    e = escape
    name = display_name(photo)
    ticked = set(ticked)
    checks = "".join(
        f'<label class="check"><input type="checkbox" name="check" value="{i}" required'
        f'{" checked" if i in ticked else ""}><span>{e(item)}</span></label>'
        for i, item in enumerate(photo.checklist)
    )
    checklist = (f'<fieldset id="checklist"><legend>Confirm each of these before approving</legend>{checks}</fieldset>'
                 if photo.checklist else '<p class="muted">No checklist items for this photo.</p>')
    body = f"""
<p class="brand">Pressroom · photo approval</p>
<h1>{e(name)}</h1>
{_notice(error, "error") if error else ""}
<figure><img src="{e(preview_url)}" alt="Scrubbed photo: {e(name)}">
<figcaption>The copy that will be published, with its metadata removed.{_BOXES if boxes_shown else ""}</figcaption></figure>
<h2>Caption</h2>
{_details(photo)}
<h2>Policy findings ({len(photo.findings)})</h2>
{_findings(photo.findings)}
<h2>Your decision</h2>
<form id="decide" method="post" action="{e(action_url)}">
<input type="hidden" name="t" value="{e(token)}">
<input type="hidden" name="csrf" value="{e(csrf)}">
{checklist}
<label for="reason"><strong>Reason</strong> <span class="muted">(required to reject; sent to the uploader)</span></label>
<textarea id="reason" name="reason" rows="3" maxlength="2000">{e(reason)}</textarea>
<div class="actions">
<button type="submit" id="approve" name="decision" value="approve">Approve for Flickr</button>
<button type="submit" id="reject" name="decision" value="reject" formnovalidate>Reject</button>
</div>
<p class="muted">Deciding as {e(approver)}. This link is yours alone and works until {e(expires)};
the first decision on this photo is final.</p>
</form>
{_audit(audit_lines)}"""
    return _document(f"Review: {name}", body)


_BOXES = (" Boxes show what image analysis found, and are not part of the photo:"
          ' <span class="box-face">amber</span> faces, <span class="box-finding">red</span> text that is a finding,'
          ' <span class="box-text">blue</span> other text read.')


def notice_page(title: str, message: str, *, kind: str = "error", photo: Photo | None = None,
                audit_lines: list[str] | None = None) -> str:
    """A result or refusal: a heading, a message and, for a verified link, the photo's history."""
    heading = f"<h1>{escape(title)}</h1>"
    about = f'<p class="muted">Photo: {escape(display_name(photo))} ({escape(photo.id)})</p>' if photo else ""
    trail = _audit(audit_lines) if audit_lines else ""
    return _document(title, f'<p class="brand">Pressroom · photo approval</p>{heading}{_notice(message, kind)}'
                            f"{about}{trail}")


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main>{body}\n</main></body></html>\n"
    )


def _notice(message: str, kind: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="notice {escape(kind)}" role="{role}">{escape(message)}</div>'


def _details(photo: Photo) -> str:
    tags = "".join(f"<span>{escape(str(t))}</span>" for t in photo.tags) or "—"
    rows = [
        ("Title", escape(photo.title) or "—"),
        ("Description", escape(photo.description) or "—"),
        ("Tags", f'<span class="tags">{tags}</span>'),
        ("Album", escape(photo.album)),
        ("Uploader", escape(photo.uploader) or "—"),
        ("Size", f"{photo.width} × {photo.height} px, {escape(photo.content_type)}" if photo.width else "—"),
        ("Reference", escape(photo.id)),
    ]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return '<p class="muted">The automatic checks found nothing to flag.</p>'
    items = []
    for f in findings:
        severity = str(f.get("severity", "info")).lower()
        css = severity if severity in _SEVERITY else "info"
        parts = [f'<p><span class="sev">{escape(_SEVERITY.get(severity, severity))}</span>'
                 f"<strong>{escape(text(f.get('message')))}</strong></p>"]
        if f.get("evidence"):
            parts.append(f"<p>Found: {escape(text(f['evidence']))}</p>")
        if f.get("guidance"):
            parts.append(f'<p class="guidance">Guidance: {escape(text(f["guidance"]))}</p>')
        parts.append(f'<p class="rule">{escape(text(f.get("rule")))}</p>')
        items.append(f'<li class="{css}">{"".join(parts)}</li>')
    return f'<ul class="findings">{"".join(items)}</ul>'


def _audit(lines: list[str]) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<h2>History</h2><ol class="audit" id="history">{items}</ol>'


def text(value: Any) -> str:
    """A finding's field as plain text (evidence may be a list or a mapping)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text(v)}" for k, v in value.items())
    return str(value)
