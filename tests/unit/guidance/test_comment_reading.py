"""Reading a comment with the rules and the judge together; and the shipped judge's provenance."""
from __future__ import annotations

import json

import pytest
from safetensors import safe_open

from pressroom.guidance.comment_actions import parse, plan
from pressroom.guidance.comment_judge import MODEL, JudgeReading
from pressroom.guidance.comment_reading import combine, read
from pressroom.guidance.comment_rules import Kind, read_rules
from tests import comment_corpus as corpus


def judged(kind: str, *, sure: bool = True, flagged: bool = True, needs: float = 0.97, **shares: float) -> JudgeReading:
    return JudgeReading(Kind(kind), needs, 1.0, sure, flagged,
                        shares=tuple((k.replace("_", "-"), v) for k, v in shares.items()))


QUIET = JudgeReading(Kind.OTHER, 0.05, 1.0, False, False)


def test_words_the_rules_know_are_sure_whatever_the_judge_says():
    assert combine(read_rules("I'm gonna kill you copper"), QUIET).kind == Kind.THREAT
    r = combine(read_rules("you b*****ds"), QUIET)
    assert (r.kind, r.sure, r.confidence, r.by) == (Kind.OFFENSIVE, True, 1.0, "rules")
    r = combine(read_rules("text me on 07700 900873"), QUIET)
    assert (r.kind, r.sure, r.private) == (Kind.PERSONAL_DETAILS, True, ("UK phone number",))


def test_a_threat_or_disclosure_outranks_the_abuse_in_it():
    text = "my f***ing ex keeps following me home"
    assert combine(read_rules(text), judged("disclosure")).kind == Kind.DISCLOSURE
    assert combine(read_rules(text), QUIET).kind == Kind.OFFENSIVE


def test_the_judges_meaning_decides_when_no_rule_is_exact():
    r = combine(read_rules("the girl in the blue coat is going to get cut"), judged("threat"))
    assert (r.kind, r.sure, r.by) == (Kind.THREAT, True, "judge")
    r = combine(read_rules("Why are you all such useless morons?"), judged("offensive"))
    assert r.kind == Kind.OFFENSIVE  # not a question because of its first word


def test_an_unsure_verdict_does_nothing_in_public():
    r = combine(read_rules("my cousin is getting dealt with tonight"), judged("threat", sure=False, needs=0.7))
    assert (r.kind, r.sure) == (Kind.THREAT, False)
    assert plan(r).steps == ("evidence", "alert") and not plan(r).delete and not plan(r).reply


def test_crime_words_the_judge_does_not_read_as_a_crime_are_only_checked():
    r = combine(read_rules("my cat stole my seat, someone just nicked my chair lol"), QUIET)
    assert (r.kind, r.sure) == (Kind.CRIME_REPORT, False)
    assert plan(r).reply == ""
    r = combine(read_rules("I want to report a burglary"), QUIET)  # asking in earnest to report here
    assert (r.kind, r.sure) == (Kind.CRIME_REPORT, True) and plan(r).reply
    r = combine(read_rules("the dog ate my sandwich, I want to report a theft 😂"), QUIET)
    assert r.sure is False


def test_the_rules_and_the_judge_agreeing_on_a_crime_is_sure():
    r = combine(read_rules("someone just broke into my car"), judged("crime-report", sure=False, needs=0.8))
    assert (r.kind, r.sure, r.by) == (Kind.CRIME_REPORT, True, "rules+judge")


def test_a_disclosure_is_deleted_only_when_it_places_someone():
    stays = combine(read_rules("my partner hits me when he drinks"), judged("disclosure"))
    goes = combine(read_rules("the man at number 6 on Alder Road hits his kids"), judged("disclosure"))
    assert plan(stays).reply and not plan(stays).delete and plan(stays).urgent
    assert plan(goes).reply and plan(goes).delete


def test_the_rules_alone_need_no_judge():
    assert read("I was mugged near the station", None).kind == Kind.CRIME_REPORT
    assert read("Lovely photo", None).kind == Kind.OTHER


