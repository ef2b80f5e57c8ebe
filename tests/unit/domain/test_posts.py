"""Ready-to-post texts (pressroom.domain.posts): each fits its network's limit as that network
counts it, links to the album and to the force's site, and says nothing it should not."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.domain import posts
from pressroom.domain.posts import FORCE_SITE, LIMITS, Batch, weighted_length

ALBUM = "https://www.flickr.com/photos/westmidlandspolice/albums/72157720000000001"


def test_x_counts_a_link_as_23_and_wide_characters_as_2():
    assert weighted_length("abc https://example.com/" + "x" * 200, "x") == 4 + 23
    assert weighted_length("Fête", "x") == 4 and weighted_length("警察", "x") == 4
    assert weighted_length("🙂", "x") == 2 and weighted_length("🙂", "facebook") == 1
    assert weighted_length(f"see {ALBUM} and {FORCE_SITE}", "mastodon") == len("see  and ") + 46


@pytest.mark.parametrize("network", posts.NETWORKS)
def test_each_text_links_to_the_album_and_the_force_in_plain_words(network):
    text = posts.post(Batch("neighbourhood-day", ALBUM, ("Park clean-up", "Bike marking")), network)
    assert ALBUM in text and FORCE_SITE in text and "Neighbourhood day" in text
    assert "2 new photos" in text and "Park clean-up" in text
    assert posts.fits(text, network)


def test_one_photo_reads_as_one():
    text = posts.post(Batch("campaigns", ALBUM, ("Lock it or lose it",)), "x")
    assert text.startswith("1 new photo from Campaigns is on our Flickr")


def test_a_batch_too_long_for_x_drops_its_titles_then_shortens_the_album_name():
    titles = tuple(f"A rather long title for photo number {n} of the open day at the station" for n in range(40))
    text = posts.post(Batch("a-very-long-album-name-" * 12, ALBUM, titles), "x")
    assert posts.fits(text, "x") and ALBUM in text and FORCE_SITE in text and "title for photo" not in text
    facebook = posts.post(Batch("open-day", ALBUM, titles), "facebook")
    assert "; and 35 more." in facebook  # five titles named, the rest counted


@settings(max_examples=200, deadline=None)
@given(album=st.text(min_size=1, max_size=300), titles=st.lists(st.text(max_size=400), min_size=1, max_size=60))
def test_every_text_fits_whatever_the_album_and_titles(album, titles):
    batch = Batch(album, ALBUM, tuple(titles))
    for network, text in posts.posts(batch).items():
        assert weighted_length(text, network) <= LIMITS[network], network
        assert ALBUM in text and FORCE_SITE in text
    for network in ("mastodon", "bluesky"):
        assert posts.fits(posts.post(batch, network), network)


def test_album_names_become_words():
    assert posts.album_title("neighbourhood-day") == "Neighbourhood day"
    assert posts.album_title("bike_marking--2026") == "Bike marking 2026"
    assert posts.album_title("---") == "New photos"
