"""Approvals that make approvers think, through the handlers against moto: answers, edits that are
judged again and published as edited, a second approver from a named group, nobody approving their
own upload, and the uploader told once where the photo went."""
from __future__ import annotations

import base64
import copy
import email
import json
import re
from email import policy
from pathlib import Path
from urllib.parse import urlencode

import boto3
import pytest

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain import links
from pressroom.domain.approvals import ONLY_THE_UPLOADER
from pressroom.domain.photos import State
from pressroom.settings import get_settings
from pressroom.web.csrf import csrf_token
from pressroom_local.resources import Names
from tests.integration.helpers import SAFE_METADATA, drain, invoke, sent_emails, upload_until_asked

BASE = "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com"
ONE, TWO = Names().approvers
LEAD = dict(Names().groups)["safeguarding-leads"][0]
UPLOADER = SAFE_METADATA["uploader"]
CHILDREN = {**SAFE_METADATA, "children": "yes", "parental-permission": "PP-2041"}


@pytest.fixture
def site(aws, monkeypatch):
    monkeypatch.setenv("PRESSROOM_APPROVAL_BASE_URL", BASE)
    bootstrap.reset()
    return aws


def _mails():
    return [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _links(pid: str) -> dict[str, str]:
    """The newest review link token each address was emailed for ``pid``."""
    found = {}
    for message in _mails():
        match = re.search(rf"{BASE}/review/{pid}\?t=([\w-]+)", _text(message))
        if match:
            found[message["To"]] = match.group(1)
    return found


def _get(load_event, pid, token):
    event = copy.deepcopy(load_event("approval_api_get"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/review/{pid}"
    event["pathParameters"] = {"photo_id": pid}
    event["rawQueryString"] = f"t={token}"
    event["queryStringParameters"] = {"t": token}
    return invoke("approval_api", event)


def _post(load_event, pid, token, decision="approve", *, answers=None, notes=None, caption=None, reason="",
          checked="", shown="", blur=(), blurred=""):
    """The review page's POST: the questions left open for this photo answered safely (or ``answers``),
    ``blur`` ticked and ``blurred`` the blurred copy the page showed."""
    photo = bootstrap.store().get(pid)
    items, _ = bootstrap.request_approval().items(photo)
    given = {i.id: i.question.safe for i in items if not i.declared} if answers is None else answers
    fields = [("t", token), ("csrf", csrf_token(parameters.signing_key(), token)), ("shown", shown),
              ("checked", checked), *[(f"q.{k}", v) for k, v in given.items()],
              *[(f"note.{k}", v) for k, v in (notes or {}).items()],
              *[("blur", choice) for choice in blur], ("blurred", blurred)]
    if caption is not None:
        fields += [("title", caption[0]), ("description", caption[1]), ("tags", caption[2])]
    form = urlencode([*fields, ("decision", decision), ("reason", reason)])
    event = copy.deepcopy(load_event("approval_api_post"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/review/{pid}"
    event["pathParameters"] = {"photo_id": pid}
    event["body"] = form
    event["headers"]["content-length"] = str(len(form))
    return invoke("approval_api", event)


def _publish(aws, load_event):
    """Run the publish handler on every message waiting in the publish queue, as Lambda would."""
    for message in drain(boto3.client("sqs"), aws.queue_urls["publish"]):
        event = copy.deepcopy(load_event("publish"))
        event["Records"][0]["body"] = message["Body"]
        assert invoke("publish", event) == {"batchItemFailures": []}


def _sidecar(photo) -> dict:
    root = Path(get_settings().local_album_dir)
    return json.loads((root / "photos" / f"{photo.flickr['id']}.json").read_text())


@pytest.fixture
def park(site, store, load_event, corpus):
    return upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())


@pytest.fixture
def children(site, store, load_event, corpus):
    return upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                              metadata=CHILDREN, key="incoming/neighbourhood-day/school-visit.jpg")


# -- answers -----------------------------------------------------------------------------------------
def test_an_answer_that_breaches_the_guidance_refuses_approval_quoting_it(store, load_event, park):
    pid, before = park, store.audit(park)
    items, _ = bootstrap.request_approval().items(store.get(pid))
    answers = {i.id: i.question.safe for i in items if not i.declared} | {"evidence": "no"}
    reply = _post(load_event, pid, _links(pid)[ONE], answers=answers)
    assert reply["statusCode"] == 400
    assert "Add pictures of anything that may be used as evidence in court." in reply["body"]
    assert store.get(pid).state == State.NEEDS_APPROVAL and store.audit(pid) == before


def test_an_answer_the_guidance_allows_with_care_needs_a_note_kept_in_the_audit_trail(site, store, load_event, park):
    pid = park
    items, _ = bootstrap.request_approval().items(store.get(pid))
    answers = {i.id: i.question.safe for i in items if not i.declared} | {"publicity": "no"}
    refused = _post(load_event, pid, _links(pid)[ONE], answers=answers)
    assert refused["statusCode"] == 400 and 'id="note-publicity"' in refused["body"]
    note = "Held back until the campaign launches next week"
    reply = _post(load_event, pid, _links(pid)[ONE], answers=answers, notes={"publicity": note})
    assert reply["statusCode"] == 200, reply["body"]
    [approved] = [e for e in store.audit(pid) if e.get("to") == "APPROVED"]
    assert approved["detail"]["answers"] == {**answers, "kind": "yes", "release-forms": "na", "children": "yes",
                                             "parental-permission": "na", "school": "na"}  # with the declared ones
    assert approved["detail"]["notes"] == {"publicity": note}


# -- edits ------------------------------------------------------------------------------------------
def test_an_edit_is_judged_again_audited_and_published_as_edited(site, store, load_event, park):
    pid = park
    token = _links(pid)[ONE]
    old = store.get(pid)
    edit = ("Park clean-up in Cannon Hill", "Volunteers and PCSOs cleared litter from the park.\nThanks all!",
            "community, Cannon Hill Park")
    page = _post(load_event, pid, token, "check", caption=edit)
    assert page["statusCode"] == 200 and "passes the checks" in page["body"]
    assert "Park clean-up in Cannon Hill" in page["body"] and store.get(pid).title == old.title  # nothing stored
    reply = _post(load_event, pid, token, caption=edit)
    assert reply["statusCode"] == 200, reply["body"]
    photo = store.get(pid)
    assert (photo.title, photo.description, photo.tags) == (edit[0], edit[1], ["community", "Cannon Hill Park"])
    [approved] = [e for e in store.audit(pid) if e.get("to") == "APPROVED"]
    assert approved["detail"]["edited"] == "title, description, tags"
    assert approved["detail"]["caption"]["title"] == {"before": old.title, "after": edit[0]}
    assert approved["detail"]["caption"]["description"]["before"] == old.description
    _publish(site, load_event)
    published = store.get(pid)
    sidecar = _sidecar(published)
    assert published.state == State.PUBLISHED and sidecar["title"] == edit[0]
    assert sidecar["description"].startswith(edit[1]) and sidecar["tags"] == ["community", "Cannon Hill Park"]


def test_an_edit_that_adds_a_blocking_finding_stops_the_approval(site, store, load_event, park):
    pid = park
    before = store.get(pid), store.audit(pid)
    edit = ("Park clean-up", "Call Dave on 07700 900123 to join in next time.", "community")
    reply = _post(load_event, pid, _links(pid)[ONE], caption=edit)
    assert reply["statusCode"] == 400 and "Your edit cannot be published" in reply["body"]
    assert "07700 900123" in reply["body"]  # kept in the field, to be put right
    assert (store.get(pid), store.audit(pid)) == before


def test_new_points_an_edit_raises_are_shown_before_the_approval_counts(site, store, load_event, park):
    pid = park
    token = _links(pid)[ONE]
    edit = ("Park clean-up", "Officers proceeded to the park to help volunteers.", "community")
    first = _post(load_event, pid, token, caption=edit)
    assert first["statusCode"] == 400 and "Your edit raised the points" in first["body"]
    assert "police jargon" in first["body"] and store.get(pid).state == State.NEEDS_APPROVAL
    checked = re.search(r'name="checked" value="([0-9a-f]+)"', first["body"]).group(1)
    reply = _post(load_event, pid, token, caption=edit, checked=checked)
    assert reply["statusCode"] == 200, reply["body"]
    assert any(f["rule"] == "do-avoid-jargon" for f in store.get(pid).findings)


def test_a_decision_on_a_caption_changed_since_the_page_was_served_is_refused(site, store, load_event, children):
    pid = children
    tokens = _links(pid)
    shown = re.search(r'name="shown" value="([0-9a-f]+)"', _get(load_event, pid, tokens[TWO])["body"]).group(1)
    photo = store.get(pid)
    edit = ("A new title", photo.description, ", ".join(photo.tags))
    assert _post(load_event, pid, tokens[ONE], caption=edit, shown=shown)["statusCode"] == 200  # a first approval
    late = _post(load_event, pid, tokens[TWO], "reject", reason="Not this one", shown=shown)
    assert late["statusCode"] == 409 and "changed the caption since you opened this page" in late["body"]
    assert store.get(pid).state == State.NEEDS_APPROVAL


# -- a second approver -------------------------------------------------------------------------------
def test_a_photo_with_children_needs_a_safeguarding_lead_too(site, store, load_event, children):
    pid = children
    assert set(_links(pid)) == {ONE, TWO}  # the first request goes to the approvers list only
    reply = _post(load_event, pid, _links(pid)[ONE])
    assert reply["statusCode"] == 200 and "also needs an approval from a safeguarding lead" in reply["body"]
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and [a["by"] for a in photo.approvals] == [ONE]
    assert drain(boto3.client("sqs"), site.queue_urls["publish"]) == []
    [asked] = [m for m in _mails() if m["To"] == LEAD]
    assert "Approval needed" in asked["Subject"]
    assert f"{ONE} approved it. It also needs an approval from a safeguarding lead" in _text(asked)
    late = _post(load_event, pid, _links(pid)[TWO])  # another plain approver's approval cannot be the second
    assert late["statusCode"] == 409 and "cannot" in late["body"]
    assert _get(load_event, pid, _links(pid)[TWO])["statusCode"] == 200  # they may still look, and reject
    reply = _post(load_event, pid, _links(pid)[LEAD])
    assert reply["statusCode"] == 200 and "queued for publishing" in reply["body"]
    photo = store.get(pid)
    assert photo.state == State.APPROVED and photo.decision["approved_by"] == [ONE, LEAD]
    assert [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), site.queue_urls["publish"])] == [
        {"photo_id": pid}]
    events = [e["event"] for e in store.audit(pid)]
    assert events.count("approval-recorded") == 1 and "NEEDS_APPROVAL→APPROVED" in events


def test_an_approvers_answer_routes_the_photo_to_the_group(site, store, load_event, park):
    pid = park
    items, _ = bootstrap.request_approval().items(store.get(pid))
    answers = {i.id: i.question.safe for i in items if not i.declared} | {"crime-scene": "no"}
    reply = _post(load_event, pid, _links(pid)[ONE], answers=answers)
    assert reply["statusCode"] == 200 and "may be from a crime scene" in reply["body"]
    assert store.get(pid).state == State.NEEDS_APPROVAL and LEAD in _links(pid)


def test_the_second_approver_can_reject(site, store, load_event, children):
    pid = children
    assert _post(load_event, pid, _links(pid)[ONE])["statusCode"] == 200
    reply = _post(load_event, pid, _links(pid)[LEAD], "reject", reason="The school has not agreed")
    assert reply["statusCode"] == 200 and store.get(pid).state == State.REJECTED
    [told] = [m for m in _mails() if m["To"] == UPLOADER]
    assert "The school has not agreed" in _text(told)


def test_a_lost_ask_of_the_second_approver_is_made_by_the_publish_check(site, store, load_event, children,
                                                                         monkeypatch):
    pid = children
    with monkeypatch.context() as patch:  # the ask after the first approval fails (SES, a timeout)
        patch.setattr(type(bootstrap.request_approval()), "ask_next",
                      lambda self, photo, now: (_ for _ in ()).throw(RuntimeError("died")))
        assert _post(load_event, pid, _links(pid)[ONE])["statusCode"] == 200
    assert LEAD not in _links(pid)
    timer = {**load_event("approval_timer_publish_check"), "photo_id": pid}
    assert invoke("approval_timer", timer)["acted"] is True
    assert invoke("approval_timer", timer)["acted"] is False
    assert [m["To"] for m in _mails()].count(LEAD) == 1


def test_with_no_one_else_in_the_group_the_photo_waits_visibly(site, store, load_event, corpus):
    boto3.client("ssm").put_parameter(Name="/pressroom/groups/safeguarding-leads", Type="StringList",
                                      Value=UPLOADER, Overwrite=True)  # the only lead uploaded it
    parameters.reset()
    pid = upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata=CHILDREN)
    assert _post(load_event, pid, _links(pid)[ONE])["statusCode"] == 200
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and "safeguarding lead" in photo.reason
    told = [m for m in _mails() if m["To"] == ", ".join(Names().press_office)]
    assert len(told) == 1 and "/pressroom/groups/safeguarding-leads" in _text(told[0])
    assert UPLOADER not in _links(pid)


