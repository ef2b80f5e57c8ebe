"""The exact part of reading a comment: abuse and slurs however masked, personal details, and
whether a comment names or places somebody."""
from __future__ import annotations

import pytest

from pressroom.guidance.comment_rules import Kind, locating, offensive_words, personal_details, read_rules, unmask


@pytest.mark.parametrize(("masked", "word"), [
    ("f*k", "fuck"), ("f**k", "fuck"), ("f***", "fuck"), ("f************ck", "fuck"), ("f%%k", "fuck"),
    ("b*****ds", "bastards"), ("b*stards", "bastards"), ("c**t", "cunt"), ("tw*t", "twat"), ("sh!t", "shit"),
    ("n*nce", "nonce"), ("n**ce", "nonce"), ("p*kis", "pakis"), ("w*****s", "wankers"), ("sh**********e", "shite"),
    ("$h!tes", "shites"), ("f#ck", "fuck"), ("***hole", "arsehole"),
])
def test_a_run_of_symbols_stands_for_any_number_of_letters(masked, word):
    assert word in unmask(masked)


@pytest.mark.parametrize("text", ["5* service", "b* honest", "*all* officers", "well done!!", "100% agree", "c*",
                                  "a*b testing", "#1 team"])
def test_symbols_with_too_few_letters_or_no_listed_word_mean_nothing(text):
    assert offensive_words(text.lower()) == set()


@pytest.mark.parametrize("text", ["f u c k the police", "F-U-C-K off", "s.c.u.m", "a c a b", "fkn joke",
                                  "5hite police", "fvck the feds", "ur all b1tches", "1312"])
def test_spelled_out_and_leetspeak(text):
    assert offensive_words(text.lower()), text


@pytest.mark.parametrize("text", ["Scunthorpe United", "the raccoon at the zoo", "cocktail party", "Pakistan day",
                                  "guinea pigs at the farm", "Dick Turpin exhibition", "I assume so"])
def test_words_inside_other_words_are_not_abuse(text):
    assert offensive_words(text.lower()) == set()


@pytest.mark.parametrize(("text", "found"), [
    ("ring me on 07700 900412 any time", ("UK phone number",)),
    ("whatsapp me on 07700-900-544", ("UK phone number",)),
    ("my number is 0770 0900 318", ("UK phone number",)),
    ("landlord's number 0121 496 0872", ("UK phone number",)),
    ("call +44 7700 900123", ("UK phone number",)),
    ("email me at gary.whitmore@example.com", ("email address",)),
    ("the Audi with plate AB12 CDE", ("vehicle registration (current format)",)),
])
def test_personal_details_are_named_by_kind_never_repeated(text, found):
    assert set(found) <= set(personal_details(text))


@pytest.mark.parametrize("text", ["ring 0345 113 5000 to report it", "in an emergency call 999, else 101",
                                  "we won 5-0 at 3pm on 2026 11 20", "Crimestoppers on 0800 555 111",
                                  "email contactus@west-midlands.police.uk"])
def test_public_numbers_and_dates_are_not_personal_details(text):
    assert personal_details(text) == ()


@pytest.mark.parametrize("text", [
    "my neighbour at number 42 Laburnum Road hits his wife",
    "PC Harland lives on Foxglove Close in Streetly",
    "a man called Gavin Thorpe follows me",
    "Kids from the estate off Wills Street are being made to carry packages",
    "he lives above the bakery",
    "keeping her in the house in Alum Rock",
])
def test_a_comment_that_names_or_places_somebody(text):
    assert locating(text), text


@pytest.mark.parametrize("text", [
    "my partner hits me when he's been drinking",
    "honestly don't see the point anymore",
    "there's a bloke who follows me home from the bus stop every night",
    "That's great, well done",
])
def test_a_comment_that_places_nobody(text):
    assert locating(text) == [], text


def test_the_rules_alone_keep_todays_order():
    assert read_rules("someone stole my phone you useless bastards").kind() == Kind.OFFENSIVE
    assert read_rules("I'm gonna kill you").kind() == Kind.THREAT
    assert read_rules("My car was stolen last night, call 07700 900456").kind() == Kind.CRIME_REPORT
    assert read_rules("text me 07700 900873").kind() == Kind.PERSONAL_DETAILS
    assert read_rules("please take this photo down").kind() == Kind.REMOVAL_REQUEST
    assert read_rules("Where was this taken?").kind() == Kind.QUESTION
    assert read_rules("Lovely photo").kind() == Kind.OTHER
    assert read_rules("Hi <b>sh</b>it").offensive == ()  # tags are word breaks
