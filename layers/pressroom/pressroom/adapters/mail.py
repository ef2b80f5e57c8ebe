"""Outgoing email: a small port and its Amazon SES adapter."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from pressroom.domain.text import clean


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    #: JPEG images the HTML shows inline, by Content-ID (``<img src="cid:KEY">``)
    inline_images: dict[str, bytes] = field(default_factory=dict)


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send ``email``; return the provider's message id."""


def one_line(value: str) -> str:
    """A header value: captions may hold line breaks, which a header must not (nor can inject).

    Nor may they hold text that reads as an RFC 2047 encoded word (``=?utf-8?q?...?=``): the email
    package decodes one in a header value it is given and writes out what it decoded, line breaks
    and all, adding headers or a body. A word joiner after the ``=`` keeps it text. Control
    characters and bidirectional overrides go too (:func:`pressroom.domain.text.clean`).
    """
    return " ".join(clean(value).split()).replace("=?", "=\N{WORD JOINER}?")


def to_mime(email: Email, sender: str) -> EmailMessage:
    """The MIME message for ``email``: text part, plus an HTML alternative when given.

    Inline images make the HTML alternative a ``multipart/related`` with one JPEG part per image.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(email.to)
    msg["Subject"] = one_line(email.subject)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "pressroom")
    for name, value in email.headers.items():
        msg[name] = one_line(value)
    msg.set_content(email.text)
    if email.html:
        msg.add_alternative(email.html, subtype="html")
        html_part = list(msg.iter_parts())[-1]
        for cid, data in email.inline_images.items():
            html_part.add_related(data, maintype="image", subtype="jpeg", cid=f"<{cid}>",
                                  disposition="inline", filename=f"{cid}.jpg")
    return msg


class SesMailer:
    """Sends through Amazon SES as a raw MIME message (text and HTML parts)."""

    def __init__(self, ses: Any, sender: str):
        self._ses = ses
        self._sender = sender

    def send(self, email: Email) -> str:
        if not email.to:
            raise ValueError("an email needs at least one recipient")
        raw = to_mime(email, self._sender).as_bytes()
        reply = self._ses.send_raw_email(
            Source=self._sender, Destinations=list(email.to), RawMessage={"Data": raw}
        )
        return str(reply["MessageId"])
