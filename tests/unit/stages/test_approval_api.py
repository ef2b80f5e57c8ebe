"""The review page and the decision against moto: read-only pages, refused links and forms, one decision."""
import base64
import io
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from pressroom import bootstrap
from pressroom.adapters import aws as clients
from pressroom.adapters import parameters
from pressroom.adapters.timers import Timers
from pressroom.domain import links
from pressroom.domain.photos import State
from pressroom.stages.approval_api import MAX_REASON, ApprovalApi
from pressroom.web.csrf import csrf_token
from tests.unit.stages.approvals import (  # noqa: F401 - asked is a fixture
    CHECK,
    FORM,
    NOW,
    ONE,
    PID,
    TWO,
    UPLOADER,
    asked,
    body,
    decide,
    outbox,
    part,
    publish_check,
    publish_messages,
    remind,
    request_approval,
    review,
    safe_answers,
    set_approvers,
    snapshot,
    timeout,
    tokens,
    waiting,
)


# -- the review page never changes anything ------------------------------------------------------
def test_get_with_a_valid_link_shows_the_page_and_changes_nothing(store, asked):
    before = snapshot(store)
    for _ in range(3):  # mail scanners, previews, the approver
        page = review(PID, asked[ONE], now=NOW + timedelta(hours=1))
        assert page.status == 200
    assert snapshot(store) == before
    assert "Neighbourhood day in Ladywood" in page.html and "No photographer credit" in page.html
    assert len(set(re.findall(r'type="radio" name="q\.([a-z-]+)"', page.html))) == len(safe_answers())
    assert "type=\"checkbox\"" not in page.html  # no bare tick-box: every item is a question answered
    assert 'name="decision" value="approve"' in page.html and 'name="reason"' in page.html
    assert "approval-requested" in page.html  # the audit trail
    headers = page.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "form-action 'self'" in headers["Content-Security-Policy"]
    assert "img-src https://" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_preview_is_a_short_lived_presigned_url(store, asked):
    page = review(PID, asked[ONE], now=NOW)
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
    page = review(PID, asked[ONE], now=NOW)
    src = re.search(r'<img src="([^"]+)"', page.html).group(1)
    assert src.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as shown:
        assert shown.format == "JPEG" and shown.size == (640, 480)
    assert "img-src data:;" in page.headers["Content-Security-Policy"]


def test_a_tiff_too_large_to_convert_here_is_linked_as_it_is(store, corpus, asked):
    _as_tiff(store, corpus, width=6000, height=4001)
    page = review(PID, asked[ONE], now=NOW)
    assert re.search(r'<img src="https://[^"]+X-Amz-Signature=', page.html)
    assert "img-src https://" in page.headers["Content-Security-Policy"]


# -- bad links ------------------------------------------------------------------------------------
def _other_token(store, corpus):
    other = waiting(store, corpus, pid="a" * 24)
    request_approval(other, now=NOW)
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
        got = review(PID, token, now=now)
        assert got.status == status, name
        assert "<form" not in got.html and "Ladywood" not in got.html, name
        posted = decide(PID, body(token, csrf="x" if not token else None), FORM, now=now)
        assert posted.status == status, name
        assert got.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert snapshot(store) == before
    assert publish_messages(aws) == []


def test_an_approver_removed_from_the_list_can_no_longer_decide(store, asked):
    set_approvers(TWO)
    assert review(PID, asked[ONE], now=NOW).status == 403
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 403
    assert store.get(PID).state == State.NEEDS_APPROVAL
    assert review(PID, asked[TWO], now=NOW).status == 200


def test_a_spent_nonce_cannot_decide(store, asked):
    nonce = links.verify(parameters.signing_key(), asked[ONE], NOW).nonce
    photo = store.get(PID)
    store.update(PID, State.NEEDS_APPROVAL, actor="test", event="test", changes={"used_nonces": [nonce]})
    assert photo.state == State.NEEDS_APPROVAL
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 410
    assert store.get(PID).state == State.NEEDS_APPROVAL


def _rotate_signing_key():
    clients.client("secretsmanager").put_secret_value(SecretId=bootstrap.get_settings().signing_key_secret,
                                                      SecretString="rotated-" + "k" * 48)
    parameters.reset()


