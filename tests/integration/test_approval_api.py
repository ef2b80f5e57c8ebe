"""The approval_api handler against moto, driven by events/approval_api_*.json."""
import base64
import copy
import email
import json
import re
from email import policy
from urllib.parse import urlencode

import boto3
import pytest

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain.photos import State
from pressroom.web.csrf import csrf_token
from pressroom_local.resources import Names
from tests.integration.helpers import drain, invoke, sent_emails, upload_until_asked

BASE = "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com"  # the host the sample events were sent to
ONE, TWO = Names().approvers


@pytest.fixture
def asked(aws, store, load_event, corpus, monkeypatch):
    """A photo through scrub, policy and request_approval; the link each approver was emailed."""
    monkeypatch.setenv("PRESSROOM_APPROVAL_BASE_URL", BASE)
    bootstrap.reset()
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())
    links = {}
    for raw in sent_emails():
        message = email.message_from_string(raw, policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        links[message["To"]] = re.search(rf"{BASE}/review/{pid}\?t=([\w-]+)", text).group(1)
    assert store.get(pid).state == State.NEEDS_APPROVAL and set(links) == {ONE, TWO}
    return pid, links


def _get(load_event, pid, token):
    event = copy.deepcopy(load_event("approval_api_get"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/review/{pid}"
    event["pathParameters"] = {"photo_id": pid}
    event["rawQueryString"] = f"t={token}"
    event["queryStringParameters"] = {"t": token}
    return event


def _post(load_event, pid, fields, *, encoded=False, **headers):
    event = copy.deepcopy(load_event("approval_api_post_base64" if encoded else "approval_api_post"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/review/{pid}"
    event["pathParameters"] = {"photo_id": pid}
    form = urlencode(fields)
    event["body"] = base64.b64encode(form.encode()).decode() if encoded else form
    event["headers"].update(headers, **{"content-length": str(len(form))})
    return event


def _form(store, pid, token, decision="approve", reason="", answers=None):
    """The review page's form: every question the photo's declarations leave open answered safely."""
    items, _ = bootstrap.request_approval().items(store.get(pid))
    given = {item.id: item.question.safe for item in items if not item.declared} if answers is None else answers
    return ([("t", token), ("csrf", csrf_token(parameters.signing_key(), token))]
            + [(f"q.{name}", value) for name, value in given.items()] + [("decision", decision), ("reason", reason)])


def _publish_queue(aws):
    return [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), aws.queue_urls["publish"])]


def test_get_shows_the_page_and_changes_nothing(aws, store, load_event, asked):
    pid, links = asked
    before = store.get(pid), store.audit(pid)
    for _ in range(2):
        reply = invoke("approval_api", _get(load_event, pid, links[ONE]))
    assert (store.get(pid), store.audit(pid)) == before
    assert reply["statusCode"] == 200
    headers = reply["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "Park clean-up" in reply["body"] and 'name="q.purpose"' in reply["body"]
    assert f'action="{BASE}/review/{pid}"' in reply["body"]


def test_the_sample_events_own_token_is_refused(aws, store, load_event, asked):
    pid = "3f1c2a9b7d4e5f60718293a4"
    reply = invoke("approval_api", load_event("approval_api_get"))  # signed with some other key
    assert reply["statusCode"] == 403 and "not valid" in reply["body"]
    assert invoke("approval_api", load_event("approval_api_post"))["statusCode"] == 403
    assert invoke("approval_api", load_event("approval_api_post_base64"))["statusCode"] == 403
    assert store.get(pid) is None


def test_approve_once_then_409_and_a_single_publish_message(aws, store, load_event, asked):
    pid, links = asked
    event = _post(load_event, pid, _form(store, pid, links[ONE], reason="Fine"))
    reply = invoke("approval_api", event)
    assert reply["statusCode"] == 200, reply["body"]
    assert store.get(pid).state == State.APPROVED and store.get(pid).decision["by"] == ONE
    again = invoke("approval_api", event)  # double click
    late = invoke("approval_api", _post(load_event, pid, _form(store, pid, links[TWO])))
    for reply in (again, late):
        assert reply["statusCode"] == 409 and f"already approved by {ONE}" in reply["body"]
    assert _publish_queue(aws) == [{"photo_id": pid}]


def test_base64_body_reject_tells_the_uploader(aws, store, load_event, asked):
    pid, links = asked
    fields = _form(store, pid, links[TWO], decision="reject", reason="Shows a house number", answers={})
    reply = invoke("approval_api", _post(load_event, pid, fields, encoded=True))
    assert reply["statusCode"] == 200, reply["body"]
    assert store.get(pid).state == State.REJECTED
    told = [raw for raw in sent_emails() if "was rejected" in raw]
    assert len(told) == 1 and "Shows a house number" in told[0]
    assert _publish_queue(aws) == []


def test_refused_posts_change_nothing(aws, store, load_event, asked):
    pid, links = asked
    before = store.get(pid), store.audit(pid)
    form = _form(store, pid, links[ONE])
    for name, fields, status in (
        ("no csrf", [(k, v) for k, v in form if k != "csrf"], 403),
        ("wrong csrf", [(k, "x" if k == "csrf" else v) for k, v in form], 403),
        ("questions not answered", [(k, v) for k, v in form if not k.startswith("q.")], 400),
        ("reject without reason", [(k, "reject" if k == "decision" else v) for k, v in form], 400),
    ):
        assert invoke("approval_api", _post(load_event, pid, fields))["statusCode"] == status, name
    assert (store.get(pid), store.audit(pid)) == before
    assert _publish_queue(aws) == []


@pytest.mark.parametrize("raw", [base64.b64encode(b"t=\xff&decision=approve").decode(), "!!!not base64"])
def test_a_body_that_is_not_form_text_is_a_bad_request(aws, store, load_event, asked, raw):
    """A base64 body that decodes to bytes that are not UTF-8, or does not decode at all."""
    pid, _ = asked
    event = _post(load_event, pid, [], encoded=True)
    event["body"] = raw
    reply = invoke("approval_api", event)
    assert reply["statusCode"] == 400 and "could not be read" in reply["body"]
    assert reply["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert store.get(pid).state == State.NEEDS_APPROVAL


def test_cross_site_post_is_refused(aws, store, load_event, asked):
    pid, links = asked
    event = _post(load_event, pid, _form(store, pid, links[ONE]), origin="https://evil.example")
    assert invoke("approval_api", event)["statusCode"] == 403
    assert store.get(pid).state == State.NEEDS_APPROVAL


def test_unknown_path_is_an_html_404(aws, load_event):
    event = copy.deepcopy(load_event("approval_api_get"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/admin"
    reply = invoke("approval_api", event)
    assert reply["statusCode"] == 404 and reply["headers"]["Content-Type"].startswith("text/html")


def _amber_pixels(jpeg: bytes) -> int:
    import io

    import numpy as np
    from PIL import Image

    r, g, b = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")).astype(int).transpose(2, 0, 1)
    return int(((r > 200) & (g > 130) & (g < 210) & (b < 70)).sum())


def test_the_review_page_and_email_show_the_faces_image_analysis_found(aws, store, load_event, monkeypatch):
    """In-account analysis found two faces: the review page's preview and the email's have them boxed."""
    from tests.corpus import vision_file

    monkeypatch.setenv("PRESSROOM_APPROVAL_BASE_URL", BASE)
    monkeypatch.setenv("PRESSROOM_DETECTOR", "local")
    bootstrap.reset()
    pid = upload_until_asked(aws, load_event, vision_file("fr_two_people.jpg").read_bytes())
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and len(photo.analysis["faces"]) == 2
    message = email.message_from_string(sent_emails()[0], policy=policy.default)
    token = re.search(rf"{BASE}/review/{pid}\?t=([\w-]+)", message.get_body(("plain",)).get_content()).group(1)
    inline = next(part.get_content() for part in message.walk() if part.get_content_type() == "image/jpeg")
    assert _amber_pixels(inline) > 100
    page = invoke("approval_api", _get(load_event, pid, token))
    assert page["statusCode"] == 200 and "Boxes show what image analysis found" in page["body"]
    shown = re.search(r'<img src="data:image/jpeg;base64,([^"]+)"', page["body"]).group(1)
    assert _amber_pixels(base64.b64decode(shown)) > 100
    assert "top left" in page["body"] or "middle" in page["body"] or "centre" in page["body"]  # where the faces are
