"""What the approval stages' tests share: a waiting photo, the outbox, links, forms, and the stages as
each handler calls them."""
import email
import json
import re
from datetime import UTC, datetime
from email import policy
from urllib.parse import urlencode

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from pressroom import bootstrap
from pressroom.adapters import aws as clients
from pressroom.adapters import parameters
from pressroom.domain.photos import Photo, State
from pressroom.guidance.rules import load_rulebook
from pressroom.stages.approval_api import refusal
from pressroom.web.csrf import csrf_token
from pressroom.web.forms import FormRefused, read_decision
from pressroom_local.resources import Names

PID = "3f1c2a9b7d4e5f60718293a4"
ONE, TWO = Names().approvers
UPLOADER = "pc.jones@west-midlands.example"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORIGIN = "http://127.0.0.1:8787"
FORM = {"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN, "sec-fetch-site": "same-origin"}
FINDINGS = [{"rule": "credit.missing", "severity": "warn", "message": "No photographer credit",
             "evidence": "no Credit/Copyright field", "guidance": "Credit the photographer or the force."}]

CHECK = f"publish-check-{PID}"


# -- the stages, as their handlers call them -------------------------------------------------------
def request_approval(photo_id, *, now):
    return bootstrap.request_approval().request(photo_id, now=now)


def review(photo_id, token, *, now):
    return bootstrap.approval_api().review(photo_id, token, now=now)


def decide(photo_id, body, headers, *, now):
    """The approval API's POST: the form read at the door (as the handler does), then the decision."""
    api = bootstrap.approval_api()
    try:
        form = read_decision(body, headers, api.origin)
    except FormRefused as err:
        return refusal(err.status, err.title, err.message)
    return api.decide(photo_id, form, now=now)


def remind(photo_id, *, now):
    return bootstrap.approval_timer().remind(photo_id, now=now)


def expire(photo_id, *, now):
    return bootstrap.approval_timer().expire(photo_id, now=now)


def publish_check(photo_id, *, now):
    return bootstrap.approval_timer().publish_check(photo_id, now=now)


def timeout(*args, **kwargs):
    raise RuntimeError("Task timed out after 15.00 seconds")  # the Lambda dies here


def waiting(store, corpus, *, pid=PID, title="Neighbourhood day in Ladywood", description="PCSOs meet residents.",
            findings=FINDINGS, declared=None, uploader=UPLOADER, image="DSCN0010_gps_nikon_coolpix_p6000.jpg"):
    """A photo the way the policy stage leaves it: clean copy in the bucket, NEEDS_APPROVAL."""
    settings = bootstrap.get_settings()
    key = f"clean/{pid}.jpg"
    clients.client("s3").put_object(Bucket=settings.clean_bucket, Key=key, Body=(corpus / image).read_bytes(),
                                ContentType="image/jpeg")
    store.create(Photo(id=pid, state=State.RECEIVED, album="Neighbourhood Day", original_bucket="pressroom-raw",
                       original_key="incoming/Neighbourhood Day/ladywood.jpg", original_version="v1",
                       uploader=uploader), actor=uploader)
    store.transition(pid, State.RECEIVED, State.SCRUBBED, actor="scrub", changes={
        "clean_key": key, "content_type": "image/jpeg", "width": 640, "height": 480,
        "captions": {"title": title, "description": description, "tags": ["ladywood", "community"]},
        "declared": declared or {}})
    store.transition(pid, State.SCRUBBED, State.NEEDS_APPROVAL, actor="policy", changes={"findings": findings})
    return pid


def outbox():
    """Every message moto's SES accepted, parsed."""
    return [email.message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages]


def part(message, kind):
    return next(p for p in message.walk() if p.get_content_type() == kind).get_content()


def token_of(message):
    return re.search(r"/review/[0-9a-f]+\?t=([A-Za-z0-9_-]+)", part(message, "text/plain")).group(1)


def tokens(pid=PID):
    """The newest link token each approver was emailed, by address."""
    found = {}
    for message in outbox():
        if "Approval needed" in message["Subject"] and pid in part(message, "text/plain"):
            found[message["To"]] = token_of(message)
    return found


def snapshot(store, pid=PID):
    return store.get(pid), store.audit(pid)


def safe_answers(**changes):
    """The safe answer to every question (``changes``: question id with _ for -, and its answer)."""
    answers = {q.id: q.safe for q in load_rulebook().questions}
    answers.update({key.replace("_", "-"): value for key, value in changes.items()})
    return answers


def body(token, *, decision="approve", answers=None, reason="", csrf=None, notes=None, caption=None, shown="",
         checked=""):
    """The review page's form as a browser posts it: every question answered safely unless ``answers``
    says otherwise; ``caption`` (title, description, tags) as the edit fields hold it."""
    key = parameters.signing_key()
    fields = [("t", token), ("csrf", csrf_token(key, token) if csrf is None else csrf), ("shown", shown),
              ("checked", checked)]
    fields += [(f"q.{name}", value) for name, value in (safe_answers() if answers is None else answers).items()]
    fields += [(f"note.{name}", value) for name, value in (notes or {}).items()]
    if caption is not None:
        fields += [("title", caption[0]), ("description", caption[1]), ("tags", caption[2])]
    return urlencode([*fields, ("decision", decision), ("reason", reason)])


def publish_messages(created):
    sqs = clients.client("sqs")
    messages = sqs.receive_message(QueueUrl=created.queue_urls["publish"], MaxNumberOfMessages=10,
                                   VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def set_approvers(*addresses):
    clients.client("ssm").put_parameter(Name="/pressroom/approvers", Type="StringList", Value=",".join(addresses),
                                    Overwrite=True)
    parameters.reset()


@pytest.fixture
def asked(store, corpus):
    pid = waiting(store, corpus)
    assert request_approval(pid, now=NOW) == [ONE, TWO]
    return tokens(pid)

