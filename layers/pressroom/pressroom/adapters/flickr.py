"""The Flickr adapter of the publisher port, through ``flickrapi`` (OAuth 1, XML responses)."""
from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from xml.etree.ElementTree import Element

import flickrapi
import requests
from flickrapi.exceptions import FlickrError

from pressroom.adapters.parameters import FlickrCredentials
from pressroom.adapters.publisher import (
    Comment,
    NotPermitted,
    Published,
    PublisherUnavailable,
    PublishRefused,
    clean_tags,
)
from pressroom.domain import clock
from pressroom.domain.flickr_options import COMMENTS, CONTENT_TYPES, LICENCES, SAFETY, FlickrOptions

#: upload errors that no retry can fix: "Filesize was zero", "Filetype was not recognised"
_REFUSED_UPLOAD = {4, 5}
_SET_NOT_FOUND, _ALREADY_IN_SET = 1, 3  # flickr.photosets.addPhoto
_COMMENT_NOT_FOUND = 2  # flickr.photos.comments.deleteComment
_PHOTO_NOT_FOUND = 1  # flickr.photos.delete, setPerms, setMeta, setTags
_NOT_PERMITTED = 99  # "User not logged in / Insufficient permissions"
_REMOVED_ALREADY = {1, 2}  # flickr.photosets.removePhoto: photoset not found, photo not found
#: the access a token needs: flickr.photos.delete (a take-down) requires "delete"
PERMS = "delete"
_ACTIVITY_PAGE = 50  # flickr.activity.userPhotos' largest page
_BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0, O, I or l


def connect(credentials: FlickrCredentials, timeout: float = 60.0) -> FlickrPublisher:
    """A publisher acting as the account whose OAuth token ``credentials`` holds (write access)."""
    token = flickrapi.auth.FlickrAccessToken(credentials.oauth_token, credentials.oauth_token_secret, PERMS)
    api = flickrapi.FlickrAPI(credentials.api_key, credentials.api_secret, token=token, format="etree",
                              store_token=False, timeout=timeout)
    return FlickrPublisher(api)


def _tag_list(tags: Iterable[str]) -> str:
    """Flickr's space-separated tag syntax: multi-word tags in double quotes."""
    return " ".join(f'"{t}"' if " " in t else t for t in clean_tags(tags))


class FlickrPublisher:
    """Publishes to one Flickr account."""

    def __init__(self, api: flickrapi.FlickrAPI):
        self._api = api
        self._me = ""
        self._licences: dict[str, str] = {}  # a licence's address (no scheme; "": all rights reserved) → id

    # -- the port --------------------------------------------------------------------------------
    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str, options: FlickrOptions | None = None) -> Published:
        """Upload (public, shown in search; safe and a photo unless ``options`` say otherwise) with
        the description as plain text: Flickr reads descriptions as HTML, so ``<``, ``>`` and ``&``
        are escaped."""
        options = options or FlickrOptions()
        try:
            reply = self._api.upload(
                filename, fileobj=io.BytesIO(photo), title=title, description=escape(description, quote=False),
                tags=_tag_list([*tags, machine_tag]), is_public="1", is_friend="0", is_family="0",
                safety_level=SAFETY[options.safety], content_type=CONTENT_TYPES[options.content_type], hidden="1",
                format="etree",
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

    def configure(self, photo_id: str, options: FlickrOptions) -> None:
        """``flickr.photos.setPerms`` (public; comments as ``options`` say; tags and notes by the
        account only) and ``flickr.photos.licenses.setLicense`` with the licence's id, looked up by
        its address in ``flickr.photos.licenses.getInfo`` (one Flickr does not list: all rights
        reserved, the most careful choice)."""
        self._call("photos.setPerms", photo_id=photo_id, is_public="1", is_friend="0", is_family="0",
                   perm_comment=COMMENTS[options.comments], perm_addmeta="0")
        self._call("photos.licenses.setLicense", photo_id=photo_id, license_id=self._licence_id(options.licence))

    def _licence_id(self, licence: str) -> str:
        if not self._licences:
            for entry in self._call("photos.licenses.getInfo").iter("license"):
                address = entry.get("url", "").split("://", 1)[-1]
                self._licences[address] = entry.get("id", "")
        wanted = LICENCES.get(licence, "")
        return self._licences.get(wanted) or self._licences.get("") or "0"

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

    # -- after publishing --------------------------------------------------------------------------
    def remove_from_album(self, photo_id: str, photoset_id: str) -> None:
        self._gone_is_fine("photosets.removePhoto", _REMOVED_ALREADY, photoset_id=photoset_id, photo_id=photo_id)

    def delete(self, photo_id: str) -> None:
        """``flickr.photos.delete``, which needs a token with "delete" access (``pressroom flickr
        auth`` asks for it); a token with less is refused (99) and the take-down is retried."""
        try:
            self._gone_is_fine("photos.delete", {_PHOTO_NOT_FOUND}, photo_id=photo_id)
        except PublisherUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, FlickrError) and cause.code == _NOT_PERMITTED:
                raise NotPermitted(f"Flickr refused to delete: the token lacks \"delete\" access ({cause})") from cause
            raise

    def hide(self, photo_id: str) -> None:
        self._gone_is_fine("photos.setPerms", {_PHOTO_NOT_FOUND}, photo_id=photo_id, is_public="0", is_friend="0",
                           is_family="0", perm_comment="0", perm_addmeta="0")

    def set_meta(self, photo_id: str, *, title: str, description: str) -> None:
        self._on_photo("photos.setMeta", photo_id=photo_id, title=title,
                       description=escape(description, quote=False))

    def set_tags(self, photo_id: str, tags: list[str]) -> None:
        self._on_photo("photos.setTags", photo_id=photo_id, tags=_tag_list(tags))

    def _gone_is_fine(self, method: str, gone: set[int], **params: str) -> None:
        try:
            self._raw(method, **params)
        except FlickrError as exc:
            if exc.code not in gone:
                raise PublisherUnavailable(f"Flickr {method} failed: {exc}") from exc

    def _on_photo(self, method: str, **params: str) -> None:
        try:
            self._raw(method, **params)
        except FlickrError as exc:
            if exc.code == _PHOTO_NOT_FOUND:
                raise PublishRefused(f"the photo is no longer on Flickr ({method}: {exc})") from exc
            raise PublisherUnavailable(f"Flickr {method} failed: {exc}") from exc

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