def test_the_actions_configuration_refuses_a_public_action_for_an_unsure_verdict():
    from pathlib import Path

    from pressroom.guidance import comment_actions

    text = (Path(comment_actions.__file__).parent / "comment_actions.toml").read_text()
    with pytest.raises(ValueError, match="may not act in public"):
        parse(text.replace('unsure_actions = ["evidence", "alert"]\nheadline = "A comment threatens',
                           'unsure_actions = ["evidence", "delete"]\nheadline = "A comment threatens'))
    with pytest.raises(ValueError, match="unknown action"):
        parse(text.replace('actions = ["alert", "delete"]', 'actions = ["alert", "ban"]', 1))


def test_the_shipped_judge_was_trained_on_the_development_comments_and_never_on_evaluation():
    with safe_open(str(MODEL), framework="numpy") as handle:
        metadata = json.loads(handle.metadata()["judge"])
    trained = set(metadata["example_ids"])
    assert trained == {c.id for c in corpus.development()} | {c.id for c in corpus.training()}
    assert not trained & {c.id for c in corpus.evaluation()}
    assert metadata["classes"] == [k.value for k in (Kind.OTHER, Kind.THREAT, Kind.DISCLOSURE, Kind.CRIME_REPORT,
                                                     Kind.OFFENSIVE, Kind.PERSONAL_DETAILS, Kind.REMOVAL_REQUEST,
                                                     Kind.QUESTION)]


def test_a_grave_second_thought_of_the_judge_makes_the_alert_urgent_and_keeps_evidence():
    text = "PC Harland lives on Foxglove Close, might pay him a visit with some petrol"
    r = combine(read_rules(text), judged("personal-details", threat=0.4, personal_details=0.6))
    assert r.kind == Kind.PERSONAL_DETAILS and r.also == (Kind.THREAT,)
    p = plan(r)
    assert p.urgent and p.delete and p.steps[:2] == ("evidence", "alert")
    quiet = combine(read_rules(text), judged("personal-details", threat=0.1, personal_details=0.9))
    assert quiet.also == () and not plan(quiet).urgent and "evidence" not in plan(quiet).steps


def test_training_the_comment_judge_is_reproducible(tmp_path):
    from pressroom.guidance import comment_judge

    corpus_file = tmp_path / "comments.jsonl"
    chosen = [c for c in corpus.comments() if c.family in {
        "threat-slang", "threat-typos", "threat-family", "disc-typos", "disc-coercive", "disc-stalking-ex",
        "crime-bike", "crime-shed", "crime-fraud", "off-pig", "off-symbols", "off-troll", "oth-praise",
        "oth-pet-jokes", "oth-game-jokes", "oth-memories", "q-where", "q-who", "q-event", "rm-me", "rm-polite",
        "rm-typos", "pd-email", "pd-plate", "pd-phone-offer"}]
    corpus_file.write_text("".join(json.dumps(c.__dict__) + "\n" for c in chosen))
    outs = []
    for n in (1, 2):
        out = tmp_path / f"judge{n}.safetensors"
        assert comment_judge.main(["--corpus", str(corpus_file), "--training", str(tmp_path / "none.jsonl"),
                                   "--out", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    with safe_open(str(tmp_path / "judge1.safetensors"), framework="numpy") as handle:
        trained = set(json.loads(handle.metadata()["judge"])["example_ids"])
    development, _ = __import__("pressroom.guidance.comment_corpus", fromlist=["split"]).split(tuple(chosen))
    assert trained == {c.id for c in development}


def test_the_replies_use_the_guidance_wording_and_the_emergency_number():
    from pressroom.stages.comments import CRIME_REPLY, DISCLOSURE_REPLY

    assert "We cannot accept reports of crime through our social media sites." in CRIME_REPLY
    assert "0345 113 5000" in CRIME_REPLY and "www.west-midlands.police.uk" in CRIME_REPLY and "999" in CRIME_REPLY
    assert "in an emergency call 999" in DISCLOSURE_REPLY and "0345 113 5000" in DISCLOSURE_REPLY
    assert read_rules(CRIME_REPLY).private == () and read_rules(DISCLOSURE_REPLY).private == ()  # public numbers


def test_the_shipped_comment_judge_was_trained_against_the_shipped_encoder():
    import hashlib

    from pressroom.guidance.meaning.encoder import MODELS, WEIGHTS

    with safe_open(str(MODEL), framework="numpy") as handle:
        metadata = json.loads(handle.metadata()["judge"])
    assert metadata["encoder"] == hashlib.sha256((MODELS / WEIGHTS).read_bytes()).hexdigest(), "make train-comments"
