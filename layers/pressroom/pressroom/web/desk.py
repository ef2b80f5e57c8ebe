"""The press office's desk: who is signed in, which pages their groups open, and the pages' HTML.

Every desk page extends ``templates/desk/_base.html``, which shows the navigation of the pages the
visitor's groups may open (:data:`NAV`). A page is registered once, in :data:`NAV`, with the
groups that may open it; the desk function checks the same groups on the server for every request
(:func:`allowed`), so a link that is not shown is also a page that is refused.

Pages carry the review page's security headers, plus what the desk needs: its own script (served
by the desk, ``script-src 'self'``), and requests to the desk itself and to the raw bucket (the
presigned uploads, ``connect-src``).
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pressroom.web.pages import CSS, security_headers
from pressroom.web.templating import environment

#: the groups of the user pool (template.yaml UserPoolGroups, the local sign-in's choices)
STAFF, APPROVERS, PRESS_OFFICE, SAFEGUARDING = "staff", "approvers", "press-office", "safeguarding"
GROUPS = (STAFF, APPROVERS, PRESS_OFFICE, SAFEGUARDING)

DESK_CSS = (
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}"
    ".desk-head{max-width:760px;margin:0 auto;padding:8px 14px 0;background:#fff;border-bottom:1px solid var(--line)}"
    ".desk-head nav ul{display:flex;flex-wrap:wrap;gap:4px 6px;list-style:none;margin:6px 0;padding:0}"
    ".desk-head nav a{display:inline-flex;align-items:center;min-height:44px;padding:0 10px;border-radius:6px;"
    "color:var(--brand);font-weight:600;text-decoration:none;border:1px solid var(--line)}"
    ".desk-head nav a[aria-current=page]{background:var(--brand);color:#fff;border-color:var(--brand)}"
    ".who{display:flex;align-items:center;justify-content:flex-end;gap:8px;margin:0 0 6px;font-size:14px}"
    "button.link{flex:none;min-height:44px;background:none;color:var(--brand);text-decoration:underline;padding:0 6px}"
    "main{min-height:auto}"
    ".drop{border:2px dashed var(--brand);border-radius:8px;padding:16px;text-align:center;margin:8px 0}"
    ".drop.over{background:#ddf4ff}"
    ".file{border:1px solid var(--line);border-radius:8px;padding:8px 10px;margin:10px 0}"
    ".file h3{font-size:16px;margin:0 0 4px;overflow-wrap:anywhere}"
    "progress{width:100%;height:14px}"
    "select,input[type=datetime-local],input[type=email]{width:100%;font:inherit;padding:8px;min-height:44px;"
    "border:1px solid var(--line);border-radius:6px;background:#fff}"
    "input[type=file]{font:inherit;min-height:44px;max-width:100%}"
    ".hint{color:var(--muted);font-size:14px;margin:2px 0 0}"
    "fieldset.decl{border:1px solid var(--line);border-radius:8px;margin:10px 0;padding:8px 10px}"
    "fieldset.decl legend{font-weight:600}"
    "ul.photos{list-style:none;padding:0;margin:0}"
    "ul.photos li{border-bottom:1px solid var(--line);padding:8px 0;overflow-wrap:anywhere}"
    ".state{display:inline-block;font-size:13px;font-weight:700;border-radius:4px;padding:1px 6px;"
    "background:#eef2f7;color:var(--ink)}"
    ".state.PUBLISHED,.state.APPROVED{background:#dafbe1;color:var(--ok)}"
    ".state.BLOCKED,.state.QUARANTINED,.state.REJECTED,.state.EXPIRED,.state.PUBLISH_FAILED{background:#ffebe9;color:var(--bad)}"
    ".state.NEEDS_APPROVAL{background:#fff8c5;color:#6b4700}"
    "a.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:0 14px;"
    "border-radius:6px;background:var(--brand);color:#fff;font-weight:600;text-decoration:none}"
    "button.primary{background:var(--brand);width:100%}"
    ".local{border:3px solid var(--bad);background:#ffebe9;padding:8px 10px;border-radius:8px;font-weight:700}"
)
_DESK_HASH = base64.b64encode(hashlib.sha256(DESK_CSS.encode()).digest()).decode()


@dataclass(frozen=True)
class Visitor:
    """Someone signed in to the desk: who (``sub``, the identity provider's stable id), the address
    approvals and uploads are recorded under, a name to show, and their groups."""

    sub: str
    email: str
    name: str
    groups: frozenset[str]

    def in_any(self, groups: Iterable[str]) -> bool:
        return bool(self.groups & set(groups))


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    groups: tuple[str, ...]


#: the desk's pages, in the navigation's order, and the groups that may open each
NAV: tuple[NavItem, ...] = (
    NavItem("Upload", "/desk/upload", (STAFF,)),
    NavItem("My photos", "/desk/photos", (STAFF,)),
    NavItem("Approvals", "/desk/approvals", (APPROVERS, SAFEGUARDING)),
    NavItem("Comments", "/desk/comments", (PRESS_OFFICE,)),
    NavItem("Escalated comments", "/desk/escalated", (SAFEGUARDING,)),
    NavItem("Reports", "/desk/reports", (PRESS_OFFICE,)),
)


def groups_of(path: str) -> tuple[str, ...]:
    """The groups that may open ``path`` (the :data:`NAV` entry it is under); () when under none."""
    item = max((i for i in NAV if path == i.path or path.startswith((i.path + "/", i.path + "."))),
               key=lambda i: len(i.path), default=None)
    return item.groups if item else ()


#: the desk paths any signed-in visitor may open; every other path needs the groups of its NAV
#: entry, and a path under none is refused (a route added without a NAV entry opens to nobody)
OPEN_TO_ANY = frozenset({"/desk", "/desk/desk.js"})


def allowed(visitor: Visitor, path: str) -> bool:
    if path in OPEN_TO_ANY:
        return True
    groups = groups_of(path)
    return bool(groups) and visitor.in_any(groups)


def nav_for(visitor: Visitor | None) -> list[NavItem]:
    return [item for item in NAV if visitor and visitor.in_any(item.groups)]


@dataclass(frozen=True)
class DeskPage:
    """A desk reply: status, body, and the headers: the review page's, admitting the desk's
    stylesheet, its script, and requests to ``connect`` origins (besides its own)."""

    status: int
    body: str
    connect: tuple[str, ...] = ()
    content_type: str = "text/html; charset=utf-8"
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        headers = security_headers()
        csp = headers["Content-Security-Policy"]
        csp = csp.replace("style-src ", f"style-src 'sha256-{_DESK_HASH}' ", 1)
        connect = " ".join(("'self'", *self.connect))
        csp = csp.replace("default-src 'none';", f"default-src 'none'; script-src 'self'; connect-src {connect};", 1)
        headers["Content-Security-Policy"] = csp
        headers["Content-Type"] = self.content_type
        headers.update(self.extra_headers)
        return headers


def desk_html(template: str, *, title: str, visitor: Visitor | None, here: str = "", csrf: str = "",
              **values: Any) -> str:
    """Desk page ``template`` (under ``templates/desk/``) for ``visitor``."""
    values.setdefault("error", "")
    values.setdefault("message", "")
    values.setdefault("kind", "ok")
    return environment().get_template(f"desk/{template}").render(
        css=Markup(CSS), desk_css=Markup(DESK_CSS), title=title, visitor=visitor, nav=nav_for(visitor),
        here=here, csrf=csrf, **values)
