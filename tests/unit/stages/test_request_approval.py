"""Asking approvers against moto: each once, claims that survive a dead delivery, nobody to ask."""
import json
from datetime import timedelta

import pytest

from pressroom import bootstrap
from pressroom.adapters import aws as clients
from pressroom.adapters import parameters
from pressroom.domain import links
from pressroom.domain.photos import State
from pressroom_local.resources import Names
from tests.unit.stages.approvals import (  # noqa: F401 - asked is a fixture
    NOW,
    ONE,
    TWO,
    UPLOADER,
    asked,
    expire,
    outbox,
    part,
    remind,
    request_approval,
    review,
    set_approvers,
    timeout,
    token_of,
    tokens,
    waiting,
)


# -- asking --------------------------------------------------------------------------------------
def test_request_emails_each_approver_once_and_records_it(store, corpus):
    pid = waiting(store, corpus)
    assert request_approval(pid, now=NOW) == [ONE, TWO]
    assert request_approval(pid, now=NOW) == []  # a duplicate SQS delivery
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
    request_approval(pid, now=NOW)
    scheduler, settings = clients.client("scheduler"), bootstrap.get_settings()
    for name, kind, due in ((f"approval-reminder-{pid}", "reminder", "2026-11-22T10:00:00"),
                            (f"approval-expiry-{pid}", "expiry", "2026-11-27T10:00:00")):
        schedule = scheduler.get_schedule(Name=name, GroupName=settings.scheduler_group)
        assert schedule["ScheduleExpression"] == f"at({due})"
        assert schedule["Target"]["Arn"] == settings.approval_timer_function_arn
        assert json.loads(schedule["Target"]["Input"]) == {"kind": kind, "photo_id": pid}


def test_request_is_a_no_op_unless_waiting(store, corpus):
    assert request_approval("0" * 24, now=NOW) == []
    pid = waiting(store, corpus)
    store.transition(pid, State.NEEDS_APPROVAL, State.EXPIRED, actor="test")
    assert request_approval(pid, now=NOW) == []
    assert outbox() == []


