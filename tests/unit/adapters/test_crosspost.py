"""Cross-posting (pressroom.adapters.crosspost) against the documented replies of Mastodon's
``POST /api/v1/statuses`` and Bluesky's ``com.atproto.server.createSession`` and
``com.atproto.repo.createRecord``; off unless configured."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import responses

from pressroom.adapters.crosspost import (
    BlueskyPoster,
    CrosspostFailed,
    MastodonPoster,
    configured,
    link_facets,
)

TEXT = ("2 new photos from Neighbourhood day are on our Flickr: "
        "https://www.flickr.com/photos/westmidlandspolice/albums/72157720000000001\n"
        "More from West Midlands Police: https://www.west-midlands.police.uk")


def test_nothing_is_configured_by_default_or_by_empty_sections():
    assert configured(None) == [] and configured({}) == []
    assert configured({"mastodon": {"instance": "", "token": ""}, "bluesky": {"handle": "", "app_password": ""}}) == []
    both = configured({"mastodon": {"instance": "https://mastodon.example", "token": "tok-secret-1"},
                       "bluesky": {"handle": "wmp.bsky.social", "app_password": "app-secret-2"}})
    assert [p.network for p in both] == ["mastodon", "bluesky"]
    assert "tok-secret-1" not in repr(both[0]) and "app-secret-2" not in repr(both[1])  # never in a repr


@responses.activate
def test_mastodon_posts_a_public_status_with_a_bearer_token():
    responses.add(responses.POST, "https://mastodon.example/api/v1/statuses", status=200, json={
        "id": "103704874086360371", "uri": "https://mastodon.example/users/wmp/statuses/103704874086360371",
        "url": "https://mastodon.example/@wmp/103704874086360371", "visibility": "public", "content": "<p>…</p>"})
    url = MastodonPoster("https://mastodon.example/", "token-abc").post(TEXT)
    assert url == "https://mastodon.example/@wmp/103704874086360371"
    (call,) = responses.calls
    assert call.request.headers["Authorization"] == "Bearer token-abc" and call.request.headers["Idempotency-Key"]
    assert parse_qs(call.request.body) == {"status": [TEXT], "visibility": ["public"], "language": ["en"]}


@responses.activate
def test_mastodon_refusing_says_why_without_the_token():
    responses.add(responses.POST, "https://mastodon.example/api/v1/statuses", status=422,
                  json={"error": "Validation failed: Text character limit of 500 exceeded"})
    with pytest.raises(CrosspostFailed, match="character limit") as failed:
        MastodonPoster("https://mastodon.example", "token-abc").post("x" * 600)
    assert "token-abc" not in str(failed.value)


@responses.activate
def test_bluesky_makes_a_session_then_a_post_with_link_facets():
    responses.add(responses.POST, "https://bsky.social/xrpc/com.atproto.server.createSession", status=200, json={
        "did": "did:plc:z72i7hdynmk6r22z27h6tvur", "handle": "wmp.bsky.social",
        "accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh"})
    responses.add(responses.POST, "https://bsky.social/xrpc/com.atproto.repo.createRecord", status=200, json={
        "uri": "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k2yihcrp6f2c",
        "cid": "bafyreih2nbqbl4c7xyeoq5ry5quqqlc5b4zsbf4t6fx2czq2nvzn3y3l7y"})
    uri = BlueskyPoster("wmp.bsky.social", "app-pass-1234").post(TEXT)
    assert uri.startswith("at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/")
    session, create = responses.calls
    assert json.loads(session.request.body) == {"identifier": "wmp.bsky.social", "password": "app-pass-1234"}
    assert create.request.headers["Authorization"] == "Bearer eyJ.access"
    body = json.loads(create.request.body)
    assert body["repo"] == "did:plc:z72i7hdynmk6r22z27h6tvur" and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == TEXT and record["createdAt"].endswith("Z")
    encoded = TEXT.encode()
    links = [encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in record["facets"]]
    assert links == [f["features"][0]["uri"] for f in record["facets"]] == [
        "https://www.flickr.com/photos/westmidlandspolice/albums/72157720000000001", "https://www.west-midlands.police.uk"]


def test_link_facets_count_utf8_bytes():
    (facet,) = link_facets("Fête: https://example.org/a.")
    assert facet["index"] == {"byteStart": 7, "byteEnd": 28} and facet["features"][0]["uri"] == "https://example.org/a"


@responses.activate
def test_bluesky_refusing_the_session_fails_the_post():
    responses.add(responses.POST, "https://bsky.social/xrpc/com.atproto.server.createSession", status=401,
                  json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    with pytest.raises(CrosspostFailed, match="Invalid identifier or password") as failed:
        BlueskyPoster("wmp.bsky.social", "app-pass-1234").post(TEXT)
    assert "app-pass-1234" not in str(failed.value)
    assert len(responses.calls) == 1
