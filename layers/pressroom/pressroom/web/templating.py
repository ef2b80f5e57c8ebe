"""Jinja2 templates (``web/templates``) for the pages and emails about published photos.

Jinja2 escapes every value for HTML by itself (autoescape), so a caption or a reason typed by a
person can never become markup; that is why new pages use it rather than escaping each value by
hand. Pages share the review page's stylesheet, passed in as markup so that its bytes, and so its
hash in the Content-Security-Policy, stay the same.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pressroom.web.audit import when
from pressroom.web.pages import CSS, security_headers

#: what these pages add to the review page's stylesheet (a second <style>, with its own hash)
EXTRA_CSS = ("#confirm{background:var(--bad)}#correct{background:var(--ok)}"
             "table.change{border-collapse:collapse;width:100%}"
             "table.change th,table.change td{text-align:left;vertical-align:top;padding:6px;"
             "border-bottom:1px solid var(--line);overflow-wrap:anywhere;white-space:pre-wrap}"
             "tr.changed td{background:#fff8c5}")
_EXTRA_HASH = base64.b64encode(hashlib.sha256(EXTRA_CSS.encode()).digest()).decode()


@dataclass(frozen=True)
class HtmlPage:
    """An HTML reply: status, body and the security headers of the review page, which admit both
    stylesheets and no image."""

    status: int
    html: str

    @property
    def headers(self) -> dict[str, str]:
        headers = security_headers()
        csp = headers["Content-Security-Policy"]
        headers["Content-Security-Policy"] = csp.replace("style-src ", f"style-src 'sha256-{_EXTRA_HASH}' ", 1)
        return headers


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("pressroom.web", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["when"] = when
    env.globals["css"] = Markup(CSS)
    env.globals["extra_css"] = Markup(EXTRA_CSS)
    return env


def render(name: str, **values: Any) -> str:
    """Template ``name`` filled in with ``values`` (autoescaped when it is ``.html``)."""
    return environment().get_template(name).render(**values)
