"""The approval service against moto: asking once, a read-only review page, one decision, timers."""
import base64
import email
import io
import json
import re
from datetime import UTC, datetime, timedelta
from email import policy
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from PIL import Image

from pressroom import bootstrap
from pressroom.adapters import aws as clients
from pressroom.adapters import parameters
from pressroom.adapters.timers import Timers
from pressroom.domain import links
from pressroom.domain.photos import Photo, State
from pressroom.stages import approval, publish_check
from pressroom.stages.approval import MAX_REASON
from pressroom.web.csrf import csrf_token
from pressroom_local.resources import Names

PID = "3f1c2a9b7d4e5f60718293a4"
ONE, TWO = Names().approvers
UPLOADER = "pc.jones@west-midlands.example"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORIGIN = "http://127.0.0.1:8787"
FORM = {"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN, "sec-fetch-site": "same-origin"}
CHECKLIST = ["No member of the public is identifiable without a release form",
             "Nothing in the background identifies an address or a vehicle"]
FINDINGS = [{"rule": "credit.missing", "severity": "warn", "message": "No photographer credit",
             "evidence": "no Credit/Copyright field", "guidance": "Credit the photographer or the force."}]


# -- helpers -------------------------------------------------------------------------------------
def waiting(store, corpus, *, pid=PID, title="Neighbourhood day in Ladywood", description="PCSOs meet residents.",
            checklist=CHECKLIST, image="DSCN0010_gps_nikon_coolpix_p6000.jpg"):
    """A photo the way the policy stage leaves it: clean copy in the bucket, NEEDS_APPROVAL."""
    settings = bootstrap.get_settings()
    key = f"clean/{pid}.jpg"
    clients.client("s3").put_object(Bucket=settings.clean_bucket, Key=key, Body=(corpus / image).read_bytes(),
                                ContentType="image/jpeg")
    store.create(Photo(id=pid, state=State.RECEIVED, album="Neighbourhood Day", original_bucket="pressroom-raw",
                       original_key="incoming/Neighbourhood Day/ladywood.jpg", original_version="v1",
                       uploader=UPLOADER), actor=UPLOADER)
    store.transition(pid, State.RECEIVED, State.SCRUBBED, actor="scrub", changes={
        "clean_key": key, "content_type": "image/jpeg", "width": 640, "height": 480,
        "captions": {"title": title, "description": description, "tags": ["ladywood", "community"]}})
    store.transition(pid, State.SCRUBBED, State.NEEDS_APPROVAL, actor="policy",
                     changes={"findings": FINDINGS, "checklist": checklist})
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


def body(token, *, decision="approve", checks=range(len(CHECKLIST)), reason="", csrf=None):
    key = parameters.signing_key()
    fields = [("t", token), ("csrf", csrf_token(key, token) if csrf is None else csrf)]
    fields += [("check", str(i)) for i in checks] + [("decision", decision), ("reason", reason)]
    return urlencode(fields)


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
    assert approval.request_approval(pid, now=NOW) == [ONE, TWO]
    return tokens(pid)


# -- asking --------------------------------------------------------------------------------------
def test_request_emails_each_approver_once_and_records_it(store, corpus):
    pid = waiting(store, corpus)
    assert approval.request_approval(pid, now=NOW) == [ONE, TWO]
    assert approval.request_approval(pid, now=NOW) == []  # a duplicate SQS delivery
    sent = outbox()
    assert sorted(m["To"] for m in sent) == [ONE, TWO]
    photo = store.get(pid)
    assert photo.approvers == [ONE, TWO]
    trail = store.audit(pid)
    assert [e["detail"]["approver"] for e in trail if e["event"] == "approval-requested"] == [ONE, TWO]
    for message in sent:
        claims = links.verify(parameters.signing_key(), token_of(message), NOW)
        assert claims.photo_id == pid and claims.expires_at == NOW + timedelta(days=7)
        assert links.find_approver(claims, [ONE, TWO]) == message["To"]


def test_request_arms_reminder_and_expiry(store, corpus):
    pid = waiting(store, corpus)
    approval.request_approval(pid, now=NOW)
    scheduler, settings = clients.client("scheduler"), bootstrap.get_settings()
    for name, kind, due in ((f"approval-reminder-{pid}", "reminder", "2026-11-22T10:00:00"),
                            (f"approval-expiry-{pid}", "expiry", "2026-11-27T10:00:00")):
        schedule = scheduler.get_schedule(Name=name, GroupName=settings.scheduler_group)
        assert schedule["ScheduleExpression"] == f"at({due})"
        assert schedule["Target"]["Arn"] == settings.approval_timer_function_arn
        assert json.loads(schedule["Target"]["Input"]) == {"kind": kind, "photo_id": pid}


def test_request_is_a_no_op_unless_waiting(store, corpus):
    assert approval.request_approval("0" * 24, now=NOW) == []
    pid = waiting(store, corpus)
    store.transition(pid, State.NEEDS_APPROVAL, State.EXPIRED, actor="test")
    assert approval.request_approval(pid, now=NOW) == []
    assert outbox() == []


def test_a_failed_email_releases_the_claim_so_the_retry_asks_again(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(ONE, "approver.two")  # SES refuses an address without a domain
    with pytest.raises(Exception, match="InvalidParameterValue"):
        approval.request_approval(pid, now=NOW)
    assert store.get(pid).approvers == [ONE]
    set_approvers(ONE, TWO)
    assert approval.request_approval(pid, now=NOW + timedelta(minutes=5)) == [TWO]  # the SQS retry
    assert sorted(m["To"] for m in outbox()) == [ONE, TWO]
    retried = links.verify(parameters.signing_key(), tokens(pid)[TWO], NOW)
    assert retried.expires_at == NOW + timedelta(days=7)  # ends with the photo's approval, not later
    assert [e["event"] for e in store.audit(pid)][-6:] == [
        "approval-requested", "approval-emailed", "approval-requested", "approval-request-failed",
        "approval-requested", "approval-emailed"]


def test_an_approver_whose_delivery_died_before_emailing_is_asked_when_the_claim_goes_stale(store, corpus,
                                                                                            monkeypatch):
    pid = waiting(store, corpus)

    def killed(message):  # the process dies between the claim and the email: no code after it runs
        raise SystemExit("killed")

    mailer = bootstrap.mailer()
    real_send = mailer.send
    monkeypatch.setattr(mailer, "send", killed)
    with pytest.raises(SystemExit):
        approval.request_approval(pid, now=NOW)
    claimed = store.get(pid)
    assert claimed.approvers == [ONE] and list(claimed.asking) == [ONE]
    monkeypatch.setattr(mailer, "send", real_send)
    # a duplicate delivery while the claim may still be live asks only the others
    assert approval.request_approval(pid, now=NOW + timedelta(seconds=30)) == [TWO]
    # the redelivered message, after the queue's visibility timeout, asks the one whose claim died
    assert approval.request_approval(pid, now=NOW + timedelta(seconds=180)) == [ONE]
    assert approval.request_approval(pid, now=NOW + timedelta(seconds=400)) == []
    assert sorted(m["To"] for m in outbox()) == [ONE, TWO]
    photo = store.get(pid)
    assert photo.approvers == [ONE, TWO] and photo.asking == {}
    assert [e["event"] for e in store.audit(pid) if e["event"].startswith("approval-")][-4:] == [
        "approval-requested", "approval-emailed", "approval-requested", "approval-emailed"]


def test_a_confirmed_email_is_never_sent_again(store, corpus):
    pid = waiting(store, corpus)
    assert approval.request_approval(pid, now=NOW) == [ONE, TWO]
    assert store.get(pid).asking == {}
    assert approval.request_approval(pid, now=NOW + timedelta(days=1)) == []
    assert len(outbox()) == 2


# -- nobody to ask --------------------------------------------------------------------------------
def _office_notices():
    return [m for m in outbox() if m["To"] == ", ".join(Names().press_office) and "no approvers" in m["Subject"]]


@pytest.mark.parametrize("configured", [(" ",), ("approver.one", "nobody at example.org")])
def test_with_no_valid_approver_the_photo_waits_visibly_and_the_press_office_is_told_once(store, corpus, configured):
    pid = waiting(store, corpus)
    set_approvers(*configured)
    assert approval.request_approval(pid, now=NOW) == []  # no error: nothing for SQS to retry
    assert approval.request_approval(pid, now=NOW + timedelta(minutes=3)) == []  # a duplicate delivery
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and "no approvers are configured" in photo.reason
    told = _office_notices()
    assert len(told) == 1
    text = part(told[0], "text/plain")
    assert "/pressroom/approvers" in text and pid in text and "2026-11-27 10:00 UTC" in text
    timers = bootstrap.timers()
    assert timers.due(f"approval-expiry-{pid}") == NOW + timedelta(days=7)  # it still ends on time
    assert timers.due(f"approval-reminder-{pid}") == NOW + timedelta(hours=6)  # looks for approvers again
    assert [e["event"] for e in store.audit(pid)].count("approval-held") == 1


def test_a_photo_nobody_could_be_asked_about_expires_on_schedule_and_the_uploader_is_told(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(" ")
    approval.request_approval(pid, now=NOW)
    for hours in range(6, 168, 6):  # still nobody, each time the reminder fires: no error either
        assert approval.remind(pid, now=NOW + timedelta(hours=hours)) == []
        due = bootstrap.timers().due(f"approval-reminder-{pid}")
        assert due == NOW + timedelta(hours=min(hours + 6, 162))  # never re-armed past the expiry
    assert approval.expire(pid, now=NOW + timedelta(days=7)) is True
    assert store.get(pid).state == State.EXPIRED
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "no approvers were configured" in part(notice[0], "text/plain")
    assert len(_office_notices()) == 1


def test_approvers_added_later_are_asked_by_the_next_delivery_and_links_end_with_the_photo(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(" ")
    approval.request_approval(pid, now=NOW)
    set_approvers(ONE, TWO)
    later = NOW + timedelta(hours=5)
    assert approval.request_approval(pid, now=later) == [ONE, TWO]  # e.g. the policy stage's redelivery
    photo = store.get(pid)
    assert photo.reason == "" and photo.approvers == [ONE, TWO]
    assert links.verify(parameters.signing_key(), tokens(pid)[ONE], later).expires_at == NOW + timedelta(days=7)
    assert bootstrap.timers().due(f"approval-expiry-{pid}") == NOW + timedelta(days=7)
    assert bootstrap.timers().due(f"approval-reminder-{pid}") == later + timedelta(days=2)


def test_the_reminder_asks_approvers_added_since_nobody_could_be_asked(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(" ")
    approval.request_approval(pid, now=NOW)
    assert approval.remind(pid, now=NOW + timedelta(hours=6)) == []
    set_approvers(ONE, TWO)
    assert approval.remind(pid, now=NOW + timedelta(days=4)) == [ONE, TWO]  # after the usual reminder's time
    assert bootstrap.timers().due(f"approval-reminder-{pid}") == NOW + timedelta(days=6)  # then reminded
    asked = [m for m in outbox() if "Approval needed" in m["Subject"]]
    assert sorted(m["To"] for m in asked) == [ONE, TWO]
    assert not any(m["Subject"].startswith("Reminder") for m in asked)  # a first request, not a reminder
    assert approval.review(pid, tokens(pid)[ONE], now=NOW + timedelta(days=4)).status == 200
    assert store.get(pid).reason == ""
    assert approval.remind(pid, now=NOW + timedelta(days=6)) == [ONE, TWO]  # the reminder, as for any photo
    assert links.verify(parameters.signing_key(), tokens(pid)[ONE], NOW).expires_at == NOW + timedelta(days=7)


def test_a_failed_press_office_notice_is_sent_by_a_later_delivery(store, corpus, monkeypatch):
    pid = waiting(store, corpus)
    set_approvers(" ")
    mailer = bootstrap.mailer()
    real_send = mailer.send
    with monkeypatch.context() as patch:
        patch.setattr(mailer, "send", _timeout)
        with pytest.raises(RuntimeError):
            approval.request_approval(pid, now=NOW)
    assert "no approvers are configured" in store.get(pid).reason  # visible before the email is tried
    monkeypatch.setattr(mailer, "send", real_send)
    assert approval.request_approval(pid, now=NOW + timedelta(minutes=3)) == []
    assert len(_office_notices()) == 1
    assert bootstrap.timers().due(f"approval-expiry-{pid}") == NOW + timedelta(days=7)


# -- the review page never changes anything ------------------------------------------------------
def test_get_with_a_valid_link_shows_the_page_and_changes_nothing(store, asked):
    before = snapshot(store)
    for _ in range(3):  # mail scanners, previews, the approver
        page = approval.review(PID, asked[ONE], now=NOW + timedelta(hours=1))
        assert page.status == 200
    assert snapshot(store) == before
    assert "Neighbourhood day in Ladywood" in page.html and "Credit the photographer" in page.html
    assert page.html.count('type="checkbox" name="check"') == len(CHECKLIST)
    assert 'name="decision" value="approve"' in page.html and 'name="reason"' in page.html
    assert "approval-requested" in page.html  # the audit trail
    headers = page.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "form-action 'self'" in headers["Content-Security-Policy"]
    assert "img-src https://" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_preview_is_a_short_lived_presigned_url(store, asked):
    page = approval.review(PID, asked[ONE], now=NOW)
    src = re.search(r'<img src="([^"]+)"', page.html).group(1).replace("&amp;", "&")
    assert f"clean/{PID}.jpg" in src and "X-Amz-Expires=900" in src and "X-Amz-Signature=" in src


def _as_tiff(store, corpus, *, width=640, height=480):
    """The waiting photo's clean copy made a TIFF (which only Safari shows in an <img>)."""
    picture = io.BytesIO()
    Image.open(corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").save(picture, "TIFF")
    clients.client("s3").put_object(Bucket=bootstrap.get_settings().clean_bucket, Key=f"clean/{PID}.jpg",
                                    Body=picture.getvalue())
    store.update(PID, State.NEEDS_APPROVAL, actor="test", event="test",
                 changes={"content_type": "image/tiff", "width": width, "height": height})


def test_a_tiff_is_shown_on_the_review_page_as_a_jpeg_of_it(store, corpus, asked):
    _as_tiff(store, corpus)
    page = approval.review(PID, asked[ONE], now=NOW)
    src = re.search(r'<img src="([^"]+)"', page.html).group(1)
    assert src.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as shown:
        assert shown.format == "JPEG" and shown.size == (640, 480)
    assert "img-src data:;" in page.headers["Content-Security-Policy"]


def test_a_tiff_too_large_to_convert_here_is_linked_as_it_is(store, corpus, asked):
    _as_tiff(store, corpus, width=6000, height=4001)
    page = approval.review(PID, asked[ONE], now=NOW)
    assert re.search(r'<img src="https://[^"]+X-Amz-Signature=', page.html)
    assert "img-src https://" in page.headers["Content-Security-Policy"]


# -- bad links ------------------------------------------------------------------------------------
def _other_token(store, corpus):
    other = waiting(store, corpus, pid="a" * 24)
    approval.request_approval(other, now=NOW)
    return tokens(other)[ONE]


def _bad_links(store, corpus, asked):
    good = asked[ONE]
    raw = bytearray(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    raw[-1] ^= 1
    forged = links._b64(bytes(raw))
    return {
        "forged signature": (forged, NOW, 403),
        "signed with another key": (links.issue(b"z" * 48, PID, ONE, NOW + timedelta(days=1)), NOW, 403),
        "another photo's link": (_other_token(store, corpus), NOW, 403),
        "approver never asked": (links.issue(parameters.signing_key(), PID, "mallory@press-office.example",
                                             NOW + timedelta(days=1)), NOW, 403),
        "expired": (good, NOW + timedelta(days=7, seconds=1), 410),
        "malformed": (good[:40], NOW, 400),
        "missing": ("", NOW, 400),
    }


def test_bad_links_get_a_clear_refusal_and_change_nothing(store, aws, corpus, asked):
    cases = _bad_links(store, corpus, asked)
    before = snapshot(store)
    for name, (token, now, status) in cases.items():
        got = approval.review(PID, token, now=now)
        assert got.status == status, name
        assert "<form" not in got.html and "Ladywood" not in got.html, name
        posted = approval.decide(PID, body(token, csrf="x" if not token else None), FORM, now=now)
        assert posted.status == status, name
        assert got.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert snapshot(store) == before
    assert publish_messages(aws) == []


def test_an_approver_removed_from_the_list_can_no_longer_decide(store, asked):
    set_approvers(TWO)
    assert approval.review(PID, asked[ONE], now=NOW).status == 403
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 403
    assert store.get(PID).state == State.NEEDS_APPROVAL
    assert approval.review(PID, asked[TWO], now=NOW).status == 200


def test_a_spent_nonce_cannot_decide(store, asked):
    nonce = links.verify(parameters.signing_key(), asked[ONE], NOW).nonce
    photo = store.get(PID)
    store.update(PID, State.NEEDS_APPROVAL, actor="test", event="test", changes={"used_nonces": [nonce]})
    assert photo.state == State.NEEDS_APPROVAL
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 410
    assert store.get(PID).state == State.NEEDS_APPROVAL


def _rotate_signing_key():
    clients.client("secretsmanager").put_secret_value(SecretId=bootstrap.get_settings().signing_key_secret,
                                                      SecretString="rotated-" + "k" * 48)
    parameters.reset()


def test_a_link_issued_before_the_key_was_rotated_still_decides(store, aws, asked):
    old_key = parameters.signing_key()
    _rotate_signing_key()
    assert parameters.signing_key() != old_key
    page = approval.review(PID, asked[ONE], now=NOW)
    assert page.status == 200, page.html
    assert f'name="csrf" value="{csrf_token(old_key, asked[ONE])}"' in page.html
    assert approval.decide(PID, body(asked[ONE], csrf=csrf_token(old_key, asked[ONE])), FORM, now=NOW).status == 200
    assert store.get(PID).state == State.APPROVED


def test_links_are_signed_with_the_new_key_and_a_key_two_rotations_old_is_refused(store, asked):
    _rotate_signing_key()
    assert approval.remind(PID, now=NOW + timedelta(days=2)) == [ONE, TWO]
    fresh = tokens()[ONE]
    assert links.verify(parameters.signing_key(), fresh, NOW).photo_id == PID
    _rotate_signing_key()  # twice: how a leaked key is revoked
    assert approval.review(PID, asked[ONE], now=NOW).status == 403
    assert approval.decide(PID, body(asked[ONE], csrf="x"), FORM, now=NOW).status == 403
    assert approval.review(PID, fresh, now=NOW).status == 200
    assert store.get(PID).state == State.NEEDS_APPROVAL


# -- the decision ----------------------------------------------------------------------------------
def test_approve_records_once_and_queues_one_publish_message(store, aws, asked):
    page = approval.decide(PID, body(asked[ONE], reason="Good community shot"), FORM, now=NOW)
    assert page.status == 200 and "Approved" in page.html
    photo = store.get(PID)
    assert photo.state == State.APPROVED
    assert photo.decision == {"action": "approve", "by": ONE, "at": "2026-11-20T10:00:00.000Z",
                              "why": "Good community shot"}
    assert publish_messages(aws) == [{"photo_id": PID}]
    scheduler = bootstrap.timers()
    assert scheduler.due(f"approval-reminder-{PID}") is None and scheduler.due(f"approval-expiry-{PID}") is None

    again = approval.decide(PID, body(asked[ONE]), FORM, now=NOW)  # a double click
    assert again.status == 409
    assert f"already approved by {ONE} at 2026-11-20 10:00 UTC: Good community shot" in again.html
    other = approval.decide(PID, body(asked[TWO], decision="reject", reason="no"), FORM, now=NOW)
    assert other.status == 409 and "already approved by" in other.html
    assert approval.review(PID, asked[TWO], now=NOW).status == 409
    assert store.get(PID).state == State.APPROVED
    assert publish_messages(aws) == [{"photo_id": PID}]  # still exactly one message
    assert [e.get("to") for e in store.audit(PID)].count("APPROVED") == 1


def test_reject_needs_a_reason_and_tells_the_uploader(store, aws, asked):
    before = snapshot(store)
    page = approval.decide(PID, body(asked[TWO], decision="reject", checks=[], reason="   "), FORM, now=NOW)
    assert page.status == 400 and "Give a reason" in page.html and "<form" in page.html
    assert snapshot(store) == before
    page = approval.decide(PID, body(asked[TWO], decision="reject", checks=[], reason="Faces of children"),
                          FORM, now=NOW)
    assert page.status == 200
    assert store.get(PID).state == State.REJECTED
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "Faces of children" in part(notice[0], "text/plain")
    assert publish_messages(aws) == []


def test_a_rejection_notice_that_ses_refused_is_sent_once_by_the_check_after_the_decision(store, aws, asked,
                                                                                           monkeypatch):
    mailer = bootstrap.mailer()
    real_send = mailer.send

    def refused(message):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded"}}, "Send")

    with monkeypatch.context() as patch:
        patch.setattr(mailer, "send", refused)
        page = approval.decide(PID, body(asked[TWO], decision="reject", reason="Faces of children"), FORM, now=NOW)
    assert page.status == 200 and "Rejected" in page.html and "please tell them" not in page.html
    assert store.get(PID).state == State.REJECTED and store.get(PID).notified_at == ""
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    monkeypatch.setattr(mailer, "send", real_send)
    assert publish_check.check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_check.check(PID, now=NOW + timedelta(minutes=15)) is False  # Scheduler fired twice
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "Faces of children" in part(notice[0], "text/plain")
    assert store.get(PID).notified_at
    assert publish_messages(aws) == []


def test_a_rejection_notice_that_went_is_not_sent_again_by_the_check(store, asked):
    assert approval.decide(PID, body(asked[TWO], decision="reject", reason="A face"), FORM, now=NOW).status == 200
    assert publish_check.check(PID, now=NOW + timedelta(minutes=15)) is False
    assert len([m for m in outbox() if m["To"] == UPLOADER]) == 1


def test_a_reason_as_long_as_the_textarea_allows_is_accepted(store, asked):
    """Browsers count a line break once against ``maxlength`` but send it as CRLF."""
    typed = ("Two faces.\n" * 200)[:MAX_REASON]
    assert f'maxlength="{MAX_REASON}"' in approval.review(PID, asked[TWO], now=NOW).html
    sent = typed.replace("\n", "\r\n")
    page = approval.decide(PID, body(asked[TWO], decision="reject", checks=[], reason=sent), FORM, now=NOW)
    assert page.status == 200, page.html
    assert store.get(PID).decision["why"] == typed.strip()


def test_approve_needs_every_checklist_item_ticked(store, asked):
    before = snapshot(store)
    for checks in ([], [0], [1], [0, 0], [0, 2]):
        page = approval.decide(PID, body(asked[ONE], checks=checks, reason="kept"), FORM, now=NOW)
        assert page.status == 400 and "Tick every item" in page.html, checks
        assert ">kept</textarea>" in page.html
    assert snapshot(store) == before


def test_missing_wrong_or_borrowed_csrf_is_forbidden(store, asked):
    before = snapshot(store)
    for csrf in ("", "wrong", "bad-" * 10, csrf_token(parameters.signing_key(), asked[TWO])):
        assert approval.decide(PID, body(asked[ONE], csrf=csrf), FORM, now=NOW).status == 403, csrf
    assert snapshot(store) == before


def test_cross_site_or_non_form_posts_are_refused(store, asked):
    before = snapshot(store)
    for headers, status in (({**FORM, "origin": "https://evil.example"}, 403),
                            ({**FORM, "sec-fetch-site": "cross-site"}, 403),
                            ({**FORM, "content-type": "text/plain"}, 415)):
        assert approval.decide(PID, body(asked[ONE]), headers, now=NOW).status == status
    assert snapshot(store) == before


def test_a_browser_without_sec_fetch_headers_posting_origin_null_can_decide(store, aws, asked):
    """Safari before 16.4 sends ``Origin: null`` (no-referrer page) and no Sec-Fetch-* headers."""
    old_safari = {"content-type": "application/x-www-form-urlencoded", "origin": "null"}
    assert approval.decide(PID, body(asked[ONE]), old_safari, now=NOW).status == 200
    assert store.get(PID).state == State.APPROVED


def test_origin_null_from_another_site_is_refused(store, asked):
    before = snapshot(store)
    cross = {"content-type": "application/x-www-form-urlencoded", "origin": "null", "sec-fetch-site": "cross-site"}
    assert approval.decide(PID, body(asked[ONE]), cross, now=NOW).status == 403
    assert snapshot(store) == before


def test_unknown_decision_is_a_bad_request(store, asked):
    assert approval.decide(PID, body(asked[ONE], decision="publish"), FORM, now=NOW).status == 400
    assert store.get(PID).state == State.NEEDS_APPROVAL


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000, "-1", " 0", "0x1"])
def test_a_checkbox_value_that_is_no_index_is_a_bad_request(store, asked, value):
    """``'²'.isdigit()`` is true and ``int('9' * 5000)`` raises: neither may end in a server error."""
    before = snapshot(store)
    page = approval.decide(PID, f"{body(asked[ONE], checks=[1])}&{urlencode({'check': value})}", FORM, now=NOW)
    assert page.status == 400 and "Tick every item" in page.html
    assert snapshot(store) == before


# -- the publish check: an approval is queued even if the process dies after storing it ------------
CHECK = f"publish-check-{PID}"


def _timeout(*args, **kwargs):
    raise RuntimeError("Task timed out after 15.00 seconds")  # the Lambda dies here


def test_the_publish_check_is_armed_before_the_approval_is_stored(store, aws, asked, monkeypatch):
    seen, real = [], store.transition

    def transition(*args, **kwargs):
        seen.append(bootstrap.timers().due(CHECK))
        return real(*args, **kwargs)

    monkeypatch.setattr(type(store), "transition", lambda self, *a, **k: transition(*a, **k))
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 200
    assert seen == [NOW + timedelta(minutes=15)]
    schedule = clients.client("scheduler").get_schedule(Name=CHECK, GroupName=bootstrap.get_settings().scheduler_group)
    assert schedule["Target"]["Arn"] == bootstrap.get_settings().approval_timer_function_arn
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "publish-check", "photo_id": PID}


def test_the_publish_message_is_sent_before_the_timers_are_disarmed(store, aws, asked, monkeypatch):
    monkeypatch.setattr(Timers, "disarm", _timeout)
    with pytest.raises(RuntimeError):
        approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert store.get(PID).state == State.APPROVED
    assert publish_messages(aws) == [{"photo_id": PID}]


def test_an_approval_lost_after_it_was_stored_is_queued_by_the_publish_check(store, aws, asked, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(approval, "_queue_publish", _timeout)
        with pytest.raises(RuntimeError):
            approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert store.get(PID).state == State.APPROVED and publish_messages(aws) == []
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    assert publish_check.check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_messages(aws) == [{"photo_id": PID}]
    requeued = [e for e in store.audit(PID) if e["event"] == "publish-requeued"]
    assert len(requeued) == 1 and requeued[0]["actor"] == "approval_timer"
    assert store.get(PID).state == State.APPROVED


def test_a_failed_send_tells_the_approver_it_will_be_queued_again(store, aws, asked, monkeypatch):
    queue_url = bootstrap.get_settings().publish_queue_url
    monkeypatch.setenv("PRESSROOM_PUBLISH_QUEUE_URL", queue_url + "-gone")
    bootstrap.reset()
    page = approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert page.status == 500 and "queued again automatically within 15 minutes" in page.html
    assert bootstrap.timers().due(f"approval-reminder-{PID}") is None
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    monkeypatch.setenv("PRESSROOM_PUBLISH_QUEUE_URL", queue_url)
    bootstrap.reset()
    assert publish_check.check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_messages(aws) == [{"photo_id": PID}]


def test_the_publish_check_leaves_a_photo_being_published_or_moved_on(store, aws, asked):
    at = NOW + timedelta(minutes=15)
    assert publish_check.check(PID, now=at) is False  # still waiting for a decision
    assert publish_check.check("0" * 24, now=at) is False
    approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    publish_messages(aws)  # the first message is consumed by a publish delivery, which claims the photo
    store.update(PID, State.APPROVED, actor="publish", event="publish-attempt",
                 changes={"flickr": {"claim": "c1", "lease_until": "2026-11-20T10:20:00.000Z"}})
    assert publish_check.check(PID, now=at) is False  # a live lease: that delivery is publishing it
    assert publish_check.check(PID, now=at + timedelta(minutes=10)) is True  # its lease is over
    store.transition(PID, State.APPROVED, State.PUBLISHED, actor="publish")
    assert publish_check.check(PID, now=at + timedelta(minutes=20)) is False
    assert [e["event"] for e in store.audit(PID)].count("publish-requeued") == 1


def test_no_decision_is_stored_when_the_publish_check_cannot_be_armed(store, aws, asked, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "CreateSchedule")

    before = snapshot(store)
    with monkeypatch.context() as patch:
        patch.setattr(Timers, "arm", refuse)
        page = approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert page.status == 503 and "submit it again" in page.html
    assert snapshot(store) == before and publish_messages(aws) == []
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 200  # the approver tries again


def test_a_rejection_arms_the_check_too(store, asked):
    assert approval.decide(PID, body(asked[ONE], decision="reject", reason="a face"), FORM, now=NOW).status == 200
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)


def test_a_decision_that_lost_to_the_expiry_leaves_no_check(store, asked, monkeypatch):
    real = type(store).transition

    def race(self, photo_id, *args, **kwargs):  # the expiry is stored first
        monkeypatch.setattr(type(store), "transition", real)
        real(self, photo_id, State.NEEDS_APPROVAL, State.EXPIRED, actor="approval_timer")
        return real(self, photo_id, *args, **kwargs)

    monkeypatch.setattr(type(store), "transition", race)
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 410
    assert bootstrap.timers().due(CHECK) is None


@pytest.mark.parametrize("winner, kept", [("reject", True), ("approve", True)])
def test_an_approval_that_lost_the_race_leaves_the_winners_publish_check(store, asked, monkeypatch, winner, kept):
    real = type(store).transition

    def race(self, photo_id, *args, **kwargs):  # the other approver's decision is stored first
        monkeypatch.setattr(type(store), "transition", real)
        decided = State.APPROVED if winner == "approve" else State.REJECTED
        real(self, photo_id, State.NEEDS_APPROVAL, decided, actor=TWO,
             changes={"decision": {"action": winner, "by": TWO, "at": "2026-11-20T10:00:00.000Z", "why": "x"}})
        return real(self, photo_id, *args, **kwargs)

    monkeypatch.setattr(type(store), "transition", race)
    assert approval.decide(PID, body(asked[ONE]), FORM, now=NOW).status == 409
    assert (bootstrap.timers().due(CHECK) is not None) is kept


def _concurrently(store, monkeypatch, write):
    """Run ``write`` just before the decision's own conditional write reaches the table."""
    real, done = store._db.transact_write_items, []

    def racing(**kwargs):
        if not done and any(item.get("Put", {}).get("Item", {}).get("actor", {}).get("S") in (ONE, TWO)
                            for item in kwargs["TransactItems"]):
            done.append(True)
            write()
        return real(**kwargs)

    monkeypatch.setattr(store._db, "transact_write_items", racing)
    return done


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_reminder_written_at_the_same_instant_does_not_refuse_the_decision(store, aws, asked, monkeypatch, action):
    done = _concurrently(store, monkeypatch, lambda: approval.remind(PID, now=NOW + timedelta(days=2)))
    page = approval.decide(PID, body(asked[ONE], decision=action, reason="a face"), FORM, now=NOW + timedelta(days=2))
    assert done and page.status == 200, page.html
    photo = store.get(PID)
    assert photo.state == (State.APPROVED if action == "approve" else State.REJECTED) and photo.reminded_at
    assert links.verify(parameters.signing_key(), asked[ONE], NOW).nonce in photo.used_nonces
    assert bootstrap.timers().due(CHECK) is not None
    assert publish_messages(aws) == ([{"photo_id": PID}] if action == "approve" else [])


def test_a_decision_at_the_same_instant_still_wins_over_the_other(store, aws, asked, monkeypatch):
    other = body(asked[TWO], decision="reject", reason="a face")
    done = _concurrently(store, monkeypatch, lambda: approval.decide(PID, other, FORM, now=NOW))
    page = approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert done and page.status == 409 and f"already rejected by {TWO}" in page.html
    assert store.get(PID).state == State.REJECTED and publish_messages(aws) == []


# -- escaping ---------------------------------------------------------------------------------------
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_script_in_captions_is_shown_as_text_in_page_and_email(store, corpus):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    pid = waiting(store, corpus, title=evil, description=evil, checklist=[evil])
    approval.request_approval(pid, now=NOW)
    page = approval.review(pid, tokens(pid)[ONE], now=NOW)
    html_mail = part(outbox()[0], "text/html")
    for html in (page.html, html_mail):
        parser = _Tags()
        parser.feed(html)
        assert "script" not in parser.tags
        assert parser.tags.count("img") == 1  # only the preview
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# -- reminders and expiry ----------------------------------------------------------------------------
def test_reminder_goes_once_with_fresh_links(store, asked):
    later = NOW + timedelta(days=2)
    assert approval.remind(PID, now=later) == [ONE, TWO]
    assert approval.remind(PID, now=later) == []  # Scheduler delivered twice
    reminders = [m for m in outbox() if m["Subject"].strip().startswith("Reminder:")]
    assert sorted(m["To"] for m in reminders) == [ONE, TWO]
    fresh = token_of(reminders[0])
    assert fresh not in asked.values()
    claims = links.verify(parameters.signing_key(), fresh, later)
    assert claims.expires_at == NOW + timedelta(days=7)  # the photo's own expiry, not later
    assert approval.review(PID, fresh, now=later).status == 200
    assert [e["event"] for e in store.audit(PID)].count("approval-reminded") == 1


@pytest.mark.parametrize("fails", ["due", "signing_key"])
def test_a_reminder_that_failed_before_emailing_is_sent_by_the_retry(store, asked, monkeypatch, fails):
    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Get")

    later = NOW + timedelta(days=2)
    with monkeypatch.context() as patch:
        patch.setattr(*((Timers, "due") if fails == "due" else (parameters, "signing_key")), throttled)
        with pytest.raises(ClientError):
            approval.remind(PID, now=later)  # Lambda retries the asynchronous invocation
    assert approval.remind(PID, now=later) == [ONE, TWO]
    assert len([m for m in outbox() if m["Subject"].strip().startswith("Reminder:")]) == 2


def test_reminder_and_expiry_do_nothing_once_decided(store, asked):
    approval.decide(PID, body(asked[ONE]), FORM, now=NOW)
    sent = len(outbox())
    assert approval.remind(PID, now=NOW + timedelta(days=2)) == []
    assert approval.expire(PID, now=NOW + timedelta(days=7)) is False
    assert len(outbox()) == sent and store.get(PID).state == State.APPROVED


def test_expiry_closes_the_photo_and_tells_the_uploader(store, asked):
    assert approval.expire(PID, now=NOW + timedelta(days=7)) is True
    assert approval.expire(PID, now=NOW + timedelta(days=7)) is False
    assert store.get(PID).state == State.EXPIRED
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "not approved in time" in notice[0]["Subject"]
    assert "within 7 days" in part(notice[0], "text/plain")
    assert bootstrap.timers().due(f"approval-reminder-{PID}") is None
    page = approval.decide(PID, body(asked[ONE]), FORM, now=NOW + timedelta(days=1))
    assert page.status == 410 and "expired" in page.html.lower()
