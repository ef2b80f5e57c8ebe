"""The comment inbox page: a hostile comment stays text, every form carries the CSRF token and the
revision seen, and only the actions the comment allows are offered."""
import re
from html.parser import HTMLParser

import pytest

from pressroom.web.desk import Visitor
from pressroom.web.inbox import InboxRow, inbox_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
VISITOR = Visitor("sub-1", "ann@force.example", "Ann Officer", frozenset({"press-office"}))


def _row(**changes) -> InboxRow:
    base = dict(comment_id='c"1<x>', revision=3, kind="question", state="new", text=f"Hello {EVIL}\nsecond line",
                author_name=f"Mallory {EVIL}", photo_title=f"Open day {EVIL}", photo_url="https://flickr.example/p/1",
                permalink="https://flickr.example/p/1#c1", arrived="Fri 4 Dec 16:55", assignee=f"bo {EVIL}",
                waited="1 h 15 min", due="Mon 7 Dec 09:30", past_target=True, can_reply=True, can_escalate=True,
                can_delete=True, can_resolve=True, can_assign=True, history=(f"2026-12-07 09:00 UTC · x · {EVIL}",))
    return InboxRow(**{**base, **changes})


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "form":
            self.forms.append({"method": a.get("method"), "action": a.get("action"), "fields": {}})
        if tag == "input" and a.get("type") == "hidden" and self.forms:
            self.forms[-1]["fields"][a["name"]] = a.get("value")


def _page(rows, **kwargs) -> str:
    return inbox_html(visitor=VISITOR, csrf="tok-123", state="new", counts={"new": 1, "deleted": 4}, rows=rows,
                      officers=["ann@force.example", f"bo {EVIL}"], target="4 h of office time", **kwargs)


def test_a_hostile_comment_is_shown_as_text():
    html = _page([_row()], error=f"Refused {EVIL}", error_id='c"1<x>')
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    parser = Forms()
    parser.feed(html)
    assert parser.scripts == 0
    assert 'id="c-c&#34;1&lt;x&gt;"' in html  # the id cannot break out of its attribute
    assert "/desk/comments/c%221%3Cx%3E/reply" in html  # nor the action out of its path
    assert "Past target" in html and "Waiting 1 h 15 min of office time; answer by Mon 7 Dec 09:30." in html


def test_every_form_that_changes_something_posts_the_csrf_token_and_the_revision_seen():
    parser = Forms()
    parser.feed(_page([_row(pending_text="Thanks", pending_by="bo", pending_needs_approval=True, can_reply=False,
                            can_approve=True, can_withdraw=True, can_follow_up=True, kind="offensive")]))
    posts = [f for f in parser.forms if f["method"] == "post"]
    ours = [f for f in posts if f["action"].startswith("/desk/comments/")]
    assert sorted(f["action"].rsplit("/", 1)[-1] for f in ours) == [
        "assign", "follow-up", "post-reply", "resolve", "withdraw-reply"]
    assert len(posts) == len(ours) + 1  # and the desk's sign-out
    for form in posts:
        assert form["fields"]["csrf"] == "tok-123", form["action"]
    for form in ours:
        assert form["fields"]["revision"] == "3" and form["fields"]["state"] == "new"
    assert [f for f in parser.forms if f["method"] == "get"][0]["action"] == "/desk/comments"


def test_only_the_actions_the_comment_allows_are_offered():
    html = _page([_row(can_reply=False, can_escalate=False, can_delete=False, can_resolve=False, can_assign=False,
                       state="resolved")])
    assert "Act on this comment" not in html and "<textarea" not in html
    held = _page([_row(reply_needs_approval=True)])
    assert "Send the reply for approval" in held and "A second press officer approves" in held
    mine = _page([_row(pending_text="Thanks", pending_by="ann", pending_needs_approval=True, can_reply=False)])
    assert "You wrote it: another press officer approves it." in mine and "Approve and post" not in mine


def test_an_empty_state_says_so_and_an_unknown_state_is_refused():
    assert "No comments are new." in _page([])
    assert re.search(r'<option value="deleted">Deleted \(4\)</option>', _page([]))
    with pytest.raises(ValueError, match="unknown inbox state"):
        inbox_html(visitor=VISITOR, csrf="t", state="<x>", counts={}, rows=[])
