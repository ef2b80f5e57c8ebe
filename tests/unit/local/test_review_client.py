"""The scripted approver fills in a review form as a browser would."""
from urllib.parse import parse_qsl

from pressroom_local.review_client import Page, submission

FORM = """<form method="post" action="/review/p1">
<input type="hidden" name="csrf" value="abc">
<input type="radio" name="q1" value="no"><input type="radio" name="q1" value="yes" data-safe>
<input type="checkbox" name="blur" value="faces">
<input type="checkbox" name="blur" value="text" checked>
<textarea name="reason">typed</textarea>
<button name="decision" value="approve">Approve</button>
</form>"""


def test_only_ticked_boxes_are_sent_and_questions_get_their_safe_answer():
    sent = submission(Page(200, "http://127.0.0.1:1/review/p1?t=x", FORM), "http://127.0.0.1:1/review/p1?t=x",
                      "approve", reason="why")
    fields = parse_qsl(sent.data.decode())
    assert ("blur", "text") in fields and ("blur", "faces") not in fields
    assert ("q1", "yes") in fields and ("decision", "approve") in fields and ("reason", "why") in fields
    assert sent.url == "http://127.0.0.1:1/review/p1"
