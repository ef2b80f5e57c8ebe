"""What an approval records of a blurred copy, and what earlier approvals asked to blur."""
import pytest

from pressroom.domain.redaction import Redaction, chosen_before, in_words, ordered, redacted_key

SHA = "ab" * 32


def test_choices_are_kept_once_each_in_the_pages_order_and_others_refused():
    assert ordered(["text", "faces", "text"]) == ("faces", "text")
    with pytest.raises(ValueError, match="unknown redaction choices"):
        ordered(["faces", "eyes"])


def test_choices_in_words():
    assert in_words(("faces",)) == "faces"
    assert in_words(("faces", "plates")) == "faces and number plates"
    assert in_words(("faces", "plates", "text")) == "faces, number plates and all readable text"


def test_the_record_round_trips_and_names_the_copy_the_page_showed():
    redaction = Redaction(("faces", "text"), redacted_key("p1", SHA), SHA)
    assert redaction.key == f"redacted/p1/{SHA}.jpg"  # not under clean/, which starts the policy stage
    assert Redaction.from_record(redaction.record()) == redaction
    assert redaction.seen == f"faces,text:{SHA}"
    assert redaction.summary() == f"faces and all readable text (copy redacted/p1/{SHA}.jpg, sha256 {SHA[:12]}…)"
    assert Redaction.from_record(None) is None and Redaction.from_record({"choices": []}) is None


def test_what_earlier_approvals_asked_to_blur_and_who_asked_first():
    approvals = [{"by": "a@x", "redaction": {"choices": ["faces"], "key": "k", "sha256": SHA}},
                 {"by": "b@x"},
                 {"by": "c@x", "redaction": {"choices": ["faces", "text"], "key": "k", "sha256": SHA}}]
    assert chosen_before(approvals) == {"faces": "a@x", "text": "c@x"}
    assert chosen_before([]) == {}