def test_a_failed_email_releases_the_claim_so_the_retry_asks_again(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(ONE, "approver.two")  # SES refuses an address without a domain
    with pytest.raises(Exception, match="InvalidParameterValue"):
        request_approval(pid, now=NOW)
    assert store.get(pid).approvers == [ONE]
    set_approvers(ONE, TWO)
    assert request_approval(pid, now=NOW + timedelta(minutes=5)) == [TWO]  # the SQS retry
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
        request_approval(pid, now=NOW)
    claimed = store.get(pid)
    assert claimed.approvers == [ONE] and list(claimed.asking) == [ONE]
    monkeypatch.setattr(mailer, "send", real_send)
    # a duplicate delivery while the claim may still be live asks only the others
    assert request_approval(pid, now=NOW + timedelta(seconds=30)) == [TWO]
    # the redelivered message, after the queue's visibility timeout, asks the one whose claim died
    assert request_approval(pid, now=NOW + timedelta(seconds=180)) == [ONE]
    assert request_approval(pid, now=NOW + timedelta(seconds=400)) == []
    assert sorted(m["To"] for m in outbox()) == [ONE, TWO]
    photo = store.get(pid)
    assert photo.approvers == [ONE, TWO] and photo.asking == {}
    assert [e["event"] for e in store.audit(pid) if e["event"].startswith("approval-")][-4:] == [
        "approval-requested", "approval-emailed", "approval-requested", "approval-emailed"]


def test_a_confirmed_email_is_never_sent_again(store, corpus):
    pid = waiting(store, corpus)
    assert request_approval(pid, now=NOW) == [ONE, TWO]
    assert store.get(pid).asking == {}
    assert request_approval(pid, now=NOW + timedelta(days=1)) == []
    assert len(outbox()) == 2


# -- nobody to ask --------------------------------------------------------------------------------
def _office_notices():
    return [m for m in outbox() if m["To"] == ", ".join(Names().press_office) and "nobody to ask" in m["Subject"]]


@pytest.mark.parametrize("configured", [(" ",), ("approver.one", "nobody at example.org")])
def test_with_no_valid_approver_the_photo_waits_visibly_and_the_press_office_is_told_once(store, corpus, configured):
    pid = waiting(store, corpus)
    set_approvers(*configured)
    assert request_approval(pid, now=NOW) == []  # no error: nothing for SQS to retry
    assert request_approval(pid, now=NOW + timedelta(minutes=3)) == []  # a duplicate delivery
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
    request_approval(pid, now=NOW)
    for hours in range(6, 168, 6):  # still nobody, each time the reminder fires: no error either
        assert remind(pid, now=NOW + timedelta(hours=hours)) == []
        due = bootstrap.timers().due(f"approval-reminder-{pid}")
        assert due == NOW + timedelta(hours=min(hours + 6, 162))  # never re-armed past the expiry
    assert expire(pid, now=NOW + timedelta(days=7)) is True
    assert store.get(pid).state == State.EXPIRED
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "no approvers were configured" in part(notice[0], "text/plain")
    assert len(_office_notices()) == 1


def test_approvers_added_later_are_asked_by_the_next_delivery_and_links_end_with_the_photo(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(" ")
    request_approval(pid, now=NOW)
    set_approvers(ONE, TWO)
    later = NOW + timedelta(hours=5)
    assert request_approval(pid, now=later) == [ONE, TWO]  # e.g. the policy stage's redelivery
    photo = store.get(pid)
    assert photo.reason == "" and photo.approvers == [ONE, TWO]
    assert links.verify(parameters.signing_key(), tokens(pid)[ONE], later).expires_at == NOW + timedelta(days=7)
    assert bootstrap.timers().due(f"approval-expiry-{pid}") == NOW + timedelta(days=7)
    assert bootstrap.timers().due(f"approval-reminder-{pid}") == later + timedelta(days=2)


def test_the_reminder_asks_approvers_added_since_nobody_could_be_asked(store, corpus):
    pid = waiting(store, corpus)
    set_approvers(" ")
    request_approval(pid, now=NOW)
    assert remind(pid, now=NOW + timedelta(hours=6)) == []
    set_approvers(ONE, TWO)
    assert remind(pid, now=NOW + timedelta(days=4)) == [ONE, TWO]  # after the usual reminder's time
    assert bootstrap.timers().due(f"approval-reminder-{pid}") == NOW + timedelta(days=6)  # then reminded
    asked = [m for m in outbox() if "Approval needed" in m["Subject"]]
    assert sorted(m["To"] for m in asked) == [ONE, TWO]
    assert not any(m["Subject"].startswith("Reminder") for m in asked)  # a first request, not a reminder
    assert review(pid, tokens(pid)[ONE], now=NOW + timedelta(days=4)).status == 200
    assert store.get(pid).reason == ""
    assert remind(pid, now=NOW + timedelta(days=6)) == [ONE, TWO]  # the reminder, as for any photo
    assert links.verify(parameters.signing_key(), tokens(pid)[ONE], NOW).expires_at == NOW + timedelta(days=7)


def test_a_failed_press_office_notice_is_sent_by_a_later_delivery(store, corpus, monkeypatch):
    pid = waiting(store, corpus)
    set_approvers(" ")
    mailer = bootstrap.mailer()
    real_send = mailer.send
    with monkeypatch.context() as patch:
        patch.setattr(mailer, "send", timeout)
        with pytest.raises(RuntimeError):
            request_approval(pid, now=NOW)
    assert "no approvers are configured" in store.get(pid).reason  # visible before the email is tried
    monkeypatch.setattr(mailer, "send", real_send)
    assert request_approval(pid, now=NOW + timedelta(minutes=3)) == []
    assert len(_office_notices()) == 1
    assert bootstrap.timers().due(f"approval-expiry-{pid}") == NOW + timedelta(days=7)


