"""Outgoing email: a small port and its Amazon SES adapter."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send ``email``; return the provider's message id."""


def to_mime(email: Email, sender: str) -> EmailMessage:
    """The MIME message for ``email``: text part, plus an HTML alternative when given."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(email.to)
    msg["Subject"] = email.subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "pressroom")
    for name, value in email.headers.items():
        msg[name] = value
    msg.set_content(email.text)
    if email.html:
        msg.add_alternative(email.html, subtype="html")
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
