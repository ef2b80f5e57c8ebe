"""Subject access and erasure across photo records, audit items, comment items and the buckets."""
from __future__ import annotations

import json

import boto3
import pytest

from pressroom.domain.photos import State
from pressroom.stages.subject_requests import erase, subject_access
from pressroom_local import cli
from tests.integration.helpers import SAFE_METADATA, upload_until_asked

UPLOADER = "pcso@example.org"
APPROVER = "approver.one@press-office.example"
COMMENTER = "98765432@N07"


@pytest.fixture
def held(aws, store, load_event, corpus):
    """Two photos uploaded by UPLOADER and one by someone else, all asking approval; a comment."""
    body = (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()
    mine = [upload_until_asked(aws, load_event, body, key=f"incoming/day/{n}.jpg") for n in ("a", "b")]
    other = upload_until_asked(aws, load_event, body, {**SAFE_METADATA, "uploader": "joann.pcso@example.org"},
                               key="incoming/day/c.jpg")
    store.record(mine[0], actor="comments", event="comment-flagged",
                 detail={"comment_id": "c1", "author": COMMENTER, "author_name": "Resident", "kind": "question"})
    return mine, other


def _raw_versions(key):
    listed = boto3.client("s3").list_object_versions(Bucket="pressroom-raw", Prefix=key)
    return listed.get("Versions", [])


def test_subject_access_finds_an_uploaders_records_audit_and_originals(held, store):
    mine, other = held
    found = subject_access(store, boto3.client("s3"), UPLOADER)
    assert {p["id"] for p in found["photos"]} == set(mine)  # joann.pcso@example.org is someone else
    assert {a["PK"] for a in found["audit"]} == {f"PHOTO#{pid}" for pid in mine}
    assert sorted(o["key"] for o in found["originals"]) == ["incoming/day/a.jpg", "incoming/day/b.jpg"]
    assert {c["photo_id"] for c in found["clean_copies"]} == set(mine)
    assert found["blurred_copies"] == []
    json.dumps(found)  # all of it can be exported


def test_subject_access_lists_the_blurred_copies_an_approval_asked_for(held, store):
    mine, _ = held
    redaction = {"choices": ["faces"], "key": f"redacted/{mine[0]}.jpg", "sha256": "ab" * 32}
    store.update(mine[0], State.NEEDS_APPROVAL, actor="test", event="test",
                 changes={"approvals": [{"by": APPROVER, "redaction": redaction}]})
    found = subject_access(store, boto3.client("s3"), UPLOADER)
    assert found["blurred_copies"] == [{"photo_id": mine[0], "key": f"redacted/{mine[0]}.jpg"}]


def test_subject_access_finds_an_approver_and_a_commenter(held, store):
    mine, other = held
    approver = subject_access(store, boto3.client("s3"), APPROVER)
    assert {p["id"] for p in approver["photos"]} == {*mine, other}
    assert approver["originals"] == []  # approvers uploaded nothing
    commenter = subject_access(store, boto3.client("s3"), COMMENTER)
    assert [a["detail"]["author"] for a in commenter["audit"]] == [COMMENTER]


def test_erasure_pseudonymises_deletes_originals_and_keeps_the_state_machine(held, store):
    mine, other = held
    s3 = boto3.client("s3")
    done = erase(store, s3, UPLOADER, reason="erasure request 2026/117", actor="dpo@force.example")
    assert done.originals_deleted == 2 and done.left == 0 and done.photos == sorted(mine)
    assert store.items_mentioning(UPLOADER) == []
    assert _raw_versions("incoming/day/a.jpg") == [] and _raw_versions("incoming/day/b.jpg") == []
    assert len(_raw_versions("incoming/day/c.jpg")) == 1  # someone else's
    for pid in mine:
        photo = store.get(pid)
        assert photo.uploader == done.pseudonym and photo.state == State.NEEDS_APPROVAL
        s3.head_object(Bucket="pressroom-clean", Key=photo.clean_key)  # the scrubbed copy stays
        assert store.audit(pid)[-1]["event"] == "personal-data-erased"
        # the photo still moves on: its approver can still decide
        assert store.transition(pid, State.NEEDS_APPROVAL, State.APPROVED, actor=APPROVER)
    assert store.get(other).uploader == "joann.pcso@example.org"
    (record,) = store.erasures()
    assert record["reason"] == "erasure request 2026/117" and record["counts"]["originals_deleted"] == 2
    assert UPLOADER not in json.dumps(record)


def test_erasing_a_commenter_reaches_the_audit_items(held, store):
    erase(store, boto3.client("s3"), COMMENTER, reason="request", actor="dpo")
    assert subject_access(store, boto3.client("s3"), COMMENTER)["audit"] == []
    assert len(_raw_versions("incoming/day/a.jpg")) == 1  # a commenter uploaded nothing


def test_an_upload_not_yet_scrubbed_keeps_its_original(aws, store):
    s3 = boto3.client("s3")
    version = s3.put_object(Bucket="pressroom-raw", Key="incoming/day/new.jpg", Body=b"x",
                            Metadata={"uploader": UPLOADER})["VersionId"]
    from pressroom.domain.photos import Photo

    store.create(Photo(id="p-new", state=State.RECEIVED, album="day", original_bucket="pressroom-raw",
                       original_key="incoming/day/new.jpg", original_version=version, uploader=UPLOADER), actor=UPLOADER)
    done = erase(store, s3, UPLOADER, reason="request", actor="dpo")
    assert done.originals_kept == ["p-new"] and len(_raw_versions("incoming/day/new.jpg")) == 1
    assert store.get("p-new").state == State.RECEIVED


def test_the_commands(held, capsys, tmp_path):
    out = tmp_path / "sar.json"
    assert cli.main(["subject-access", UPLOADER, "--output", str(out)]) == 0
    assert len(json.loads(out.read_text())["photos"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["erase", UPLOADER])  # --reason is required
    assert cli.main(["erase", UPLOADER, "--reason", "request 117", "--by", "dpo"]) == 0
    assert "2 original(s) deleted" in capsys.readouterr().out
    assert cli.main(["subject-access", UPLOADER]) == 0
    assert json.loads(capsys.readouterr().out)["photos"] == []
