"""The Flickr adapter of the publisher port, through ``flickrapi`` (OAuth 1, XML responses)."""
from __future__ import annotations

import io
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html import escape
from xml.etree.ElementTree import Element

import flickrapi
import requests
from flickrapi.exceptions import FlickrError

from pressroom.adapters.parameters import FlickrCredentials
from pressroom.adapters.publisher import (
    Comment,
    Published,
    PublisherUnavailable,
    PublishRefused,
)
from pressroom.domain import clock

#: upload errors that no retry can fix: "Filesize was zero", "Filetype was not recognised"
_REFUSED_UPLOAD = {4, 5}
_SET_NOT_FOUND, _ALREADY_IN_SET = 1, 3  # flickr.photosets.addPhoto
_COMMENT_NOT_FOUND = 2  # flickr.photos.comments.deleteComment
_ACTIVITY_PAGE = 50  # flickr.activity.userPhotos' largest page
_BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0, O, I or l


def connect(credentials: FlickrCredentials, timeout: float = 60.0) -> FlickrPublisher:
    """A publisher acting as the account whose OAuth token ``credentials`` holds (write access)."""
    token = flickrapi.auth.FlickrAccessToken(credentials.oauth_token, credentials.oauth_token_secret, "write")
    api = flickrapi.FlickrAPI(credentials.api_key, credentials.api_secret, token=token, format="etree",
                              store_token=False, timeout=timeout)
    return FlickrPublisher(api)


def _tag_list(tags: Iterable[str]) -> str:
    """Flickr's space-separated tag syntax: multi-word tags in double quotes."""
    out: list[str] = []
    for tag in tags:
        clean = " ".join(tag.replace('"', "").split())
        if clean and clean not in out:
            out.append(clean)
    return " ".join(f'"{t}"' if " " in t else t for t in out)


