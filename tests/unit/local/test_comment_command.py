"""``pressroom comment TEXT --json``: the contract for outside checks, touching neither Flickr nor AWS."""
from __future__ import annotations

import json

import pytest

from pressroom_local.cli import main


@pytest.fixture
def offline(monkeypatch):
    """Any AWS client or Flickr call fails the test."""
    import boto3
    import flickrapi

    def refuse(*args, **kwargs):
        raise AssertionError("pressroom comment must not reach AWS or Flickr")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3.session.Session, "client", refuse)
    monkeypatch.setattr(flickrapi, "FlickrAPI", refuse)


def _run(capsys, *argv: str) -> dict:
    assert main(["comment", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_masked_slur_is_offensive_and_would_be_deleted(offline, capsys):
    out = _run(capsys, "get these p*kis off our streets")
    assert out["kind"] == "offensive" and out["sure"] is True and out["confidence"] == 1.0
    assert "pakis" in out["signals"]
    assert out["action"]["delete"] is True and "alert" in out["action"]["steps"] and out["action"]["public"] is True


def test_a_phone_number_is_named_not_repeated(offline, capsys):
    out = _run(capsys, "ring Dave on 07700 900234 he saw it all")
    assert out["kind"] == "personal-details" and out["private"] == ["UK phone number"]
    assert "900234" not in json.dumps(out["signals"])


def test_the_json_has_kind_confidence_signals_and_action(offline, capsys):
    out = _run(capsys, "Lovely photo, well done everyone")
    assert {"kind", "confidence", "signals", "action", "sure", "judge"} <= set(out)
    assert out["kind"] == "other" and out["action"]["steps"] == ["digest"] and out["action"]["public"] is False


def test_rules_only_leaves_the_judge_out(offline, capsys):
    out = _run(capsys, "I want to report a burglary on my street", "--rules-only")
    assert out["kind"] == "crime-report" and out["by"] == "rules" and "judge" not in out


def test_the_plain_output_says_what_would_be_done(offline, capsys):
    assert main(["comment", "f*** off pigs"]) == 0
    text = capsys.readouterr().out
    assert "kind:       offensive" in text and "action:     alert, delete; deleted" in text