def test_a_link_issued_before_the_key_was_rotated_still_decides(store, aws, asked):
    old_key = parameters.signing_key()
    _rotate_signing_key()
    assert parameters.signing_key() != old_key
    page = review(PID, asked[ONE], now=NOW)
    assert page.status == 200, page.html
    assert f'name="csrf" value="{csrf_token(old_key, asked[ONE])}"' in page.html
    assert decide(PID, body(asked[ONE], csrf=csrf_token(old_key, asked[ONE])), FORM, now=NOW).status == 200
    assert store.get(PID).state == State.APPROVED


def test_links_are_signed_with_the_new_key_and_a_key_two_rotations_old_is_refused(store, asked):
    _rotate_signing_key()
    assert remind(PID, now=NOW + timedelta(days=2)) == [ONE, TWO]
    fresh = tokens()[ONE]
    assert links.verify(parameters.signing_key(), fresh, NOW).photo_id == PID
    _rotate_signing_key()  # twice: how a leaked key is revoked
    assert review(PID, asked[ONE], now=NOW).status == 403
    assert decide(PID, body(asked[ONE], csrf="x"), FORM, now=NOW).status == 403
    assert review(PID, fresh, now=NOW).status == 200
    assert store.get(PID).state == State.NEEDS_APPROVAL


# -- the decision ----------------------------------------------------------------------------------
def test_approve_records_once_and_queues_one_publish_message(store, aws, asked):
    page = decide(PID, body(asked[ONE], reason="Good community shot"), FORM, now=NOW)
    assert page.status == 200 and "Approved" in page.html
    photo = store.get(PID)
    assert photo.state == State.APPROVED
    assert photo.decision == {"action": "approve", "by": ONE, "at": "2026-11-20T10:00:00.000Z",
                              "why": "Good community shot", "approved_by": [ONE]}
    assert photo.approvals == [{"by": ONE, "at": "2026-11-20T10:00:00.000Z", "answers": safe_answers(), "notes": {}}]
    [approved] = [e for e in store.audit(PID) if e.get("to") == "APPROVED"]
    assert approved["detail"]["answers"] == safe_answers()  # the answers are in the audit trail
    assert publish_messages(aws) == [{"photo_id": PID}]
    scheduler = bootstrap.timers()
    assert scheduler.due(f"approval-reminder-{PID}") is None and scheduler.due(f"approval-expiry-{PID}") is None

    again = decide(PID, body(asked[ONE]), FORM, now=NOW)  # a double click
    assert again.status == 409
    assert f"already approved by {ONE} at 2026-11-20 10:00 UTC: Good community shot" in again.html
    other = decide(PID, body(asked[TWO], decision="reject", reason="no"), FORM, now=NOW)
    assert other.status == 409 and "already approved by" in other.html
    assert review(PID, asked[TWO], now=NOW).status == 409
    assert store.get(PID).state == State.APPROVED
    assert publish_messages(aws) == [{"photo_id": PID}]  # still exactly one message
    assert [e.get("to") for e in store.audit(PID)].count("APPROVED") == 1