class FlickrPublisher:
    """Publishes to one Flickr account."""

    def __init__(self, api: flickrapi.FlickrAPI):
        self._api = api
        self._me = ""

    # -- the port --------------------------------------------------------------------------------
    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str) -> Published:
        """Upload (public, safe, shown in search) with the description as plain text: Flickr reads
        descriptions as HTML, so ``<``, ``>`` and ``&`` are escaped."""
        try:
            reply = self._api.upload(
                filename, fileobj=io.BytesIO(photo), title=title, description=escape(description, quote=False),
                tags=_tag_list([*tags, machine_tag]), is_public="1", is_friend="0", is_family="0",
                safety_level="1", content_type="1", hidden="1", format="etree",
            )
        except FlickrError as exc:
            if exc.code in _REFUSED_UPLOAD:
                raise PublishRefused(f"Flickr refused the upload: {exc}") from exc
            raise PublisherUnavailable(f"Flickr upload failed: {exc}") from exc
        except requests.RequestException as exc:
            raise PublisherUnavailable(f"cannot reach Flickr to upload ({type(exc).__name__})") from exc
        photo_id = reply.findtext("photoid") or ""
        if not photo_id:
            raise PublisherUnavailable("Flickr's upload reply named no photo")
        try:
            url = self._page_url(photo_id)
        except PublisherUnavailable:  # the photo is up: its id must reach the record, not be lost here
            url = short_url(photo_id)
        return Published(photo_id, url)

    def find(self, machine_tag: str) -> Published | None:
        found = self._call("photos.search", user_id="me", machine_tags=machine_tag, per_page="1")
        photo = found.find("photos/photo")
        if photo is None:
            return None
        photo_id = photo.get("id", "")
        contexts = self._call("photos.getAllContexts", photo_id=photo_id)
        photoset = contexts.find("set")
        return Published(photo_id, self._page_url(photo_id), photoset.get("id", "") if photoset is not None else "")

    def add_to_album(self, photo_id: str, album: str, photoset_id: str | None) -> str:
        set_id = photoset_id or self._existing_set(album)
        if set_id:
            try:
                self._raw("photosets.addPhoto", photoset_id=set_id, photo_id=photo_id)
                return set_id
            except FlickrError as exc:
                if exc.code == _ALREADY_IN_SET:
                    return set_id
                if exc.code != _SET_NOT_FOUND:
                    raise PublisherUnavailable(f"Flickr photosets.addPhoto failed: {exc}") from exc
                if photoset_id:
                    return ""  # deleted on Flickr since
        photoset = self._call("photosets.create", title=album, primary_photo_id=photo_id).find("photoset")
        if photoset is None or not photoset.get("id"):
            raise PublisherUnavailable("Flickr's photosets.create reply named no photoset")
        return photoset.get("id", "")

    def comments(self, photo_ids: Iterable[str]) -> list[Comment]:
        me = self._account()
        found: list[Comment] = []
        for photo_id in photo_ids:
            reply = self._call("photos.comments.getList", photo_id=photo_id)
            for c in reply.iter("comment"):
                if c.get("author") == me:
                    continue
                created = c.get("datecreate", "")
                found.append(Comment(
                    id=c.get("id", ""),
                    photo_id=photo_id,
                    author=c.get("author", ""),
                    author_name=c.get("authorname", ""),
                    text=c.text or "",
                    created_at=_iso(created) if created.isdigit() else created,
                    permalink=c.get("permalink", ""),
                ))
        return sorted(found, key=lambda c: c.created_at)

    def commented_since(self, since: datetime) -> set[str]:
        """``flickr.activity.userPhotos`` over the whole hours (or days) back to ``since``, rounded
        up: the account's photos with recent activity (comments, and also faves, notes, tags).
        Flickr asks that it be called at most once an hour."""
        hours = max(1, math.ceil((clock.now() - since) / timedelta(hours=1)))
        timeframe = f"{hours}h" if hours <= 48 else f"{math.ceil(hours / 24)}d"
        seen: set[tuple[str, str]] = set()  # (type, id) of every item listed: photos, and photosets
        page = 1
        while True:
            reply = self._call("activity.userPhotos", timeframe=timeframe, per_page=str(_ACTIVITY_PAGE),
                               page=str(page))
            items = {(item.get("type", "photo"), item.get("id", "")) for item in reply.iter("item")}
            listing = reply.find("items")
            pages = int(listing.get("pages") or 0) if listing is not None else 0
            last = page >= pages if pages else len(items) < _ACTIVITY_PAGE
            if last or not items - seen:  # a page that only repeats earlier items ends the listing too
                return {pid for kind, pid in seen | items if kind == "photo" and pid}
            seen |= items
            page += 1

    def reply(self, photo_id: str, text: str) -> str:
        reply = self._call("photos.comments.addComment", photo_id=photo_id, comment_text=text)
        comment = reply.find("comment")
        return comment.get("id", "") if comment is not None else ""

    def delete_comment(self, comment_id: str) -> None:
        try:
            self._raw("photos.comments.deleteComment", comment_id=comment_id)
        except FlickrError as exc:
            if exc.code != _COMMENT_NOT_FOUND:
                raise PublisherUnavailable(f"Flickr photos.comments.deleteComment failed: {exc}") from exc

    # -- internals -------------------------------------------------------------------------------
    def _call(self, method: str, **params: str) -> Element:
        """``flickr.<method>``; any failure is :class:`PublisherUnavailable`."""
        try:
            return self._raw(method, **params)
        except FlickrError as exc:
            raise PublisherUnavailable(f"Flickr {method} failed: {exc}") from exc

    def _raw(self, method: str, **params: str) -> Element:
        """``flickr.<method>``: network failures are :class:`PublisherUnavailable`, API errors
        (``stat="fail"`` or an HTTP error status) stay :class:`FlickrError` for the caller to judge."""
        try:
            return self._api.do_flickr_call(f"flickr.{method}", **params)
        except requests.RequestException as exc:
            raise PublisherUnavailable(f"cannot reach Flickr for {method} ({type(exc).__name__})") from exc

    def _account(self) -> str:
        if not self._me:
            user = self._call("test.login").find("user")
            self._me = user.get("id", "") if user is not None else ""
        return self._me

    def _page_url(self, photo_id: str) -> str:
        info = self._call("photos.getInfo", photo_id=photo_id)
        for url in info.iter("url"):
            if url.get("type") == "photopage" and url.text:
                return url.text
        owner = info.find("photo/owner")
        nsid = owner.get("nsid", "") if owner is not None else self._account()
        return f"https://www.flickr.com/photos/{nsid}/{photo_id}/"

    def _existing_set(self, album: str) -> str:
        page, pages = 1, 1
        while page <= pages:
            reply = self._call("photosets.getList", per_page="500", page=str(page))
            listing = reply.find("photosets")
            pages = int(listing.get("pages", "1")) if listing is not None else 1
            for photoset in reply.iter("photoset"):
                if (photoset.findtext("title") or "") == album:
                    return photoset.get("id", "")
            page += 1
        return ""


def short_url(photo_id: str) -> str:
    """Flickr's own short link to a photo (``flic.kr/p/`` and the id in its base-58 alphabet)."""
    n, digits = int(photo_id), ""
    while n:
        n, r = divmod(n, 58)
        digits = _BASE58[r] + digits
    return f"https://flic.kr/p/{digits}"


def _iso(unix: str) -> str:
    return datetime.fromtimestamp(int(unix), UTC).isoformat().replace("+00:00", "Z")

