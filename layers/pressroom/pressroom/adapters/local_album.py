"""The local adapter of the publisher port: a folder with the photos and a static ``index.html``.

Layout under the album directory::

    photos/<id>_<filename>    the published bytes, exactly as Flickr would receive them
    photos/<id>.json          the sidecar: title, description, tags, licence, album, photoset, machine tag,
                              ``private`` once hidden (a hidden photo is left out of the index)
    sets.json                 album → photoset id and cover photo
    comments/<id>.json        comments on photo <id>: edit it to simulate visitors' comments
    index.html                every published photo, grouped by album (all text HTML-escaped)

A comments file is a JSON list of ``{"id", "author", "author_name", "text", "created_at"}``
objects (only ``text`` is required); the account's own replies carry ``"own": true``. A comment
on a photo published before the comments window is only read if its ``created_at`` (ISO 8601)
falls within the window, as only then is it known to be new.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any

from pressroom.adapters.publisher import Comment, Published, PublisherUnavailable, PublishRefused
from pressroom.domain import clock
from pressroom.domain.flickr_options import LICENCE_NAMES, FlickrOptions

_URL = re.compile(r"(https?://[^\s<>\"']+|www\.[^\s<>\"']+)")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
OWN_AUTHOR = "pressroom"


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def linkify(text: str) -> str:
    """``text`` HTML-escaped, newlines kept, with its web addresses as links."""
    parts: list[str] = []
    for i, piece in enumerate(_URL.split(text)):
        if i % 2 == 0:
            parts.append(escape(piece))
            continue
        url = piece.rstrip(".,;:!?)")
        trail = piece[len(url):]
        href = url if url.startswith("http") else f"https://{url}"
        parts.append(f'<a href="{escape(href)}">{escape(url)}</a>{escape(trail)}')
    return "".join(parts).replace("\n", "<br>\n")


class LocalAlbum:
    """Publishes into a directory a person can open in a browser; safe across threads and processes."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    # -- the port --------------------------------------------------------------------------------
    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str, options: FlickrOptions | None = None) -> Published:
        photo_id = uuid.uuid4().hex[:16]
        name = f"{photo_id}_{_SAFE_NAME.sub('-', PurePosixPath(filename).name) or 'photo'}"
        with self._locked():
            write_atomic(self._photos / name, photo)
            self._save_sidecar({
                "id": photo_id, "file": name, "title": title, "description": description,
                "tags": list(tags), "album": "", "machine_tag": machine_tag, "photoset_id": "",
                "published_at": clock.iso(), "url": self._url(photo_id),
                "safety": (options or FlickrOptions()).safety, "content_type": (options or FlickrOptions()).content_type,
            })
            self._render_index()
        return Published(photo_id, self._url(photo_id))

    def find(self, machine_tag: str) -> Published | None:
        for sidecar in self._sidecars():
            if sidecar.get("machine_tag") == machine_tag:
                return Published(sidecar["id"], sidecar["url"], sidecar.get("photoset_id", ""))
        return None

    def add_to_album(self, photo_id: str, album: str, photoset_id: str | None) -> str:
        with self._locked():
            set_id = self._add_to_album(photo_id, album, photoset_id)
            self._render_index()
        return set_id

    def comments(self, photo_ids: Iterable[str]) -> list[Comment]:
        found: list[Comment] = []
        for photo_id in photo_ids:
            for entry in self._read_comments(photo_id):
                if entry.get("own"):
                    continue
                found.append(Comment(
                    id=f"{photo_id}:{_entry_id(entry)}",
                    photo_id=photo_id,
                    author=str(entry.get("author") or "visitor"),
                    author_name=str(entry.get("author_name") or entry.get("author") or "a visitor"),
                    text=str(entry.get("text") or ""),
                    created_at=str(entry.get("created_at") or ""),
                    permalink=f"{self._url(photo_id)}-comment-{_entry_id(entry)}",
                ))
        return sorted(found, key=lambda c: c.created_at)

    def commented_since(self, since: datetime) -> set[str]:
        """The photos with a visitor's comment whose ``created_at`` is ``since`` or later (one
        without a time is not known to be recent)."""
        folder = self.root / "comments"
        return {path.stem for path in sorted(folder.glob("*.json")) if any(
            not entry.get("own") and (posted := _posted(entry)) is not None and posted >= since
            for entry in self._read_comments(path.stem))}

    def reply(self, photo_id: str, text: str) -> str:
        entry = {"id": f"r{uuid.uuid4().hex[:10]}", "author": OWN_AUTHOR, "author_name": "Pressroom",
                 "text": text, "created_at": clock.iso(), "own": True}
        with self._locked():
            entries = self._read_comments(photo_id)
            self._write_comments(photo_id, [*entries, entry])
        return f"{photo_id}:{entry['id']}"

    def delete_comment(self, comment_id: str) -> None:
        photo_id, _, entry_id = comment_id.partition(":")
        with self._locked():
            entries = self._read_comments(photo_id)
            kept = [e for e in entries if _entry_id(e) != entry_id]
            if len(kept) != len(entries):
                self._write_comments(photo_id, kept)

    # -- after publishing --------------------------------------------------------------------------
    def remove_from_album(self, photo_id: str, photoset_id: str) -> None:
        """As on Flickr, a photoset left empty is gone (the next photo of its album makes a new one)."""
        with self._locked():
            sidecar = self._sidecar(photo_id)
            if sidecar is not None and sidecar.get("photoset_id") == photoset_id:
                sidecar["album"], sidecar["photoset_id"] = "", ""
                self._save_sidecar(sidecar)
            sets_file = self.root / "sets.json"
            sets = json.loads(sets_file.read_text()) if sets_file.exists() else {}
            left = {a: s for a, s in sets.items()
                    if s["id"] != photoset_id or any(c.get("photoset_id") == photoset_id for c in self._sidecars())}
            if left != sets:
                write_atomic(sets_file, json.dumps(left, indent=2).encode())
            self._render_index()

    def delete(self, photo_id: str) -> None:
        with self._locked():
            sidecar = self._sidecar(photo_id)
            if sidecar is not None:
                (self._photos / str(sidecar["file"])).unlink(missing_ok=True)
                (self._photos / f"{_SAFE_NAME.sub('-', photo_id)}.json").unlink(missing_ok=True)
            self._render_index()

    def hide(self, photo_id: str) -> None:
        self._change(photo_id, private=True)

    def configure(self, photo_id: str, options: FlickrOptions) -> None:
        self._change(photo_id, licence=options.licence, comments=options.comments)

    def set_meta(self, photo_id: str, *, title: str, description: str) -> None:
        self._change(photo_id, title=title, description=description)

    def set_tags(self, photo_id: str, tags: list[str]) -> None:
        self._change(photo_id, tags=list(tags))

    def _change(self, photo_id: str, **fields: Any) -> None:
        with self._locked():
            sidecar = self._sidecar(photo_id)
            if sidecar is None:
                if "private" in fields:
                    return  # already gone is fine
                raise PublishRefused(f"photo {photo_id} is no longer in the local album")
            self._save_sidecar({**sidecar, **fields})
            self._render_index()

    # -- internals -------------------------------------------------------------------------------
    def _sidecar(self, photo_id: str) -> dict[str, Any] | None:
        path = self._photos / f"{_SAFE_NAME.sub('-', photo_id)}.json"
        return json.loads(path.read_text()) if path.exists() else None

    @property
    def _photos(self) -> Path:
        return self.root / "photos"

    def _url(self, photo_id: str) -> str:
        return f"{(self.root / 'index.html').as_uri()}#photo-{photo_id}"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _sidecars(self) -> list[dict[str, Any]]:
        if not self._photos.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(self._photos.glob("*.json"))]

    def _save_sidecar(self, sidecar: dict[str, Any]) -> None:
        write_atomic(self._photos / f"{sidecar['id']}.json", json.dumps(sidecar, indent=2).encode())

    def _add_to_album(self, photo_id: str, album: str, photoset_id: str | None) -> str:
        sets_file = self.root / "sets.json"
        sets = json.loads(sets_file.read_text()) if sets_file.exists() else {}
        if photoset_id:
            if not any(s["id"] == photoset_id for s in sets.values()):
                return ""  # deleted since
        elif album not in sets:
            sets[album] = {"id": f"set-{uuid.uuid4().hex[:12]}", "primary": photo_id}
            write_atomic(sets_file, json.dumps(sets, indent=2).encode())
        set_id = str(photoset_id or sets[album]["id"])
        sidecar_file = self._photos / f"{photo_id}.json"
        sidecar = json.loads(sidecar_file.read_text())
        if (sidecar.get("album"), sidecar.get("photoset_id")) != (album, set_id):
            sidecar["album"], sidecar["photoset_id"] = album, set_id
            self._save_sidecar(sidecar)
        return set_id

    def _read_comments(self, photo_id: str) -> list[dict[str, Any]]:
        path = self.root / "comments" / f"{_SAFE_NAME.sub('-', photo_id)}.json"
        if not path.exists():
            return []
        try:
            entries = json.loads(path.read_text())
        except ValueError as exc:
            raise PublisherUnavailable(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise PublisherUnavailable(f"{path} must hold a JSON list of comment objects")
        return entries

    def _write_comments(self, photo_id: str, entries: list[dict[str, Any]]) -> None:
        path = self.root / "comments" / f"{_SAFE_NAME.sub('-', photo_id)}.json"
        write_atomic(path, json.dumps(entries, indent=2, ensure_ascii=False).encode())

    def _render_index(self) -> None:
        shown = [s for s in self._sidecars() if not s.get("private")]
        write_atomic(self.root / "index.html", render_index(shown).encode())


def _entry_id(entry: dict[str, Any]) -> str:
    """A comment's id: its own, or one derived from its content when a person left it out."""
    if entry.get("id"):
        return str(entry["id"])
    seed = json.dumps([entry.get("author"), entry.get("text"), entry.get("created_at")])
    return "c" + hashlib.sha256(seed.encode()).hexdigest()[:10]


def _posted(entry: dict[str, Any]) -> datetime | None:
    """When a comment was left, from its ``created_at`` (UTC if it names no zone); None if unknown."""
    try:
        when = datetime.fromisoformat(str(entry.get("created_at") or ""))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
article{border-top:1px solid #ccc;padding:1rem 0}img{max-width:100%;max-height:24rem}
.tag{display:inline-block;background:#eef;border-radius:.3rem;padding:0 .4rem;margin-right:.3rem}
.meta{color:#666;font-size:.85rem}"""


def album_url(photo_page: str, photoset_id: str) -> str:
    """The local album's section of photoset ``photoset_id``, from the page of one of its photos."""
    index, hash_, _ = photo_page.partition("#")
    return f"{index}#{photoset_id}" if hash_ and index.startswith("file:") and photoset_id else ""


def render_index(sidecars: list[dict[str, Any]]) -> str:
    """The album page: every photo, grouped by album (albums by name, newest photo first)."""
    albums: dict[str, list[dict[str, Any]]] = {}
    for sidecar in sorted(sidecars, key=lambda s: s.get("published_at", ""), reverse=True):
        albums.setdefault(str(sidecar.get("album", "")), []).append(sidecar)
    sections = []
    for album in sorted(albums):
        photos = albums[album]
        articles = "\n".join(_article(p) for p in photos)
        set_id = escape(str(photos[0].get("photoset_id", "")))
        sections.append(f'<section class="album" id="{set_id}">\n<h2>{escape(album)} '
                        f'<span class="meta">({len(photos)} photo{"s" if len(photos) != 1 else ""}, '
                        f'photoset {set_id})</span></h2>\n{articles}\n</section>')
    body = "\n".join(sections) or "<p>Nothing has been published yet.</p>"
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Pressroom: published photos</title><style>{_STYLE}</style></head>\n"
            f"<body><h1>Published photos (local album)</h1>\n{body}\n</body></html>\n")


def _picture(file: str, title: str) -> str:
    """The photo, or for a TIFF (which Flickr shows but browsers do not) a link to its file."""
    if file.lower().endswith((".tif", ".tiff")):
        return (f'<p><a href="photos/{escape(file)}">{escape(file)}</a> (a TIFF: Flickr shows it, '
                "a browser cannot show it here)</p>\n")
    return f'<img src="photos/{escape(file)}" alt="{escape(title)}">\n'


def _article(photo: dict[str, Any]) -> str:
    tags = "".join(f'<span class="tag">{escape(str(t))}</span>' for t in photo.get("tags", []))
    return "".join([
        f'<article id="photo-{escape(str(photo["id"]))}">\n',
        _picture(str(photo["file"]), str(photo.get("title", ""))),
        f'<h3>{escape(str(photo.get("title") or "Untitled"))}</h3>\n',
        f'<p class="description">{linkify(str(photo.get("description", "")))}</p>\n',
        f'<p class="tags">{tags}</p>\n' if tags else "",
        f'<p class="meta">Album {escape(str(photo.get("album", "")))} · published '
        f'{escape(str(photo.get("published_at", "")))} · {escape(str(photo.get("machine_tag", "")))}'
        + (f' · {escape(LICENCE_NAMES.get(str(photo["licence"]), str(photo["licence"])))}'
           f' · comments: {escape(str(photo.get("comments", "")))}' if photo.get("licence") else "") + '</p>\n',
        "</article>",
    ])
