"""``pressroom status``: every photo in one visible state with its reason, and plain words for a typo."""
from pressroom.domain.photos import Photo, State
from pressroom_local.cli import main


def _photo(store, pid, state, **fields):
    photo = Photo(id=pid, state=State.RECEIVED, album="bad", original_bucket="pressroom-raw",
                  original_key=f"incoming/bad/{pid}.jpg", original_version=None, uploader="pcso@example.org")
    store.create(photo, actor="pcso@example.org")
    path = {State.QUARANTINED: [State.QUARANTINED],
            State.NEEDS_APPROVAL: [State.SCRUBBED, State.NEEDS_APPROVAL],
            State.REJECTED: [State.SCRUBBED, State.NEEDS_APPROVAL, State.REJECTED],
            State.EXPIRED: [State.SCRUBBED, State.NEEDS_APPROVAL, State.EXPIRED],
            State.APPROVED: [State.SCRUBBED, State.NEEDS_APPROVAL, State.APPROVED]}[state]
    current = State.RECEIVED
    for step in path:
        store.transition(pid, current, step, actor="test", changes=fields if step == state else {})
        current = step


def test_every_final_state_is_listed_with_its_reason(store, capsys):
    _photo(store, "a" * 24, State.QUARANTINED, reason="empty file")
    _photo(store, "b" * 24, State.REJECTED, decision={"action": "reject", "by": "approver.one@example.org",
                                                      "at": "2026-01-01T00:00:00Z", "why": "a face is visible"})
    _photo(store, "c" * 24, State.EXPIRED)
    _photo(store, "d" * 24, State.NEEDS_APPROVAL, approvers=["approver.one@example.org"])
    _photo(store, "e" * 24, State.APPROVED, decision={"action": "approve", "by": "approver.two@example.org",
                                                      "at": "2026-01-01T00:00:00Z", "why": ""})

    assert main(["status"]) == 0
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    assert "(empty file)" in lines["a" * 24]
    assert "rejected by approver.one@example.org: a face is visible" in lines["b" * 24]
    assert "review links expired" in lines["c" * 24]
    assert "waiting for approver.one@example.org" in lines["d" * 24]
    assert "approved by approver.two@example.org" in lines["e" * 24]


def test_a_photo_without_a_title_is_named_by_its_file(store, capsys):
    _photo(store, "a" * 24, State.QUARANTINED, reason="empty file")
    main(["status"])
    line = next(line for line in capsys.readouterr().out.splitlines() if "a" * 24 in line)
    assert f"bad/{'a' * 24}.jpg" in line and "incoming/" not in line


def test_one_photo_shows_its_reason_in_the_state_line(store, capsys):
    _photo(store, "b" * 24, State.REJECTED, decision={"action": "reject", "by": "approver.one@example.org",
                                                      "at": "2026-01-01T00:00:00Z", "why": "a face is visible"})
    assert main(["status", "b" * 24]) == 0
    state_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("state"))
    assert "REJECTED (rejected by approver.one@example.org: a face is visible)" in state_line


def test_an_unknown_photo_id_is_named(store, capsys):
    assert main(["status", "0" * 24]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no photo 000000000000000000000000" in err and "pressroom status" in err


def test_no_photos_yet_is_said_and_is_not_an_error(store, capsys):
    assert main(["status"]) == 0
    assert "no photos yet" in capsys.readouterr().out


def test_a_full_state_says_how_to_see_more(store, capsys):
    for n in range(3):
        _photo(store, f"{n}" * 24, State.QUARANTINED, reason="empty file")
    main(["status", "--limit", "2"])
    out = capsys.readouterr().out
    assert "QUARANTINED (2+)" in out and "--limit" in out


def test_a_publish_attempt_under_way_is_not_shown_as_published(store, capsys):
    _photo(store, "e" * 24, State.APPROVED, flickr={"claim": "c1", "lease_until": "2026-01-01T00:00:00Z"},
           decision={"action": "approve", "by": "approver.two@example.org", "at": "2026-01-01T00:00:00Z"})
    main(["status", "e" * 24])
    assert not any(line.startswith("published") for line in capsys.readouterr().out.splitlines())


def test_a_limit_below_one_is_refused_in_words(capsys):
    import pytest

    with pytest.raises(SystemExit) as exited:
        main(["status", "--limit", "0"])
    assert exited.value.code == 2 and "a whole number of at least 1" in capsys.readouterr().err


def test_the_help_is_plain_text(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "``" not in capsys.readouterr().out
