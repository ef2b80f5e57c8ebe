"""FlickrPublisher through flickrapi against a local double of Flickr's REST and upload endpoints."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlsplit

import flickrapi
import pytest
import requests
import responses
from requests_toolbelt.multipart.decoder import MultipartDecoder

from pressroom.adapters.flickr import FlickrPublisher, connect
from pressroom.adapters.parameters import FlickrCredentials
from pressroom.adapters.publisher import Published, PublisherUnavailable, PublishRefused
from pressroom.bootstrap import make_publisher
from pressroom.domain import clock
from pressroom.settings import Settings

ME = "99887766@N04"
CREDENTIALS = FlickrCredentials("key-abc", "consumer-secret-xyz", "token-123", "token-secret-456")
JPEG = b"\xff\xd8\xff\xe0" + b"pixels" * 50 + b"\xff\xd9"


def _ok(inner: str = "") -> tuple[int, dict, str]:
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, f'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n{inner}\n</rsp>\n'


def _fail(code: int, msg: str) -> tuple[int, dict, str]:
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, (
        f'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n\t<err code="{code}" msg="{escape(msg)}" />\n</rsp>\n')


def _q(value: str) -> str:
    """RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849, 3.6) encodes every name and value."""
    return quote(value, safe="")


def oauth_signature_ok(request, params: list[tuple[str, str]], consumer_secret: str, token_secret: str) -> dict[str, str]:
    """The request's OAuth parameters if its HMAC-SHA1 signature is the one RFC 5849 (3.4) gives for
    its method, URL, Authorization-header and body parameters under the consumer and token secrets;
    AssertionError otherwise. This is how Flickr checks every signed call."""
    header = request.headers.get("Authorization", "")
    header = header.decode() if isinstance(header, bytes) else header
    assert header.startswith("OAuth "), "the request is not OAuth-signed"
    oauth = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
    signature = oauth.pop("oauth_signature")
    oauth.pop("realm", None)
    assert oauth["oauth_signature_method"] == "HMAC-SHA1" and oauth["oauth_version"] == "1.0"
    url = urlsplit(request.url)
    pairs = sorted((_q(k), _q(v)) for k, v in [*oauth.items(), *params, *parse_qsl(url.query, keep_blank_values=True)])
    base = "&".join(["POST", _q(f"{url.scheme}://{url.netloc}{url.path}"), _q("&".join(f"{k}={v}" for k, v in pairs))])
    key = f"{_q(consumer_secret)}&{_q(token_secret)}".encode()
    expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
    assert hmac.compare_digest(expected, signature), "the OAuth signature does not match"
    return oauth


class FakeFlickr:
    """Flickr's REST API, upload endpoint and OAuth token endpoints for one account, in memory, with
    real-shaped replies. Every request must carry a valid OAuth 1.0a signature for the API key and
    the token in use (or Flickr's "Invalid signature" error is the reply)."""

    REQUEST_TOKEN = ("72157626737672178-022bbd2f4c2f3432", "fccb68c4e6103197")
    VERIFIER = "123-456-789"
    ACCESS_TOKEN = ("72157626318069415-087bfc7b5816092c", "a202d1f853ec69de")

    def __init__(self, mock: responses.RequestsMock, credentials: FlickrCredentials | None = None):
        self.photos: dict[str, dict] = {}
        self.sets: dict[str, dict] = {}
        self.comments: dict[str, list[dict]] = {}
        self.calls: list[str] = []
        self.timeframes: list[str] = []  # of each flickr.activity.userPhotos call
        self.requests: list[requests.PreparedRequest] = []
        self.failures: dict[str, list] = {}
        self.deleted: list[str] = []
        self.perms = "delete"  # what the token was granted
        self.bad_signatures = 0
        self._credentials = credentials or CREDENTIALS
        self._token = (self._credentials.oauth_token, self._credentials.oauth_token_secret)
        self._ids = itertools.count(53301000001)
        mock.add_callback(responses.POST, flickrapi.FlickrAPI.REST_URL, callback=self._rest)
        mock.add_callback(responses.POST, flickrapi.FlickrAPI.UPLOAD_URL, callback=self._upload)
        mock.add_callback(responses.POST, flickrapi.auth.OAuthFlickrInterface.REQUEST_TOKEN_URL,
                          callback=self._request_token)
        mock.add_callback(responses.POST, flickrapi.auth.OAuthFlickrInterface.ACCESS_TOKEN_URL,
                          callback=self._access_token)

    def _signed(self, request, params: list[tuple[str, str]], token: tuple[str, str] | None) -> dict[str, str] | None:
        """The OAuth parameters of a correctly signed request by this app (with ``token``), else None."""
        try:
            oauth = oauth_signature_ok(request, params, self._credentials.api_secret, token[1] if token else "")
        except AssertionError:
            self.bad_signatures += 1
            return None
        if oauth.get("oauth_consumer_key") != self._credentials.api_key or oauth.get("oauth_token") != (
                token[0] if token else None):
            self.bad_signatures += 1
            return None
        return oauth

    # -- OAuth 1.0a: https://www.flickr.com/services/api/auth.oauth.html -------------------------
    def _request_token(self, request):
        self.calls.append("oauth.request_token")
        self.requests.append(request)
        body = parse_qsl(_text(request.body), keep_blank_values=True)
        oauth = self._signed(request, body, None)
        if oauth is None or {**oauth, **dict(body)}.get("oauth_callback") != "oob":
            return 401, {"Content-Type": "text/plain"}, "oauth_problem=signature_invalid"
        token, secret = self.REQUEST_TOKEN
        return 200, {"Content-Type": "text/plain;charset=UTF-8"}, (
            f"oauth_callback_confirmed=true&oauth_token={token}&oauth_token_secret={secret}")

    def authorize_url(self) -> str:
        return f"https://www.flickr.com/services/oauth/authorize?oauth_token={self.REQUEST_TOKEN[0]}&perms=delete"

    def _access_token(self, request):
        self.calls.append("oauth.access_token")
        self.requests.append(request)
        oauth = self._signed(request, parse_qsl(_text(request.body), keep_blank_values=True), self.REQUEST_TOKEN)
        if oauth is None or oauth.get("oauth_verifier") != self.VERIFIER:
            return 401, {"Content-Type": "text/plain"}, "oauth_problem=token_rejected"
        self._token = self.ACCESS_TOKEN
        token, secret = self.ACCESS_TOKEN
        return 200, {"Content-Type": "text/plain;charset=UTF-8"}, (
            f"fullname=West%20Midlands%20Police&oauth_token={token}&oauth_token_secret={secret}"
            f"&user_nsid={quote(ME)}&username=westmidlandspolice")

    def fail(self, method: str, *outcomes) -> None:
        """Make the next calls of ``method`` fail: ``(code, msg)``, an HTTP status, a raw
        ``(status, headers, body)`` reply, or an exception."""
        self.failures.setdefault(method, []).extend(outcomes)

    def add_comment(self, photo_id: str, text: str, author: str = "12345678@N01", name: str = "A Visitor",
                    when: datetime | None = None) -> str:
        """A comment posted ``when`` (default now)."""
        comment_id = f"{next(self._ids)}-{photo_id}-{next(self._ids)}"
        self.comments.setdefault(photo_id, []).append(
            {"id": comment_id, "author": author, "authorname": name, "text": text,
             "datecreate": str(int((when or clock.now()).timestamp()))})
        return comment_id

    def _injected(self, method: str):
        queue = self.failures.get(method)
        if not queue:
            return None
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, int):
            return outcome, {"Content-Type": "text/html"}, "<html><body>Service Unavailable</body></html>"
        if len(outcome) == 3:  # a raw (status, headers, body) reply
            return outcome
        return _fail(*outcome)

    def _upload(self, request):
        self.calls.append("upload")
        self.requests.append(request)
        if (injected := self._injected("upload")) is not None:
            return injected
        parts = {}
        for part in MultipartDecoder(request.body, request.headers["Content-Type"]).parts:
            name = part.headers[b"Content-Disposition"].decode().split('name="')[1].split('"')[0]
            parts[name] = part.content if name == "photo" else part.content.decode()
        # Flickr signs an upload without its photo (https://www.flickr.com/services/api/upload.api.html)
        if self._signed(request, [(k, v) for k, v in parts.items() if k != "photo"], self._token) is None:
            return _fail(96, "Invalid signature")
        photo_id = str(next(self._ids))
        self.photos[photo_id] = {**parts, "tag_list": _split_tags(parts.get("tags", ""))}
        return _ok(f"<photoid>{photo_id}</photoid>")

    def _rest(self, request):
        params = {k: v[0] for k, v in parse_qs(request.body if isinstance(request.body, str)
                                               else request.body.decode()).items()}
        method = params["method"].removeprefix("flickr.")
        self.calls.append(method)
        self.requests.append(request)
        if self._signed(request, parse_qsl(_text(request.body), keep_blank_values=True), self._token) is None:
            return _fail(96, "Invalid signature")
        if (injected := self._injected(method)) is not None:
            return injected
        return getattr(self, "_" + method.replace(".", "_"))(params)

    # -- after publishing -------------------------------------------------------------------------
    def _photos_delete(self, p):
        """Documented: an empty ok; error 1 for a photo not found. Needs a "delete" token."""
        if self.perms != "delete":
            return _fail(99, "User not logged in / Insufficient permissions")
        if self.photos.pop(p["photo_id"], None) is None:
            return _fail(1, "Photo not found")
        self.deleted.append(p["photo_id"])
        for photoset in self.sets.values():
            if p["photo_id"] in photoset["photos"]:
                photoset["photos"].remove(p["photo_id"])
        return _ok()

    def _photos_setPerms(self, p):
        """Documented reply: ``<photoid secret=".." originalsecret="..">id</photoid>``."""
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        if not all(k in p for k in ("is_public", "is_friend", "is_family")):
            return _fail(2, "Required arguments missing")
        photo.update({k: p[k] for k in ("is_public", "is_friend", "is_family", "perm_comment", "perm_addmeta") if k in p})
        return _ok(f'<photoid secret="1e92283336" originalsecret="5a8f1c0d2e">{p["photo_id"]}</photoid>')

    def _photos_setMeta(self, p):
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        if "title" not in p and "description" not in p:
            return _fail(2, "At least one of title or description must be set")
        photo.update({k: p[k] for k in ("title", "description") if k in p})
        return _ok()

    def _photos_setTags(self, p):
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        photo["tags"], photo["tag_list"] = p["tags"], _split_tags(p["tags"])
        return _ok()

    def _photosets_removePhoto(self, p):
        photoset = self.sets.get(p["photoset_id"])
        if photoset is None:
            return _fail(1, "Photoset not found")
        if p["photo_id"] not in photoset["photos"]:
            return _fail(2, "Photo not found")
        photoset["photos"].remove(p["photo_id"])
        if not photoset["photos"]:  # Flickr deletes a set left empty
            del self.sets[p["photoset_id"]]
        return _ok()

    #: flickr.photos.licenses.getInfo as documented (the ids of the 4.0 licences are the double's own:
    #: the adapter looks each licence up by its address, never by a number it assumes)
    LICENSES = [("0", "All Rights Reserved", ""),
                ("4", "Attribution License", "https://creativecommons.org/licenses/by/2.0/"),
                ("9", "Public Domain Dedication (CC0)", "https://creativecommons.org/publicdomain/zero/1.0/"),
                ("10", "Public Domain Mark", "https://creativecommons.org/publicdomain/mark/1.0/"),
                ("11", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
                ("16", "CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/")]

    def _photos_licenses_getInfo(self, p):
        rows = "".join(f'\t<license id="{i}" name="{escape(n)}" url="{u}" />\n' for i, n, u in self.LICENSES)
        return _ok(f"<licenses>\n{rows}</licenses>")

    def _photos_licenses_setLicense(self, p):
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        if p["license_id"] not in {i for i, _, _ in self.LICENSES}:
            return _fail(2, "License not found")
        photo["license"] = p["license_id"]
        return _ok()

    def _people_getUploadStatus(self, p):
        """The documented reply (https://www.flickr.com/services/api/flickr.people.getUploadStatus.html)."""
        return _ok(f'<user id="{ME}" ispro="1">\n\t<username>westmidlandspolice</username>\n'
                   '\t<bandwidth maxbytes="2147483648" maxkb="2097152" usedbytes="383724" usedkb="374" '
                   'remainingbytes="2147099924" remainingkb="2096777" />\n'
                   '\t<filesize maxbytes="209715200" maxkb="204800" />\n'
                   '\t<sets created="27" remaining="lots" />\n\t<videos uploaded="5" remaining="lots" />\n</user>')

    def _auth_oauth_checkToken(self, p):
        """The documented reply (https://www.flickr.com/services/api/flickr.auth.oauth.checkToken.html)."""
        return _ok(f'<oauth>\n\t<token>{p["oauth_token"]}</token>\n\t<perms>{self.perms}</perms>\n'
                   f'\t<user nsid="{ME}" username="westmidlandspolice" fullname="West Midlands Police" />\n</oauth>')

    # -- methods -------------------------------------------------------------------------------
    def _test_login(self, p):
        return _ok(f'<user id="{ME}" path_alias="westmidlandspolice">\n\t<username>West Midlands Police</username>\n</user>')

    def _photos_getInfo(self, p):
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        pid = p["photo_id"]
        return _ok(
            f'<photo id="{pid}" secret="1e92283336" server="65535" farm="66" dateuploaded="1795000000" '
            f'isfavorite="0" license="{photo.get("license", "0")}" safety_level="0" rotation="0" views="0" '
            'media="photo">\n'
            f'\t<owner nsid="{ME}" username="West Midlands Police" realname="" location="" '
            f'path_alias="westmidlandspolice" />\n'
            f'\t<title>{escape(photo.get("title", ""))}</title>\n'
            f'\t<description>{escape(photo.get("description", ""))}</description>\n'
            f'\t<visibility ispublic="{photo.get("is_public", "0")}" isfriend="0" isfamily="0" />\n'
            f'\t<urls>\n\t\t<url type="photopage">https://www.flickr.com/photos/westmidlandspolice/{pid}/</url>\n'
            f'\t</urls>\n\t<media>photo</media>\n</photo>')

    def _photos_licenses_setLicense(self, p):
        photo = self.photos.get(p["photo_id"])
        if photo is None:
            return _fail(1, "Photo not found")
        if p["license_id"] not in {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}:
            return _fail(2, "License not found")
        photo["license"] = p["license_id"]
        return _ok()

    def _photos_search(self, p):
        assert p["user_id"] == "me"
        hits = [pid for pid, ph in self.photos.items() if p["machine_tags"] in ph["tag_list"]]
        rows = "".join(f'\t<photo id="{pid}" owner="{ME}" secret="1e92283336" server="65535" farm="66" '
                       f'title="{escape(self.photos[pid].get("title", ""))}" ispublic="1" isfriend="0" '
                       f'isfamily="0" />\n' for pid in hits[:1])
        return _ok(f'<photos page="1" pages="{1 if hits else 0}" perpage="1" total="{len(hits)}">\n{rows}</photos>')

    def _photos_getAllContexts(self, p):
        return _ok("".join(f'<set id="{sid}" title="{escape(s["title"])}" />\n'
                           for sid, s in self.sets.items() if p["photo_id"] in s["photos"]))

    def _photosets_getList(self, p):
        page, per_page = int(p.get("page", "1")), int(p.get("per_page", "500"))
        ids = list(self.sets)
        chunk = ids[(page - 1) * per_page: page * per_page]
        rows = "".join(
            f'\t<photoset id="{sid}" primary="{self.sets[sid]["primary"]}" secret="abc" server="65535" farm="66" '
            f'photos="{len(self.sets[sid]["photos"])}" videos="0">\n\t\t<title>{escape(self.sets[sid]["title"])}'
            f'</title>\n\t\t<description />\n\t</photoset>\n' for sid in chunk)
        pages = max(1, -(-len(ids) // per_page))
        return _ok(f'<photosets page="{page}" pages="{pages}" perpage="{per_page}" total="{len(ids)}">\n{rows}</photosets>')

    def _photosets_create(self, p):
        set_id = f"7215771{next(self._ids)}"
        self.sets[set_id] = {"title": p["title"], "primary": p["primary_photo_id"], "photos": [p["primary_photo_id"]]}
        return _ok(f'<photoset id="{set_id}" url="https://www.flickr.com/photos/westmidlandspolice/sets/{set_id}/" />')

    def _photosets_addPhoto(self, p):
        photoset = self.sets.get(p["photoset_id"])
        if photoset is None:
            return _fail(1, "Photoset not found")
        if p["photo_id"] in photoset["photos"]:
            return _fail(3, "Photo already in set")
        photoset["photos"].append(p["photo_id"])
        return _ok()

    def _photos_comments_getList(self, p):
        rows = "".join(
            f'\t<comment id="{c["id"]}" author="{c["author"]}" author_is_deleted="0" '
            f'authorname="{escape(c["authorname"])}" datecreate="{c["datecreate"]}" '
            f'permalink="https://www.flickr.com/photos/westmidlandspolice/{p["photo_id"]}/#comment{c["id"]}" '
            f'path_alias="" realname="">{escape(c["text"])}</comment>\n'
            for c in self.comments.get(p["photo_id"], []))
        return _ok(f'<comments photo_id="{p["photo_id"]}">\n{rows}</comments>')

    def _activity_userPhotos(self, p):
        """The account's photos with a comment (anyone's) within the timeframe, newest activity first."""
        self.timeframes.append(p["timeframe"])
        amount, unit = int(p["timeframe"][:-1]), p["timeframe"][-1]
        cutoff = clock.now() - (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
        active = sorted(((max(int(c["datecreate"]) for c in recent), pid, recent)
                         for pid, entries in self.comments.items()
                         if (recent := [c for c in entries if int(c["datecreate"]) >= cutoff.timestamp()])),
                        reverse=True)
        page, per_page = int(p.get("page", "1")), int(p.get("per_page", "10"))
        chunk = active[(page - 1) * per_page: page * per_page]
        rows = "".join(
            f'\t<item type="photo" id="{pid}" owner="{ME}" secret="1e92283336" server="65535" farm="66" '
            f'commentsold="0" commentsnew="{len(recent)}" notes="0" views="3" faves="0" more="0">\n'
            f'\t\t<title>{escape(self.photos.get(pid, {}).get("title", ""))}</title>\n\t\t<activity>\n'
            + "".join(f'\t\t\t<event type="comment" user="{c["author"]}" username="{escape(c["authorname"])}" '
                      f'dateadded="{c["datecreate"]}">{escape(c["text"])}</event>\n' for c in recent)
            + '\t\t</activity>\n\t</item>\n' for _, pid, recent in chunk)
        pages = max(1, -(-len(active) // per_page))
        return _ok(f'<items page="{page}" pages="{pages}" perpage="{per_page}" total="{len(active)}">\n{rows}</items>')

    def _photos_comments_addComment(self, p):
        comment_id = self.add_comment(p["photo_id"], p["comment_text"], author=ME, name="West Midlands Police")
        return _ok(f'<comment id="{comment_id}" />')

    def _photos_comments_deleteComment(self, p):
        for entries in self.comments.values():
            for c in entries:
                if c["id"] == p["comment_id"]:
                    entries.remove(c)
                    return _ok()
        return _fail(2, "Comment not found")


def _text(body) -> str:
    return body.decode() if isinstance(body, bytes) else (body or "")


def _split_tags(raw: str) -> list[str]:
    tags, rest = [], raw
    while rest.strip():
        rest = rest.strip()
        if rest.startswith('"'):
            tag, _, rest = rest[1:].partition('"')
        else:
            tag, _, rest = rest.partition(" ")
        tags.append(tag)
    return tags


@pytest.fixture
def flickr():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeFlickr(mock)


@pytest.fixture
def publisher(flickr) -> FlickrPublisher:
    return connect(CREDENTIALS)


def _publish(publisher, album="neighbourhood-day", tag="pressroom:photo=3f1c2a9b7d4e5f60718293a4", **kw):
    """Upload, then put in the album's set found by title or made (as the stage does for a new album)."""
    args = {"title": "Officers at the fun day", "description": "PCSOs met residents.\n\nCall 0345 113 5000.",
            "tags": ["community", "fun day"], "machine_tag": tag} | kw
    uploaded = publisher.publish(JPEG, "3f1c2a9b7d4e5f60718293a4.jpg", **args)
    return Published(uploaded.photo_id, uploaded.url, publisher.add_to_album(uploaded.photo_id, album, None))


def test_make_publisher_picks_flickr_with_credentials_and_the_album_without(tmp_path):
    assert isinstance(make_publisher(CREDENTIALS, Settings()), FlickrPublisher)
    local = make_publisher(None, Settings(local_album_dir=str(tmp_path / "a")))
    assert local.root == (tmp_path / "a").resolve()


def test_a_deployment_without_flickr_credentials_publishes_nothing_and_says_why():
    unconfigured = make_publisher(None, Settings(local_album_dir="", flickr_secret="pressroom/flickr"))
    for call in (lambda: _publish(unconfigured), lambda: unconfigured.find("x"), lambda: unconfigured.comments([]),
                 lambda: unconfigured.commented_since(datetime.now(UTC))):
        with pytest.raises(PublisherUnavailable, match="fill in the pressroom/flickr secret"):
            call()


def test_upload_is_public_signed_tagged_and_escaped(flickr, publisher):
    published = _publish(publisher, description="Bring <kids> & family")
    photo = flickr.photos[published.photo_id]
    assert photo["photo"] == JPEG
    assert (photo["is_public"], photo["is_friend"], photo["is_family"]) == ("1", "0", "0")
    assert (photo["safety_level"], photo["content_type"], photo["hidden"]) == ("1", "1", "1")
    assert photo["title"] == "Officers at the fun day"
    assert photo["description"] == "Bring &lt;kids&gt; &amp; family"
    assert photo["tag_list"] == ["community", "fun day", "pressroom:photo=3f1c2a9b7d4e5f60718293a4"]
    assert published.url == f"https://www.flickr.com/photos/westmidlandspolice/{published.photo_id}/"
    for request in flickr.requests:
        auth = request.headers["Authorization"]
        auth = auth.decode() if isinstance(auth, bytes) else auth
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        assert 'oauth_token="token-123"' in auth and "oauth_signature=" in auth
        for secret in ("consumer-secret-xyz", "token-secret-456"):
            assert secret not in auth and secret.encode() not in body



def test_first_photo_of_an_album_creates_its_set_later_ones_join_it(flickr, publisher):
    first = _publish(publisher, tag="pressroom:photo=a1")
    second = _publish(publisher, tag="pressroom:photo=a2")
    other = _publish(publisher, album="campaigns", tag="pressroom:photo=a3")
    assert first.photoset_id == second.photoset_id != other.photoset_id
    photoset = flickr.sets[first.photoset_id]
    assert photoset == {"title": "neighbourhood-day", "primary": first.photo_id,
                        "photos": [first.photo_id, second.photo_id]}
    assert flickr.calls.count("photosets.create") == 2


def test_an_upload_is_in_no_set_and_a_known_set_is_joined_without_listing(flickr, publisher):
    first = _publish(publisher, tag="pressroom:photo=a1")
    uploaded = publisher.publish(JPEG, "a2.jpg", title="t", description="d", tags=[], machine_tag="pressroom:photo=a2")
    assert uploaded.photoset_id == "" and not any(uploaded.photo_id in s["photos"] for s in flickr.sets.values())
    listed = flickr.calls.count("photosets.getList")
    assert publisher.add_to_album(uploaded.photo_id, "neighbourhood-day", first.photoset_id) == first.photoset_id
    assert flickr.calls.count("photosets.getList") == listed
    assert flickr.sets[first.photoset_id]["photos"] == [first.photo_id, uploaded.photo_id]


def test_an_existing_set_is_found_by_title_across_pages(flickr, publisher):
    for n in range(501):
        flickr.sets[f"72157000{n:04d}"] = {"title": f"album {n}", "primary": "1", "photos": ["1"]}
    published = _publish(publisher, album="album 500")
    assert published.photoset_id == "721570000500"
    assert "photosets.create" not in flickr.calls
    assert flickr.sets["721570000500"]["photos"] == ["1", published.photo_id]


def test_a_set_deleted_on_flickr_is_reported_then_made_again(flickr, publisher):
    first = _publish(publisher, tag="pressroom:photo=b1")
    del flickr.sets[first.photoset_id]
    uploaded = publisher.publish(JPEG, "b2.jpg", title="t", description="d", tags=[], machine_tag="pressroom:photo=b2")
    assert publisher.add_to_album(uploaded.photo_id, "neighbourhood-day", first.photoset_id) == ""
    remade = publisher.add_to_album(uploaded.photo_id, "neighbourhood-day", None)
    assert remade != first.photoset_id and flickr.sets[remade]["primary"] == uploaded.photo_id


def test_adding_a_photo_already_in_the_set_is_fine(flickr, publisher):
    published = _publish(publisher)
    assert publisher.add_to_album(published.photo_id, "neighbourhood-day", published.photoset_id) == \
        published.photoset_id
    assert publisher.add_to_album(published.photo_id, "neighbourhood-day", None) == published.photoset_id


def test_find_by_machine_tag(flickr, publisher):
    assert publisher.find("pressroom:photo=3f1c2a9b7d4e5f60718293a4") is None
    published = _publish(publisher)
    assert publisher.find("pressroom:photo=3f1c2a9b7d4e5f60718293a4") == published
    assert publisher.find("pressroom:photo=ffffffffffffffffffffffff") is None


def test_find_reports_no_set_when_the_crash_came_before_it(flickr, publisher):
    flickr.fail("photosets.getList", 503)
    with pytest.raises(PublisherUnavailable):
        _publish(publisher)
    found = publisher.find("pressroom:photo=3f1c2a9b7d4e5f60718293a4")
    assert found is not None and found.photoset_id == ""
    assert publisher.add_to_album(found.photo_id, "neighbourhood-day", None) in flickr.sets


def test_comments_exclude_the_accounts_own_replies(flickr, publisher):
    published = _publish(publisher)
    first = flickr.add_comment(published.photo_id, "Great work & thanks!")
    publisher.reply(published.photo_id, "Thank you")
    second = flickr.add_comment(published.photo_id, "Where was this?", name="Sam")
    got = publisher.comments([published.photo_id])
    assert [c.id for c in got] == [first, second]
    assert got[0].text == "Great work & thanks!" and got[1].author_name == "Sam"
    assert got[0].photo_id == published.photo_id and got[0].created_at.endswith("Z")
    assert got[0].permalink.endswith(f"#comment{first}")


def test_reply_and_delete(flickr, publisher):
    published = _publish(publisher)
    visitor = flickr.add_comment(published.photo_id, "abuse")
    reply_id = publisher.reply(published.photo_id, "We cannot accept reports of crime here.")
    assert any(c["id"] == reply_id and c["author"] == ME for c in flickr.comments[published.photo_id])
    publisher.delete_comment(visitor)
    publisher.delete_comment(visitor)  # already gone is fine
    assert [c["id"] for c in flickr.comments[published.photo_id]] == [reply_id]


NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """Flickr's clock and the adapter's stopped at NOW."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


def test_commented_since_names_the_photos_of_any_age_with_comments_since(flickr, publisher, frozen):
    old, recent, quiet = (_publish(publisher, tag=f"pressroom:photo=c{n}").photo_id for n in range(3))
    flickr.add_comment(old, "Is this Aston?", when=NOW - timedelta(minutes=50))
    flickr.add_comment(recent, "Lovely", when=NOW - timedelta(days=2))
    flickr.add_comment(quiet, "From years ago", when=NOW - timedelta(days=900))
    assert publisher.commented_since(NOW - timedelta(hours=1)) == {old}
    assert publisher.commented_since(NOW - timedelta(days=30)) == {old, recent}
    assert publisher.commented_since(NOW - timedelta(days=30, seconds=1)) == {old, recent}
    # whole hours, or days past two days, rounded up: never a shorter span than asked for
    assert flickr.timeframes == ["1h", "30d", "31d"]
    publisher.commented_since(NOW - timedelta(minutes=90))
    publisher.commented_since(NOW - timedelta(hours=48))
    assert flickr.timeframes[-2:] == ["2h", "48h"]


def test_commented_since_reads_every_page(flickr, publisher, frozen):
    for n in range(120):
        flickr.add_comment(str(53302000000 + n), "Nice", when=NOW - timedelta(minutes=n))
    assert publisher.commented_since(NOW - timedelta(hours=3)) == {str(53302000000 + n) for n in range(120)}
    assert flickr.calls.count("activity.userPhotos") == 3  # 50 a page


def test_commented_since_skips_photosets_and_ends_without_page_counts(flickr, publisher, frozen):
    flickr.fail("activity.userPhotos", _ok(
        '<items>\n\t<item type="photoset" id="72157000001" owner="99887766@N04" primary="6521" comments="1" '
        'more="0">\n\t\t<title>A set</title>\n\t</item>\n\t<item type="photo" id="53300000009" '
        'owner="99887766@N04" commentsold="1" commentsnew="1" more="0">\n\t\t<title>A photo</title>\n'
        '\t\t<activity>\n\t\t\t<event type="comment" user="1@N01" username="Bees" dateadded="1795000000">yay'
        '</event>\n\t\t</activity>\n\t</item>\n</items>'))
    assert publisher.commented_since(NOW - timedelta(hours=1)) == {"53300000009"}
    assert flickr.calls.count("activity.userPhotos") == 1


def test_commented_since_stops_at_a_page_that_only_repeats_the_last(flickr, publisher, frozen):
    full_page = _ok("<items>\n" + "".join(f'\t<item type="photo" id="5330000{n:04d}" more="0" />\n'
                                          for n in range(50)) + "</items>")
    flickr.fail("activity.userPhotos", full_page, full_page)  # a listing without page counts that ignores page=
    assert len(publisher.commented_since(NOW - timedelta(hours=1))) == 50
    assert flickr.calls.count("activity.userPhotos") == 2


@pytest.mark.parametrize("failure", [(105, "Service currently unavailable"), 503,
                                     requests.ConnectionError("connection reset")])
def test_transient_failures_are_unavailable(flickr, publisher, failure):
    flickr.fail("upload", failure)
    with pytest.raises(PublisherUnavailable):
        _publish(publisher)
    flickr.fail("photos.comments.getList", failure)
    with pytest.raises(PublisherUnavailable):
        publisher.comments(["1"])
    flickr.fail("activity.userPhotos", failure)
    with pytest.raises(PublisherUnavailable):
        publisher.commented_since(datetime.now(UTC) - timedelta(days=30))
    assert flickr.photos == {}


def test_an_unrecognised_file_is_refused_for_good(flickr, publisher):
    flickr.fail("upload", (5, "Filetype was not recognised"))
    with pytest.raises(PublishRefused, match="not recognised"):
        _publish(publisher)


def test_api_errors_on_other_calls_are_unavailable(flickr, publisher):
    flickr.fail("photos.comments.deleteComment", (99, "Insufficient permissions"))
    with pytest.raises(PublisherUnavailable, match="Insufficient permissions"):
        publisher.delete_comment("1-2-3")


def test_short_urls_use_flickrs_base58_alphabet():
    from pressroom.adapters.flickr import short_url

    assert [short_url(str(n)) for n in (1, 9, 10, 33, 34, 57, 58)] == [
        f"https://flic.kr/p/{s}" for s in ("2", "a", "b", "z", "A", "Z", "21")]
    assert not set(short_url("53301000001").removeprefix("https://flic.kr/p/")) & set("0OIl")
