"""LocalAlbum: the publisher the local stack uses when no Flickr credentials are configured."""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pressroom.adapters.local_album import LocalAlbum, linkify, render_index
from pressroom.adapters.publisher import Published, PublisherUnavailable
from pressroom.guidance import published_caption


@pytest.fixture
def album(tmp_path) -> LocalAlbum:
    return LocalAlbum(tmp_path / "flickr")


@pytest.fixture
def photo_bytes(corpus) -> bytes:
    return (corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes()


def _publish(target: LocalAlbum, data: bytes, pid: str = "3f1c2a9b7d4e5f60718293a4", album="neighbourhood-day",
             **kw) -> Published:
    """Upload, then put in the album's set, as the publish stage does."""
    args = {"title": "Fun day", "description": published_caption("Fun day", "PCSOs met residents."),
            "tags": ["community"], "machine_tag": f"pressroom:photo={pid}"} | kw
    uploaded = target.publish(data, f"{pid}.jpg", **args)
    return Published(uploaded.photo_id, uploaded.url, target.add_to_album(uploaded.photo_id, album, None))


class _Text(HTMLParser):
    """Visible text and link targets of a page."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.text.append(data)


def _page(album: LocalAlbum) -> _Text:
    parser = _Text()
    parser.feed((album.root / "index.html").read_text())
    return parser


def test_publish_writes_the_bytes_a_sidecar_and_the_index(album, photo_bytes):
    published = _publish(album, photo_bytes)
    files = sorted(p.relative_to(album.root).as_posix() for p in album.root.rglob("*") if p.is_file())
    photo_file = f"photos/{published.photo_id}_3f1c2a9b7d4e5f60718293a4.jpg"
    assert files == [".lock", "index.html", f"photos/{published.photo_id}.json", photo_file, "sets.json"]
    assert (album.root / photo_file).read_bytes() == photo_bytes
    sidecar = json.loads((album.root / "photos" / f"{published.photo_id}.json").read_text())
    assert sidecar["machine_tag"] == "pressroom:photo=3f1c2a9b7d4e5f60718293a4"
    assert sidecar["album"] == "neighbourhood-day" and sidecar["photoset_id"] == published.photoset_id
    assert published.url == f"{(album.root / 'index.html').as_uri()}#photo-{published.photo_id}"


def test_index_shows_caption_footer_as_a_link_and_the_crime_line(album, photo_bytes):
    _publish(album, photo_bytes)
    page = _page(album)
    text = "".join(page.text)
    assert "Fun day" in text and "PCSOs met residents." in text and "community" in text
    assert "https://www.west-midlands.police.uk" in page.links
    assert "0345 113 5000" in text and "Crime cannot be reported here" in text


def test_index_escapes_every_text(album, photo_bytes):
    evil = '<script>alert("x")</script>'
    _publish(album, photo_bytes, title=evil, description=f"{evil} see www.example.org/?a=1&b=<2>",
             tags=[evil], album=evil)
    html = (album.root / "index.html").read_text()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 6  # title, alt text, description, tag, album heading and line
    assert 'href="https://www.example.org/?a=1&amp;b="' in html
    assert "script" not in _page(album).tags


def test_photos_are_grouped_by_album_and_each_album_is_one_set(album, photo_bytes):
    a1 = _publish(album, photo_bytes, pid="a1")
    b1 = _publish(album, photo_bytes, pid="b1", album="campaigns")
    a2 = _publish(album, photo_bytes, pid="a2")
    assert a1.photoset_id == a2.photoset_id != b1.photoset_id
    sets = json.loads((album.root / "sets.json").read_text())
    assert sets["neighbourhood-day"] == {"id": a1.photoset_id, "primary": a1.photo_id}
    html = (album.root / "index.html").read_text()
    sections = re.findall(r'<section class="album" id="([^"]+)">(.*?)</section>', html, re.S)
    assert [s[0] for s in sections] == [b1.photoset_id, a1.photoset_id]  # albums by name
    assert re.findall(r'<article id="photo-(\w+)"', sections[1][1]) == [a2.photo_id, a1.photo_id]


def test_an_upload_is_in_no_set_until_added_and_a_deleted_set_is_reported(album, photo_bytes):
    uploaded = album.publish(photo_bytes, "x.jpg", title="t", description="d", tags=[], machine_tag="pressroom:photo=x")
    assert uploaded.photoset_id == "" and album.find("pressroom:photo=x").photoset_id == ""
    set_id = album.add_to_album(uploaded.photo_id, "campaigns", None)
    assert album.add_to_album(uploaded.photo_id, "campaigns", set_id) == set_id
    assert album.find("pressroom:photo=x").photoset_id == set_id
    assert album.add_to_album(uploaded.photo_id, "campaigns", "set-deleted") == ""


def test_find_by_machine_tag(album, photo_bytes):
    assert album.find("pressroom:photo=a1") is None
    published = _publish(album, photo_bytes, pid="a1")
    assert album.find("pressroom:photo=a1") == published
    assert album.find("pressroom:photo=a2") is None


def test_concurrent_publishes_all_reach_the_index(album, photo_bytes):
    with ThreadPoolExecutor(8) as pool:
        published = list(pool.map(lambda n: _publish(album, photo_bytes, pid=f"p{n}"), range(16)))
    html = (album.root / "index.html").read_text()
    assert all(f'id="photo-{p.photo_id}"' in html for p in published)
    assert len({p.photoset_id for p in published}) == 1
    assert not [p for p in album.root.rglob(".*") if p.name != ".lock"]  # no temporary files left


def _comments_file(album: LocalAlbum, photo_id: str) -> Path:
    return album.root / "comments" / f"{photo_id}.json"


def test_comments_are_read_from_an_editable_file(album, photo_bytes):
    published = _publish(album, photo_bytes)
    path = _comments_file(album, published.photo_id)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([
        {"author": "sam", "text": "Where was this taken?", "created_at": "2026-11-20T10:00:00Z"},
        {"id": "c2", "author": "jo", "author_name": "Jo", "text": "Great", "created_at": "2026-11-20T09:00:00Z"},
    ]))
    got = album.comments([published.photo_id, "no-such-photo"])
    assert [c.text for c in got] == ["Great", "Where was this taken?"]  # oldest first
    assert got[0].id == f"{published.photo_id}:c2" and got[0].author_name == "Jo"
    assert album.comments([published.photo_id]) == got  # ids are stable without an "id" field


def test_replies_are_the_accounts_own_and_deletions_remove(album, photo_bytes):
    published = _publish(album, photo_bytes)
    path = _comments_file(album, published.photo_id)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([{"author": "x", "text": "abuse"}, {"author": "y", "text": "kind words"}]))
    abuse, kind = album.comments([published.photo_id])
    reply_id = album.reply(published.photo_id, "We cannot accept reports of crime here.")
    album.delete_comment(abuse.id)
    album.delete_comment(abuse.id)
    assert [c.id for c in album.comments([published.photo_id])] == [kind.id]
    entries = json.loads(path.read_text())
    assert [e["text"] for e in entries] == ["kind words", "We cannot accept reports of crime here."]
    assert entries[1]["own"] is True and reply_id == f"{published.photo_id}:{entries[1]['id']}"


def test_commented_since_names_the_photos_with_a_visitors_comment_since(album, photo_bytes):
    assert album.commented_since(datetime(2026, 11, 1, tzinfo=UTC)) == set()  # no comments at all
    photos = {name: _publish(album, photo_bytes, pid=name * 24).photo_id for name in "abcdef"}
    comments = {
        "a": [{"text": "Is this Aston?", "created_at": "2026-11-20T09:00:00Z"}],
        "b": [{"text": "Lovely", "created_at": "2026-10-01T09:00:00Z"}],  # before since
        "c": [{"text": "No time given"}],  # not known to be recent
        "d": [{"text": "Thanks", "created_at": "2026-11-20T09:00:00Z", "own": True}],  # the account's reply
        "e": [{"text": "Old", "created_at": "2025-01-01T00:00:00Z"},
              {"text": "New", "created_at": "2026-11-19T23:00:00"}],  # no zone: UTC
        "f": [{"text": "Bad time", "created_at": "last Tuesday"}],
    }
    for name, entries in comments.items():
        path = _comments_file(album, photos[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entries))
    assert album.commented_since(datetime(2026, 11, 19, 22, 0, tzinfo=UTC)) == {photos["a"], photos["e"]}
    assert album.commented_since(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) == {photos["a"]}
    assert album.commented_since(datetime(2026, 9, 1, tzinfo=UTC)) == {photos[n] for n in "abe"}


def test_a_broken_comments_file_is_reported(album, photo_bytes):
    published = _publish(album, photo_bytes)
    path = _comments_file(album, published.photo_id)
    path.parent.mkdir(parents=True)
    path.write_text("[{not json")
    with pytest.raises(PublisherUnavailable, match="not valid JSON"):
        album.comments([published.photo_id])
    with pytest.raises(PublisherUnavailable, match="not valid JSON"):
        album.commented_since(datetime(2026, 11, 1, tzinfo=UTC))


@pytest.mark.parametrize(("text", "html"), [
    ("See www.west-midlands.police.uk.",
     'See <a href="https://www.west-midlands.police.uk">www.west-midlands.police.uk</a>.'),
    ("a <b> & c\nd", "a &lt;b&gt; &amp; c<br>\nd"),
    ('https://x.example/"onmouseover=', '<a href="https://x.example/">https://x.example/</a>&quot;onmouseover='),
    ("javascript:alert(1)", "javascript:alert(1)"),
])
def test_linkify(text, html):
    assert linkify(text) == html


def test_empty_album_page():
    assert "Nothing has been published yet." in render_index([])
