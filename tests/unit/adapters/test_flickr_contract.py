"""Contract tests: what Pressroom sends Flickr after publishing, and how it reads Flickr's documented
replies (take-downs, corrections, the OAuth token steps, the account check). Every request is held
to Flickr's own rule: an OAuth 1.0a HMAC-SHA1 signature over its method, address and parameters
under the app's secret and the token's (FakeFlickr answers "Invalid signature" otherwise)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from pressroom.adapters import flickr
from pressroom.adapters.flickr import connect
from pressroom.adapters.parameters import FlickrCredentials
from pressroom.adapters.publisher import NotPermitted, PublisherUnavailable, PublishRefused
from pressroom_local.flickr_auth import AuthFailed, authorise
from tests.unit.adapters.test_flickr import CREDENTIALS, JPEG, ME, FakeFlickr, oauth_signature_ok


@pytest.fixture
def flickr_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeFlickr(mock)


@pytest.fixture
def publisher(flickr_api):
    return connect(CREDENTIALS)


def _published(publisher, album="neighbourhood-day", tag="pressroom:photo=aa11"):
    uploaded = publisher.publish(JPEG, "a.jpg", title="Park day", description="Volunteers.", tags=["park"],
                                 machine_tag=tag)
    return uploaded.photo_id, publisher.add_to_album(uploaded.photo_id, album, None)


def _form(request) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _last(flickr_api, method: str):
    return next(r for r in reversed(flickr_api.requests) if _form(r).get("method") == f"flickr.{method}")


def test_the_signature_check_refuses_a_request_signed_with_another_secret(flickr_api):
    """The double's check is Flickr's: a wrong token secret is "Invalid signature", so the tests
    below prove the adapter signs each call rightly."""
    forged = connect(FlickrCredentials(CREDENTIALS.api_key, CREDENTIALS.api_secret, CREDENTIALS.oauth_token, "guessed"))
    with pytest.raises(PublisherUnavailable, match="Invalid signature"):
        forged.delete("53301000001")
    assert flickr_api.bad_signatures == 1


def test_delete_is_signed_removes_the_photo_and_a_second_delete_is_fine(flickr_api, publisher):
    photo_id, set_id = _published(publisher)
    publisher.delete(photo_id)
    sent = _last(flickr_api, "photos.delete")
    assert _form(sent)["photo_id"] == photo_id
    oauth = oauth_signature_ok(sent, list(_form(sent).items()), CREDENTIALS.api_secret, CREDENTIALS.oauth_token_secret)
    assert oauth["oauth_token"] == CREDENTIALS.oauth_token and oauth["oauth_consumer_key"] == CREDENTIALS.api_key
    assert photo_id not in flickr_api.photos and photo_id not in flickr_api.sets.get(set_id, {"photos": []})["photos"]
    publisher.delete(photo_id)  # Flickr: 1 "Photo not found": it is down already
    assert flickr_api.bad_signatures == 0


def test_delete_without_delete_access_is_told_apart(flickr_api, publisher):
    photo_id, _ = _published(publisher)
    flickr_api.perms = "write"
    with pytest.raises(NotPermitted, match="delete"):
        publisher.delete(photo_id)
    assert photo_id in flickr_api.photos


def test_hide_makes_the_photo_private_with_comments_closed(flickr_api, publisher):
    photo_id, _ = _published(publisher)
    publisher.hide(photo_id)
    sent = _form(_last(flickr_api, "photos.setPerms"))
    assert {k: sent[k] for k in ("is_public", "is_friend", "is_family", "perm_comment", "perm_addmeta")} == {
        "is_public": "0", "is_friend": "0", "is_family": "0", "perm_comment": "0", "perm_addmeta": "0"}
    assert flickr_api.photos[photo_id]["is_public"] == "0"
    publisher.hide("999")  # not found: already gone is fine
    assert flickr_api.bad_signatures == 0


def test_remove_from_album_then_again_and_from_a_set_gone(flickr_api, publisher):
    first, set_id = _published(publisher, tag="pressroom:photo=a1")
    second, _ = _published(publisher, tag="pressroom:photo=a2")
    publisher.remove_from_album(first, set_id)
    assert flickr_api.sets[set_id]["photos"] == [second]
    assert _form(_last(flickr_api, "photosets.removePhoto")) | {"photoset_id": set_id, "photo_id": first} == _form(
        _last(flickr_api, "photosets.removePhoto"))
    publisher.remove_from_album(first, set_id)  # 2 "Photo not found" (in the set): done already
    publisher.remove_from_album(second, set_id)  # the last photo: Flickr deletes the set
    assert set_id not in flickr_api.sets
    publisher.remove_from_album(second, set_id)  # 1 "Photoset not found": done already
    flickr_api.fail("photosets.removePhoto", 503)
    with pytest.raises(PublisherUnavailable):
        publisher.remove_from_album(second, set_id)


def test_set_meta_sends_plain_text_escaped_and_refuses_a_photo_gone(flickr_api, publisher):
    photo_id, _ = _published(publisher)
    publisher.set_meta(photo_id, title="Park day & more", description="Bring <kids>\n\nCall 0345 113 5000.")
    sent = _form(_last(flickr_api, "photos.setMeta"))
    assert sent["title"] == "Park day & more" and sent["description"] == "Bring &lt;kids&gt;\n\nCall 0345 113 5000."
    assert flickr_api.photos[photo_id]["title"] == "Park day & more"
    flickr_api.photos.pop(photo_id)
    with pytest.raises(PublishRefused, match="no longer on Flickr"):
        publisher.set_meta(photo_id, title="t", description="d")


def test_set_tags_replaces_them_in_flickr_syntax(flickr_api, publisher):
    photo_id, _ = _published(publisher)
    publisher.set_tags(photo_id, ["community day", "park", "pressroom:photo=aa11"])
    assert _form(_last(flickr_api, "photos.setTags"))["tags"] == '"community day" park pressroom:photo=aa11'
    assert flickr_api.photos[photo_id]["tag_list"] == ["community day", "park", "pressroom:photo=aa11"]
    with pytest.raises(PublishRefused):
        publisher.set_tags("999", ["x"])
    flickr_api.fail("photos.setTags", (105, "Service currently unavailable"))
    with pytest.raises(PublisherUnavailable):
        publisher.set_tags(photo_id, ["x"])


def test_the_account_check_reads_test_login_the_upload_status_and_the_tokens_access(flickr_api):
    found = flickr.account(CREDENTIALS)
    assert (found.nsid, found.username, found.perms, found.pro) == (ME, "West Midlands Police", "delete", True)
    assert (found.bandwidth_max, found.bandwidth_used, found.bandwidth_remaining) == (2147483648, 383724, 2147099924)
    assert found.filesize_max == 209715200 and found.sets_created == "27"
    assert _form(_last(flickr_api, "auth.oauth.checkToken"))["oauth_token"] == CREDENTIALS.oauth_token
    assert [c for c in flickr_api.calls] == ["test.login", "people.getUploadStatus", "auth.oauth.checkToken"]
    assert flickr_api.bad_signatures == 0


def test_the_account_check_reports_refused_credentials(flickr_api):
    with pytest.raises(PublisherUnavailable, match="Invalid signature"):
        flickr.account(FlickrCredentials(CREDENTIALS.api_key, "wrong-secret", CREDENTIALS.oauth_token,
                                         CREDENTIALS.oauth_token_secret))


# -- OAuth 1.0a out of band: request token, the user's consent, access token, test.login -------------
def test_the_out_of_band_flow_asks_for_delete_access_and_checks_the_token():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeFlickr(mock, FlickrCredentials(CREDENTIALS.api_key, CREDENTIALS.api_secret, "", ""))
        shown: list[str] = []

        def user(url: str) -> str:
            shown.append(url)
            return f"  {fake.VERIFIER}\n"  # pasted with spaces and a line break

        done = authorise(CREDENTIALS.api_key, CREDENTIALS.api_secret, user)
    assert done.credentials == FlickrCredentials(CREDENTIALS.api_key, CREDENTIALS.api_secret, *fake.ACCESS_TOKEN)
    assert (done.nsid, done.username) == (ME, "West Midlands Police")
    (url,) = shown
    assert url.startswith("https://www.flickr.com/services/oauth/authorize?")
    assert parse_qs(urlsplit(url).query) == {"oauth_token": [fake.REQUEST_TOKEN[0]], "perms": ["delete"]}
    assert fake.calls == ["oauth.request_token", "oauth.access_token", "test.login"]
    request_token, access_token, login = fake.requests
    oauth_signature_ok(request_token, list(_form(request_token).items()), CREDENTIALS.api_secret, "")
    assert _form(request_token) == {"oauth_callback": "oob"}
    assert oauth_signature_ok(access_token, [], CREDENTIALS.api_secret, fake.REQUEST_TOKEN[1])[
        "oauth_verifier"] == fake.VERIFIER
    assert oauth_signature_ok(login, list(_form(login).items()), CREDENTIALS.api_secret, fake.ACCESS_TOKEN[1])[
        "oauth_token"] == fake.ACCESS_TOKEN[0]
    assert fake.bad_signatures == 0


@pytest.mark.parametrize(("secret", "verifier"), [("wrong-secret", FakeFlickr.VERIFIER), (CREDENTIALS.api_secret, "000-000-000")])
def test_a_wrong_secret_or_code_ends_the_flow_saying_so(secret, verifier):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakeFlickr(mock, FlickrCredentials(CREDENTIALS.api_key, CREDENTIALS.api_secret, "", ""))
        with pytest.raises(AuthFailed) as failed:
            authorise(CREDENTIALS.api_key, secret, lambda url: verifier)
    assert secret not in str(failed.value) and "a202d1f853ec69de" not in str(failed.value)


def test_flickr_unreachable_ends_the_flow():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, "https://www.flickr.com/services/oauth/request_token",
                 body=requests.ConnectionError("reset"))
        with pytest.raises(AuthFailed, match="ConnectionError"):
            authorise(CREDENTIALS.api_key, CREDENTIALS.api_secret, lambda url: "1")


# -- per-photo settings ---------------------------------------------------------------------------
def test_safety_and_content_type_go_with_the_upload_and_licence_and_comments_after_it(flickr_api, publisher):
    from pressroom.domain.flickr_options import FlickrOptions

    options = FlickrOptions(licence="cc-by-nc-nd-4.0", comments="nobody", safety="moderate", content_type="other")
    uploaded = publisher.publish(JPEG, "poster.png", title="Lock it", description="d", tags=[],
                                 machine_tag="pressroom:photo=b2", options=options)
    photo = flickr_api.photos[uploaded.photo_id]
    assert (photo["safety_level"], photo["content_type"], photo["is_public"]) == ("2", "3", "1")
    publisher.configure(uploaded.photo_id, options)
    assert photo["license"] == "16"  # found by its address in licenses.getInfo
    assert (photo["perm_comment"], photo["perm_addmeta"], photo["is_public"]) == ("0", "0", "1")
    publisher.configure(uploaded.photo_id, FlickrOptions(licence="cc-by-sa-4.0", comments="everyone"))
    assert photo["license"] == "0" and photo["perm_comment"] == "3"  # not listed by Flickr: all rights reserved
    assert flickr_api.calls.count("photos.licenses.getInfo") == 1  # looked up once
    assert flickr_api.bad_signatures == 0