@dataclass(frozen=True)
class Account:
    """Who a token acts as, what it may do, and the account's upload allowance
    (``flickr.test.login``, ``flickr.auth.oauth.checkToken``, ``flickr.people.getUploadStatus``)."""

    nsid: str
    username: str
    perms: str = ""
    pro: bool = False
    bandwidth_max: int = 0  # bytes a month; 0: unlimited or not said
    bandwidth_used: int = 0
    bandwidth_remaining: int = 0
    filesize_max: int = 0  # bytes a photo
    sets_created: str = ""


def account(credentials: FlickrCredentials, timeout: float = 30.0) -> Account:
    """The account ``credentials`` act as; :class:`PublisherUnavailable` if Flickr refuses them or
    cannot be reached."""
    api = connect(credentials, timeout=timeout)._api
    try:
        login = api.do_flickr_call("flickr.test.login").find("user")
        status = api.do_flickr_call("flickr.people.getUploadStatus").find("user")
        token = api.do_flickr_call("flickr.auth.oauth.checkToken", oauth_token=credentials.oauth_token)
    except FlickrError as exc:
        raise PublisherUnavailable(f"Flickr refused the credentials: {exc}") from exc
    except requests.RequestException as exc:
        raise PublisherUnavailable(f"cannot reach Flickr ({type(exc).__name__})") from exc
    if login is None:
        raise PublisherUnavailable("Flickr's flickr.test.login reply named no user")

    def number(element: Element | None, name: str) -> int:
        value = element.get(name, "") if element is not None else ""
        return int(value) if value.isdigit() else 0

    bandwidth = status.find("bandwidth") if status is not None else None
    filesize = status.find("filesize") if status is not None else None
    sets = status.find("sets") if status is not None else None
    return Account(nsid=login.get("id", ""), username=login.findtext("username") or "",
                   perms=token.findtext("oauth/perms") or token.findtext("perms") or "",
                   pro=status is not None and status.get("ispro") == "1",
                   bandwidth_max=number(bandwidth, "maxbytes"), bandwidth_used=number(bandwidth, "usedbytes"),
                   bandwidth_remaining=number(bandwidth, "remainingbytes"),
                   filesize_max=number(filesize, "maxbytes"), sets_created=sets.get("created", "") if sets is not None else "")


def album_url(photo_page: str, photoset_id: str) -> str:
    """The page of photoset ``photoset_id``, from the page of one of the account's photos
    (``https://www.flickr.com/photos/<account>/<photo id>/``); "" when that is not such a page."""
    head, _, rest = photo_page.partition("://www.flickr.com/photos/")
    account = rest.split("/", 1)[0]
    if head != "https" or not account or not photoset_id.isdigit():
        return ""
    return f"https://www.flickr.com/photos/{account}/albums/{photoset_id}"


def short_url(photo_id: str) -> str:
    """Flickr's own short link to a photo (``flic.kr/p/`` and the id in its base-58 alphabet)."""
    n, digits = int(photo_id), ""
    while n:
        n, r = divmod(n, 58)
        digits = _BASE58[r] + digits
    return f"https://flic.kr/p/{digits}"


def _iso(unix: str) -> str:
    return datetime.fromtimestamp(int(unix), UTC).isoformat().replace("+00:00", "Z")