# -- nobody approves their own upload ----------------------------------------------------------------
def test_an_approver_who_uploaded_the_photo_is_not_asked_and_cannot_decide(site, store, load_event, corpus):
    pid = upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata={**SAFE_METADATA, "uploader": ONE.upper()})
    assert set(_links(pid)) == {TWO} and store.get(pid).approvers == [TWO]
    forged = links.issue(parameters.signing_key(), pid, ONE, _expiry(pid))
    store.update(pid, State.NEEDS_APPROVAL, actor="test", event="test", changes={"approvers": [TWO, ONE]})
    for reply in (_get(load_event, pid, forged), _post(load_event, pid, forged)):
        assert reply["statusCode"] == 403 and "Nobody approves a photo they uploaded" in reply["body"]
    assert store.get(pid).state == State.NEEDS_APPROVAL


def test_when_only_the_uploader_could_approve_the_photo_waits_visibly(site, store, load_event, corpus):
    boto3.client("ssm").put_parameter(Name="/pressroom/approvers", Type="StringList", Value=ONE, Overwrite=True)
    parameters.reset()
    pid = upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata={**SAFE_METADATA, "uploader": ONE})
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and photo.reason == ONLY_THE_UPLOADER and photo.approvers == []
    [told] = _mails()
    assert told["To"] == ", ".join(Names().press_office) and "only approver" in _text(told)


