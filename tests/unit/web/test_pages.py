"""The review page and result pages: escaped, strict headers, the form contract, the audit lines."""
import base64
import hashlib
import re
from html.parser import HTMLParser

from pressroom.domain.photos import Photo, State
from pressroom.web.audit import format_audit
from pressroom.web.pages import (
    CSS,
    Page,
    notice_page,
    review_page,
)

EVIL = '<script>alert("x")</script>'


def _photo(**captions):
    return Photo(id="3f1c2a9b7d4e5f60718293a4", state=State.NEEDS_APPROVAL, album=f"Album {EVIL}",
                 original_bucket="raw", original_key="incoming/a/b.jpg", original_version="v1",
                 uploader=f"pc{EVIL}@example", content_type="image/jpeg", width=640, height=480,
                 captions={"title": f"Title {EVIL}", "description": f"Desc {EVIL}", "tags": [EVIL, "ok"], **captions},
                 findings=[{"rule": f"rule{EVIL}", "severity": "warn", "message": f"msg {EVIL}",
                            "evidence": [EVIL, "b"], "guidance": f"guide {EVIL}"}],
                 checklist=[f"check {EVIL}", "second"])


def _render(**kwargs):
    args = dict(approver="a@press-office.example", action_url="https://x.example/review/3f1c2a9b7d4e5f60718293a4",
                token="TOKEN", csrf="CSRF", preview_url='https://s3.example/clean/p.jpg?a=1&b="2"',
                expires="2026-11-27 10:00 UTC")
    args.update(kwargs)
    return review_page(_photo(), [f"2026 · scrub · {EVIL}"], **args)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def test_every_field_is_escaped():
    html = _render(error=EVIL, reason=EVIL)
    tags = [tag for tag, _ in _elements(html)]
    assert "script" not in tags
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 12
    assert 'src="https://s3.example/clean/p.jpg?a=1&amp;b=&quot;2&quot;"' in html


def test_form_contract():
    elements = _elements(_render(ticked={1}))
    form = next(a for t, a in elements if t == "form")
    assert form == {"id": "decide", "method": "post", "action": "https://x.example/review/3f1c2a9b7d4e5f60718293a4"}
    inputs = [a for t, a in elements if t == "input"]
    assert {"type": "hidden", "name": "t", "value": "TOKEN"} in inputs
    assert {"type": "hidden", "name": "csrf", "value": "CSRF"} in inputs
    boxes = [a for a in inputs if a["type"] == "checkbox"]
    assert [(b["name"], b["value"], "checked" in b) for b in boxes] == [("check", "0", False), ("check", "1", True)]
    buttons = [a for t, a in elements if t == "button"]
    assert [(b["id"], b["name"], b["value"]) for b in buttons] == [("approve", "decision", "approve"),
                                                                  ("reject", "decision", "reject")]
    assert "formnovalidate" in buttons[1]
    assert any(t == "textarea" and a["name"] == "reason" for t, a in elements)
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in elements)


def test_headers_allow_only_the_inline_style_and_the_bucket_images():
    headers = Page(200, "", img_origin="https://pressroom-clean.s3.eu-west-2.amazonaws.com").headers
    csp = headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "img-src https://pressroom-clean.s3.eu-west-2.amazonaws.com;" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"<style>(.*?)</style>", _render(), re.S).group(1) == CSS
    assert "img-src 'none'" in Page(403, "").headers["Content-Security-Policy"]


def test_notice_page_escapes_and_shows_history():
    html = notice_page(EVIL, EVIL, photo=_photo(), audit_lines=[EVIL])
    assert "script" not in [t for t, _ in _elements(html)]
    assert 'id="history"' in html and "<form" not in html


def test_format_audit():
    events = [
        {"at": "2026-11-20T09:00:00.000Z", "event": "created", "actor": "pc@x", "to": "RECEIVED", "detail": {}},
        {"at": "2026-11-20T09:00:01.000Z", "event": "RECEIVED→SCRUBBED", "actor": "scrub", "from": "RECEIVED",
         "to": "SCRUBBED", "detail": {"removed": ["GPS", "Serial"], "nested": {"x": 1}}},
        {"at": "2026-11-20T09:05:00.000Z", "event": "approval-requested", "actor": "request_approval",
         "detail": {"approver": "a@x", "empty": ""}},
        {"at": "2026-11-20T10:00:00.000Z", "event": "x", "actor": "a", "detail": {"why": "w" * 500}},
    ]
    lines = format_audit(events)
    assert lines[:3] == [
        "2026-11-20 09:00 UTC · pc@x · created: RECEIVED",
        "2026-11-20 09:00 UTC · scrub · RECEIVED → SCRUBBED (removed: GPS, Serial)",
        "2026-11-20 09:05 UTC · request_approval · approval-requested (approver: a@x)",
    ]
    assert len(lines[3]) < 220 and lines[3].endswith("…)")


def test_a_preview_with_boxes_says_what_they_mean_and_that_they_are_not_published():
    plain = _render()
    boxed = _render(boxes_shown=True, preview_url="data:image/jpeg;base64,AAAA")
    assert "Boxes show what image analysis found" not in plain
    assert "Boxes show what image analysis found, and are not part of the photo" in boxed
    assert all(word in boxed for word in ("amber</span> faces", "red</span> text that is a finding", "blue</span> other text"))
