"""An approver, scripted: find the review link in an email, open the page, submit the form."""
from __future__ import annotations

import email
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin

_LINK = re.compile(r"https?://[^\s\"'<>]+/review/([0-9a-f]+)\?t=[^\s\"'<>]+")
_ANY_LINK = re.compile(r"https?://[^\s\"'<>]+/(review|takedown|correction)/([0-9a-f]+)\?t=[^\s\"'<>]+")


def review_links(outbox: Path) -> dict[str, list[str]]:
    """Every review link in the outbox's emails, by photo id, oldest email first."""
    links: dict[str, list[str]] = {}
    for path in sorted(outbox.glob("*.eml")):
        for pid, link in links_in(email.message_from_bytes(path.read_bytes(), policy=policy.default)):
            links.setdefault(pid, []).append(link)
    return links


def links_in(message: EmailMessage) -> list[tuple[str, str]]:
    """The (photo id, review link) pairs in the plain-text parts of one email."""
    return [(match.group(1), match.group(0))
            for part in message.walk() if part.get_content_type() == "text/plain"
            for match in _LINK.finditer(part.get_content())]


def all_links_in(message: EmailMessage) -> list[tuple[str, str, str]]:
    """The (kind: review, takedown or correction; photo id; link) triples in one email's text parts."""
    return [(match.group(1), match.group(2), match.group(0))
            for part in message.walk() if part.get_content_type() == "text/plain"
            for match in _ANY_LINK.finditer(part.get_content())]


def links_of(outbox: Path, kind: str) -> dict[str, list[str]]:
    """Every ``kind`` link (review, takedown, correction) in the outbox, by photo id, oldest first."""
    found: dict[str, list[str]] = {}
    for path in sorted(outbox.glob("*.eml")):
        for link_kind, pid, link in all_links_in(email.message_from_bytes(path.read_bytes(), policy=policy.default)):
            if link_kind == kind:
                found.setdefault(pid, []).append(link)
    return found


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: each radio group's name → the value of its safe answer (``data-safe``), or its first one
    radios: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    #: each textarea's name → the text it holds
    textareas: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.scripts = 0
        self._textarea = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        elif tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "radio":
                if "data-safe" in a or a["name"] not in self.forms[-1].radios:
                    self.forms[-1].radios[a["name"]] = a.get("value", "on")
            elif kind == "submit":
                self.forms[-1].buttons.append((a["name"], a.get("value", "")))
            elif kind == "checkbox":  # sent only when ticked, as a browser does
                if "checked" in a:
                    self.forms[-1].fields.append((a["name"], a.get("value", "on")))
            else:
                self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))
        elif self.forms and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1].textareas[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].textareas[self._textarea] += data


@dataclass(frozen=True)
class Page:
    status: int
    url: str
    html: str

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.html)
        return parser.forms


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Page:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return Page(reply.status, reply.url, reply.read().decode())
    except urllib.error.HTTPError as err:
        return Page(err.code, url, err.read().decode(errors="replace"))


@dataclass(frozen=True)
class Submission:
    """One filled-in form, ready to be POSTed (again, for a double click or a replay)."""

    url: str
    data: bytes
    headers: dict[str, str]

    def send(self) -> Page:
        return fetch(self.url, self.data, self.headers)


def submission(page: Page, link: str, action: str, reason: str = "") -> Submission:
    """The POST a person makes from ``page`` (opened at ``link``) by pressing ``action`` (the value
    of a decision button): every question given its safe answer, the caption left as it is, the
    reason typed in."""
    for form in page.forms():
        button = next(((n, v) for n, v in form.buttons if v == action), None)
        if button is None or form.method != "post":
            continue
        data = list(form.fields) + list(form.radios.items()) + [button]
        data += [(name, reason if name == "reason" else text) for name, text in form.textareas.items()]
        origin = re.match(r"https?://[^/]+", link)
        if origin is None:
            raise ValueError(f"not an http(s) link: {link}")
        return Submission(urljoin(link, form.action or link), urlencode(data).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Origin": origin.group(0),
            "Sec-Fetch-Site": "same-origin"})
    raise LookupError(f"the review page at {link} has no form with a {action!r} button")


def decide(link: str, action: str, reason: str = "") -> Page:
    """Open ``link`` and submit ``action`` the way a person would (:func:`submission`)."""
    page = fetch(link)
    if page.status != 200:
        return page
    return submission(page, link, action, reason).send()
