"""The one text cleaner: what it takes out, what it keeps, and how a terminal is shown the rest."""
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pressroom.domain.metadata import decode_metadata
from pressroom.domain.text import BIDI_CONTROLS, clean, clean_fields, shown


def _unsafe(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if (unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS) and c not in allowed]


def test_c0_c1_del_and_bidi_overrides_go():
    assert clean("a\x00b\x07c\x1b[2Jd\x7fe\x9b31mf\u202eg\u2066h\u2069") == "abc[2Jde31mfgh"


def test_line_breaks_become_spaces_or_newlines_where_the_field_allows():
    text = "one\r\ntwo\rthree\nfour\x85five\u2028six\u2029seven\x0beight\x0cnine\tten"
    assert clean(text) == "one two three four five six seven eight nine ten"
    assert clean(text, lines=True) == "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine ten"


def test_text_people_write_is_kept():
    for text in ("Café in Łódź", "שלום\u200fעולם", "مرحبا\u061c", "👩\u200d👩\u200d👧 family day", "soft\u00adhyphen",
                 "PC O’Neill — “quoted”"):
        assert clean(text) == text and clean(text, lines=True) == text


def test_fields_are_cleaned_deep_and_only_multiline_fields_keep_breaks():
    fields = {"title": "a\r\nb\x1b", "description": "a\r\nb\x1b", "tags": ["x\ny", "\u202ez"],
              "location": {"city\x07": "B\nham"}, "count": 3}
    assert clean_fields(fields) == {"title": "a b", "description": "a\nb", "tags": ["x y", "z"],
                                    "location": {"city": "B ham"}, "count": 3}


def test_metadata_values_are_decoded_and_broken_words_taken_as_they_are():
    assert decode_metadata("=?utf-8?b?Q2Fmw6kKeA==?=") == "Café\nx"
    assert decode_metadata("=?utf-8?q?caf=C3=A9?=") == "café"
    assert decode_metadata("plain") == "plain"
    assert decode_metadata("=?x-unknown?q?abc?=") == "=?x-unknown?q?abc?="


def test_shown_makes_every_control_visible_and_leaves_clean_text_alone():
    assert shown("a\x1b[2J\u202eb\n") == "a\\x1b[2J\\u202eb\\x0a"
    assert shown("Café 👍") == "Café 👍"


@given(st.text())
def test_nothing_unsafe_survives_and_cleaning_twice_changes_nothing(text):
    once = clean(text)
    assert not _unsafe(once) and clean(once) == once
    multi = clean(text, lines=True)
    assert not _unsafe(multi, allowed="\n") and clean(multi, lines=True) == multi
    assert not _unsafe(shown(text))