def _expiry(pid):
    return bootstrap.timers().due(f"approval-expiry-{pid}")


# -- told once where it went ----------------------------------------------------------------------------
def test_the_uploader_is_told_once_where_their_photo_was_published(site, store, load_event, park):
    pid = park
    assert _post(load_event, pid, _links(pid)[ONE])["statusCode"] == 200
    message = drain(boto3.client("sqs"), site.queue_urls["publish"])[0]
    event = copy.deepcopy(load_event("publish"))
    event["Records"][0]["body"] = message["Body"]
    for _ in range(2):  # SQS delivered it twice
        assert invoke("publish", event) == {"batchItemFailures": []}
    photo = store.get(pid)
    told = [m for m in _mails() if m["To"] == UPLOADER]
    assert photo.state == State.PUBLISHED and len(told) == 1
    assert "is published" in told[0]["Subject"] and photo.flickr["url"] in _text(told[0])
    assert 'album "neighbourhood-day"' in _text(told[0])


def test_the_review_page_post_with_a_base64_body_still_reads_the_answers(site, store, load_event, park):
    """API Gateway may hand the form over base64-encoded."""
    pid = park
    token = _links(pid)[ONE]
    items, _ = bootstrap.request_approval().items(store.get(pid))
    form = urlencode([("t", token), ("csrf", csrf_token(parameters.signing_key(), token)),
                      *[(f"q.{i.id}", i.question.safe) for i in items if not i.declared], ("decision", "approve")])
    event = copy.deepcopy(load_event("approval_api_post_base64"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/review/{pid}"
    event["pathParameters"] = {"photo_id": pid}
    event["body"] = base64.b64encode(form.encode()).decode()
    assert invoke("approval_api", event)["statusCode"] == 200
    assert store.get(pid).state == State.APPROVED


def test_while_waiting_for_the_second_approval_only_the_group_is_reminded_and_expiry_says_why(site, store,
                                                                                            load_event, children):
    pid = children
    assert _post(load_event, pid, _links(pid)[ONE])["statusCode"] == 200
    reminder = {**load_event("approval_timer"), "photo_id": pid}
    assert invoke("approval_timer", reminder)["acted"] is True
    reminded = [m for m in _mails() if m["Subject"].startswith("Reminder:")]
    assert [m["To"] for m in reminded] == [LEAD] and "also needs an approval from a safeguarding lead" in _text(
        reminded[0])
    assert invoke("approval_timer", {**load_event("approval_timer_expiry"), "photo_id": pid})["acted"] is True
    [told] = [m for m in _mails() if m["To"] == UPLOADER]
    assert f"approved by {ONE}, but the second approval it needs was not given within 7 days" in " ".join(
        _text(told).split())