def test_reject_needs_a_reason_and_tells_the_uploader(store, aws, asked):
    before = snapshot(store)
    page = decide(PID, body(asked[TWO], decision="reject", answers={}, reason="   "), FORM, now=NOW)
    assert page.status == 400 and "Give a reason" in page.html and "<form" in page.html
    assert snapshot(store) == before
    page = decide(PID, body(asked[TWO], decision="reject", answers={}, reason="Faces of children"),
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
        page = decide(PID, body(asked[TWO], decision="reject", reason="Faces of children"), FORM, now=NOW)
    assert page.status == 200 and "Rejected" in page.html and "please tell them" not in page.html
    assert store.get(PID).state == State.REJECTED and store.get(PID).notified_at == ""
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    monkeypatch.setattr(mailer, "send", real_send)
    assert publish_check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_check(PID, now=NOW + timedelta(minutes=15)) is False  # Scheduler fired twice
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "Faces of children" in part(notice[0], "text/plain")
    assert store.get(PID).notified_at
    assert publish_messages(aws) == []


def test_a_rejection_notice_that_went_is_not_sent_again_by_the_check(store, asked):
    assert decide(PID, body(asked[TWO], decision="reject", reason="A face"), FORM, now=NOW).status == 200
    assert publish_check(PID, now=NOW + timedelta(minutes=15)) is False
    assert len([m for m in outbox() if m["To"] == UPLOADER]) == 1


def test_a_reason_as_long_as_the_textarea_allows_is_accepted(store, asked):
    """Browsers count a line break once against ``maxlength`` but send it as CRLF."""
    typed = ("Two faces.\n" * 200)[:MAX_REASON]
    assert f'maxlength="{MAX_REASON}"' in review(PID, asked[TWO], now=NOW).html
    sent = typed.replace("\n", "\r\n")
    page = decide(PID, body(asked[TWO], decision="reject", answers={}, reason=sent), FORM, now=NOW)
    assert page.status == 200, page.html
    assert store.get(PID).decision["why"] == typed.strip()


def test_approve_needs_every_question_answered_and_a_refusal_keeps_the_answers(store, asked):
    before = snapshot(store)
    answers = safe_answers()
    del answers["evidence"]
    page = decide(PID, body(asked[ONE], answers=answers, reason="kept"), FORM, now=NOW)
    assert page.status == 400 and ">kept</textarea>" in page.html
    assert "Answer this question: Is the photo free of anything that may be used as evidence in court?" in page.html
    assert re.search(r'<fieldset class="q problem" id="q-evidence">', page.html)
    assert re.search(r'name="q\.evidence" value="yes" required data-safe="1" autofocus', page.html)  # focus on it
    assert len(re.findall(r"<input[^>]* checked", page.html)) == len(answers)  # every answer given is kept
    assert decide(PID, body(asked[ONE], answers={}), FORM, now=NOW).status == 400
    assert snapshot(store) == before


def test_missing_wrong_or_borrowed_csrf_is_forbidden(store, asked):
    before = snapshot(store)
    for csrf in ("", "wrong", "bad-" * 10, csrf_token(parameters.signing_key(), asked[TWO])):
        assert decide(PID, body(asked[ONE], csrf=csrf), FORM, now=NOW).status == 403, csrf
    assert snapshot(store) == before


def test_cross_site_or_non_form_posts_are_refused(store, asked):
    before = snapshot(store)
    for headers, status in (({**FORM, "origin": "https://evil.example"}, 403),
                            ({**FORM, "sec-fetch-site": "cross-site"}, 403),
                            ({**FORM, "content-type": "text/plain"}, 415)):
        assert decide(PID, body(asked[ONE]), headers, now=NOW).status == status
    assert snapshot(store) == before


def test_a_browser_without_sec_fetch_headers_posting_origin_null_can_decide(store, aws, asked):
    """Safari before 16.4 sends ``Origin: null`` (no-referrer page) and no Sec-Fetch-* headers."""
    old_safari = {"content-type": "application/x-www-form-urlencoded", "origin": "null"}
    assert decide(PID, body(asked[ONE]), old_safari, now=NOW).status == 200
    assert store.get(PID).state == State.APPROVED


def test_origin_null_from_another_site_is_refused(store, asked):
    before = snapshot(store)
    cross = {"content-type": "application/x-www-form-urlencoded", "origin": "null", "sec-fetch-site": "cross-site"}
    assert decide(PID, body(asked[ONE]), cross, now=NOW).status == 403
    assert snapshot(store) == before


def test_unknown_decision_is_a_bad_request(store, asked):
    assert decide(PID, body(asked[ONE], decision="publish"), FORM, now=NOW).status == 400
    assert store.get(PID).state == State.NEEDS_APPROVAL


@pytest.mark.parametrize("value", ["Yes", "\u00b2", "9" * 5000, "", "yes "])
def test_an_answer_that_is_not_yes_no_or_not_applicable_is_no_answer(store, asked, value):
    before = snapshot(store)
    page = decide(PID, body(asked[ONE], answers=safe_answers(evidence=value)), FORM, now=NOW)
    assert page.status == 400 and "Answer this question" in page.html
    assert snapshot(store) == before


# -- the publish check: an approval is queued even if the process dies after storing it ------------


def test_the_publish_check_is_armed_before_the_approval_is_stored(store, aws, asked, monkeypatch):
    seen, real = [], store.transition

    def transition(*args, **kwargs):
        seen.append(bootstrap.timers().due(CHECK))
        return real(*args, **kwargs)

    monkeypatch.setattr(type(store), "transition", lambda self, *a, **k: transition(*a, **k))
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 200
    assert seen == [NOW + timedelta(minutes=15)]
    schedule = clients.client("scheduler").get_schedule(Name=CHECK, GroupName=bootstrap.get_settings().scheduler_group)
    assert schedule["Target"]["Arn"] == bootstrap.get_settings().approval_timer_function_arn
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "publish-check", "photo_id": PID}


