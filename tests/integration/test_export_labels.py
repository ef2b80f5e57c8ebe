"""`pressroom export-labels` against moto: approvers' decisions become labelled captions."""
import json

from pressroom.domain.photos import Photo, State
from pressroom.guidance.meaning import corpus, load_config
from pressroom_local.cli import main
from pressroom_local.labels import UNLABELLED, export_labels, label_of_rejection

WARN_WANTED = {"rule": "meaning:dont-wanted-people-or-suspects", "severity": "warn", "message": "m", "evidence": "e",
               "guidance": "Add images of wanted people or suspects."}
WARN_CATEGORY = {"rule": "what-photos-will-be-added", "severity": "warn", "message": "m", "evidence": "e",
                 "guidance": "What photos will be added"}


def _decided(store, pid, state, *, description, findings, why=""):
    store.create(Photo(id=pid, state=State.RECEIVED, album="a", original_bucket="raw",
                       original_key=f"incoming/a/{pid}.jpg", original_version="v1"), actor="staff")
    store.transition(pid, State.RECEIVED, State.SCRUBBED, actor="scrub", changes={"captions": {"description": description}})
    store.transition(pid, State.SCRUBBED, State.NEEDS_APPROVAL, actor="policy", changes={"findings": findings})
    action = "approve" if state == State.APPROVED else "reject"
    store.transition(pid, State.NEEDS_APPROVAL, state, actor="approver@example.org",
                     changes={"decision": {"action": action, "why": why}}, detail={"action": action, "why": why})


def test_decisions_become_labelled_captions(aws, store):
    _decided(store, "p-ok", State.APPROVED, description="Officers chatting to traders in Yardley.", findings=[WARN_WANTED])
    _decided(store, "p-wanted", State.REJECTED, description="We'd love a word with the man in the red cap.",
             findings=[WARN_WANTED, WARN_CATEGORY], why="He is wanted: we can't show him")
    _decided(store, "p-named", State.REJECTED, description="Thanks to Mrs Hart of Cedar Road.",
             findings=[], why="dont-personal-details: her street is given")
    _decided(store, "p-open", State.REJECTED, description="Our team at the gala.", findings=[], why="Not this one")
    examples = {e.id: e for e in export_labels(store)}
    assert examples["photo-p-ok"].label == "ok" and "overrode meaning:dont-wanted-people-or-suspects" in examples["photo-p-ok"].note
    assert examples["photo-p-wanted"].label == "dont-wanted-people-or-suspects"
    assert examples["photo-p-wanted"].guidance == "Add images of wanted people or suspects."
    assert examples["photo-p-named"].label == "dont-personal-details"
    assert examples["photo-p-open"].label == UNLABELLED and "Not this one" in examples["photo-p-open"].note
    assert all(e.group == e.id for e in examples.values())


def test_the_export_is_a_corpus_the_training_command_reads(aws, store, tmp_path, capsys):
    _decided(store, "p1", State.APPROVED, description="Bike marking in Selly Oak today.", findings=[])
    _decided(store, "p2", State.REJECTED, description="Our team at the gala.", findings=[], why="Not this one")
    out = tmp_path / "labels.jsonl"
    assert main(["export-labels", "--out", str(out)]) == 0
    assert "1 rejections need a person" in capsys.readouterr().err
    loaded = corpus.load(out)
    assert [e.label for e in loaded] == ["ok", UNLABELLED]
    assert json.loads(out.read_text().splitlines()[0])["text"] == "Bike marking in Selly Oak today."
    from pressroom.guidance.meaning.train import development_examples

    assert all(e.label != UNLABELLED for e in development_examples([out]))


def test_a_reason_naming_two_lines_or_findings_of_two_lines_stay_unlabelled():
    config = load_config()
    two = [WARN_WANTED, {**WARN_WANTED, "rule": "dont-juveniles", "guidance": "Add images of juveniles."}]
    assert label_of_rejection("no", two, config) == UNLABELLED
    assert label_of_rejection("dont-juveniles and dont-evidence", [], config) == UNLABELLED
    assert label_of_rejection("it is dont-juveniles", two, config) == "dont-juveniles"
