"""The approval email: everything an approver needs to decide, and one personal link."""
from __future__ import annotations

from datetime import datetime
from html import escape

from pressroom.adapters.mail import Email, one_line
from pressroom.domain.photos import Photo
from pressroom.web.audit import when
from pressroom.web.pages import display_name, text

PREVIEW_CID = "photo-preview"
_SEVERITY_COLOUR = {"block": "#a40e26", "warn": "#9a6700", "info": "#0969da"}


def approval_email(photo: Photo, approver: str, link: str, expires: datetime, *,
                   thumbnail: bytes | None, reminder: bool = False) -> Email:
    """The email asking ``approver`` to review ``photo`` at ``link`` (valid until ``expires``)."""
    name = one_line(display_name(photo))
    subject = f"{'Reminder: ' if reminder else ''}Approval needed: {name} ({one_line(photo.album)})"
    return Email(
        to=[approver],
        subject=subject[:150],
        text=_text(photo, link, expires, reminder),
        html=_html(photo, link, expires, reminder, thumbnail is not None),
        inline_images={PREVIEW_CID: thumbnail} if thumbnail else {},
    )


def _intro(reminder: bool) -> str:
    if reminder:
        return "Reminder: this photo is still waiting for a decision before it can be published on Flickr."
    return "A photo is waiting for your approval before it is published on Flickr."


def _validity(expires: datetime) -> str:
    return (f"This link is personal to you and works until {when(expires.isoformat())}. "
            "The first decision on the photo is final. Do not forward this email.")


def _details(photo: Photo) -> list[tuple[str, str]]:
    return [
        ("Title", photo.title or "—"),
        ("Description", photo.description or "—"),
        ("Tags", ", ".join(str(t) for t in photo.tags) or "—"),
        ("Album", photo.album),
        ("Uploader", photo.uploader or "—"),
        ("Reference", photo.id),
    ]


def _text(photo: Photo, link: str, expires: datetime, reminder: bool) -> str:
    lines = [_intro(reminder), ""]
    lines += [f"{label}: {value}" for label, value in _details(photo)]
    lines += ["", f"Policy findings ({len(photo.findings)}):" if photo.findings else "Policy findings: none."]
    for f in photo.findings:
        lines.append(f"  [{str(f.get('severity', 'info')).upper()}] {text(f.get('message'))}")
        if f.get("evidence"):
            lines.append(f"      Found: {text(f['evidence'])}")
        if f.get("guidance"):
            lines.append(f"      Guidance: {text(f['guidance'])}")
        lines.append(f"      Rule: {text(f.get('rule'))}")
    if photo.checklist:
        lines += ["", "Before approving, confirm on the review page that:"]
        lines += [f"  [ ] {item}" for item in photo.checklist]
    lines += ["", "Review the photo and decide:", link, "", _validity(expires)]
    return "\n".join(lines) + "\n"


def _html(photo: Photo, link: str, expires: datetime, reminder: bool, with_image: bool) -> str:
    e = escape
    image = (f'<p><img src="cid:{PREVIEW_CID}" alt="The scrubbed photo" '
             'style="max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px"></p>'
             if with_image else "<p><em>No preview could be made; open the review page to see the photo.</em></p>")
    rows = "".join(
        f'<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;color:#57606a">{e(k)}</th>'
        f'<td style="padding:2px 0;white-space:pre-wrap">{e(v)}</td></tr>'
        for k, v in _details(photo))
    findings = "".join(
        f'<li style="margin-bottom:8px;padding-left:8px;border-left:4px solid '
        f'{_SEVERITY_COLOUR.get(str(f.get("severity")).lower(), "#888")}">'
        f"<strong>[{e(str(f.get('severity', 'info')).upper())}] {e(text(f.get('message')))}</strong>"
        + (f"<br>Found: {e(text(f['evidence']))}" if f.get("evidence") else "")
        + (f"<br><em>Guidance: {e(text(f['guidance']))}</em>" if f.get("guidance") else "")
        + f'<br><small style="color:#57606a">{e(text(f.get("rule")))}</small></li>'
        for f in photo.findings)
    checklist = "".join(f"<li>{e(item)}</li>" for item in photo.checklist)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="margin:0;padding:16px;font:16px/1.5 Arial,Helvetica,sans-serif;color:#1b1f24">
<div style="max-width:640px;margin:0 auto">
<p>{e(_intro(reminder))}</p>
<h1 style="font-size:22px;margin:8px 0">{e(display_name(photo))}</h1>
{image}
<table role="presentation" style="border-collapse:collapse;margin:8px 0">{rows}</table>
<h2 style="font-size:18px">Policy findings ({len(photo.findings)})</h2>
{f'<ul style="list-style:none;padding:0">{findings}</ul>' if findings else "<p>The automatic checks found nothing to flag.</p>"}
{f'<h2 style="font-size:18px">Before approving, confirm that</h2><ul>{checklist}</ul>' if checklist else ""}
<p style="margin:24px 0"><a href="{e(link)}" style="display:inline-block;background:#003d7a;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:bold">Review and decide</a></p>
<p style="color:#57606a;font-size:14px">{e(_validity(expires))}</p>
</div></body></html>
"""



def no_approvers_email(photo: Photo, to: list[str], parameter: str, retry: datetime | None,
                       expires: datetime) -> Email:
    """The press office's email: ``photo`` waits for approval, but ``parameter`` names nobody to ask;
    whoever it names at ``retry`` (if any) is asked then."""
    then = f" The photo is sent to them at {when(retry.isoformat())}." if retry else ""
    name = one_line(display_name(photo))
    lines = [
        f"The photo \"{name}\" (album {photo.album}, uploaded by {photo.uploader or 'unknown'}) passed the "
        "automatic checks and is waiting for approval, but no approvers are configured: the SSM parameter "
        f"{parameter} holds no valid email address, so nobody has been asked to review it.",
        "",
        f"Put the approvers' addresses in {parameter}, separated by commas.{then} If nobody has approved it "
        f"by {when(expires.isoformat())}, it expires and the uploader is told.",
        "",
        f"Photo reference: {photo.id}",
    ]
    return Email(to=to, subject=f"Pressroom: no approvers to ask about \"{name}\""[:150], text="\n".join(lines) + "\n")