def test_the_publish_message_is_sent_before_the_timers_are_disarmed(store, aws, asked, monkeypatch):
    monkeypatch.setattr(Timers, "disarm", timeout)
    with pytest.raises(RuntimeError):
        decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert store.get(PID).state == State.APPROVED
    assert publish_messages(aws) == [{"photo_id": PID}]


def test_an_approval_lost_after_it_was_stored_is_queued_by_the_publish_check(store, aws, asked, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(ApprovalApi, "_queue_publish", timeout)
        with pytest.raises(RuntimeError):
            decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert store.get(PID).state == State.APPROVED and publish_messages(aws) == []
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    assert publish_check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_messages(aws) == [{"photo_id": PID}]
    requeued = [e for e in store.audit(PID) if e["event"] == "publish-requeued"]
    assert len(requeued) == 1 and requeued[0]["actor"] == "approval_timer"
    assert store.get(PID).state == State.APPROVED


def test_a_failed_send_tells_the_approver_it_will_be_queued_again(store, aws, asked, monkeypatch):
    queue_url = bootstrap.get_settings().publish_queue_url
    monkeypatch.setenv("PRESSROOM_PUBLISH_QUEUE_URL", queue_url + "-gone")
    bootstrap.reset()
    page = decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert page.status == 500 and "queued again automatically within 15 minutes" in page.html
    assert bootstrap.timers().due(f"approval-reminder-{PID}") is None
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)
    monkeypatch.setenv("PRESSROOM_PUBLISH_QUEUE_URL", queue_url)
    bootstrap.reset()
    assert publish_check(PID, now=NOW + timedelta(minutes=15)) is True
    assert publish_messages(aws) == [{"photo_id": PID}]




def test_no_decision_is_stored_when_the_publish_check_cannot_be_armed(store, aws, asked, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "CreateSchedule")

    before = snapshot(store)
    with monkeypatch.context() as patch:
        patch.setattr(Timers, "arm", refuse)
        page = decide(PID, body(asked[ONE]), FORM, now=NOW)
    assert page.status == 503 and "submit it again" in page.html
    assert snapshot(store) == before and publish_messages(aws) == []
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 200  # the approver tries again


def test_a_rejection_arms_the_check_too(store, asked):
    assert decide(PID, body(asked[ONE], decision="reject", reason="a face"), FORM, now=NOW).status == 200
    assert bootstrap.timers().due(CHECK) == NOW + timedelta(minutes=15)


def test_a_decision_that_lost_to_the_expiry_leaves_no_check(store, asked, monkeypatch):
    real = type(store).transition

    def race(self, photo_id, *args, **kwargs):  # the expiry is stored first
        monkeypatch.setattr(type(store), "transition", real)
        real(self, photo_id, State.NEEDS_APPROVAL, State.EXPIRED, actor="approval_timer")
        return real(self, photo_id, *args, **kwargs)

    monkeypatch.setattr(type(store), "transition", race)
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 410
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
    assert decide(PID, body(asked[ONE]), FORM, now=NOW).status == 409
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
    done = _concurrently(store, monkeypatch, lambda: remind(PID, now=NOW + timedelta(days=2)))
    page = decide(PID, body(asked[ONE], decision=action, reason="a face"), FORM, now=NOW + timedelta(days=2))
    assert done and page.status == 200, page.html
    photo = store.get(PID)
    assert photo.state == (State.APPROVED if action == "approve" else State.REJECTED) and photo.reminded_at
    assert links.verify(parameters.signing_key(), asked[ONE], NOW).nonce in photo.used_nonces
    assert bootstrap.timers().due(CHECK) is not None
    assert publish_messages(aws) == ([{"photo_id": PID}] if action == "approve" else [])


def test_a_decision_at_the_same_instant_still_wins_over_the_other(store, aws, asked, monkeypatch):
    other = body(asked[TWO], decision="reject", reason="a face")
    done = _concurrently(store, monkeypatch, lambda: decide(PID, other, FORM, now=NOW))
    page = decide(PID, body(asked[ONE]), FORM, now=NOW)
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
    pid = waiting(store, corpus, title=evil, description=evil,
                  findings=[{"rule": "dont-evidence", "severity": "warn", "message": evil, "evidence": evil}])
    request_approval(pid, now=NOW)
    page = review(pid, tokens(pid)[ONE], now=NOW)
    html_mail = part(outbox()[0], "text/html")
    for html in (page.html, html_mail):
        parser = _Tags()
        parser.feed(html)
        assert "script" not in parser.tags
        assert parser.tags.count("img") == 1  # only the preview
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


