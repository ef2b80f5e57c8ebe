"""The desk and desk_authorizer handlers against moto: every route with a token of each group and of
none, tokens that must not sign anyone in, the upload's presigned POSTs, the queue's review and its
decision through the approval API, and the desk's audit events.

Tokens come from the local stack's development sign-in (an RS256 key of its own), whose keys the
desk fetches as it fetches the user pool's; the events are API Gateway's payload 2.0, cookies apart
from the headers as API Gateway sends them."""
import base64
import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pressroom import bootstrap
from pressroom.adapters import idp
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.web.signin import SESSION_COOKIE, SIGNIN_COOKIE
from pressroom_local.api import http_event
from pressroom_local.resources import Names
from pressroom_local.signin import CLIENT_ID, DevSignIn
from tests.integration.helpers import SAFE_METADATA, invoke, upload_until_asked

BASE = "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com"
ONE, TWO = Names().approvers
LEAD = dict(Names().groups)["safeguarding-leads"][0]
STAFF = "pcso@example.org"
PEOPLE = {"staff": (STAFF, ("staff",)), "approvers": (ONE, ("approvers",)),
          "press-office": ("press.office@press-office.example", ("press-office",)),
          "safeguarding": (LEAD, ("safeguarding",)), "no group": ("someone@press-office.example", ())}


@pytest.fixture(scope="module")
def signer() -> DevSignIn:
    return DevSignIn(BASE)  # one RSA key for the module: making one takes a moment


@pytest.fixture
def desk(aws, signer, monkeypatch):
    """The desk configured for ``signer``'s issuer, whose keys it fetches from there."""
    for name, value in signer.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PRESSROOM_APPROVAL_BASE_URL", BASE)
    fetched = []

    def fetch(url):
        fetched.append(url)
        assert url == signer.issuer + "/.well-known/jwks.json"
        return signer.jwks()
    monkeypatch.setattr(idp, "fetch_json", fetch)
    bootstrap.reset()
    return fetched


def token_of(signer, who: str, **kwargs) -> str:
    email, groups = PEOPLE[who]
    return signer.token(email, who.title(), groups, **kwargs)


def request(method: str, path: str, token: str | None = None, *, form=None, data=None, headers=None,
            cookies: str = ""):
    head = {"host": "a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com", "sec-fetch-site": "same-origin",
            "origin": BASE, **(headers or {})}
    body = b""
    if form is not None:
        head["content-type"] = "application/x-www-form-urlencoded"
        body = urlencode(form).encode()
    if data is not None:
        head["content-type"] = "application/json"
        body = json.dumps(data).encode()
    jar = "; ".join(c for c in (f"{SESSION_COOKIE}={token}" if token else "", cookies) if c)
    if jar:
        head["cookie"] = jar
    return invoke("desk", http_event(method, path, head, body, "203.0.113.24"))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def upload_request(**declared) -> dict:
    return {"album": "Neighbourhood day", "declared": {"category": "neighbourhood-initiative", "people": "none",
                                                      "children": "no", "credit": "West Midlands Police",
                                                      **declared},
            "files": [{"name": "park.jpg", "type": "image/jpeg", "size": 1234, "title": "Park clean-up",
                       "description": "Volunteers cleared litter."}]}


# -- who may open what ----------------------------------------------------------------------------
#: route → the groups it opens for (None: any signed-in visitor)
PAGES = {"/desk": None, "/desk/desk.js": None, "/desk/upload": {"staff"}, "/desk/photos": {"staff"},
         "/desk/photos/states": {"staff"}, "/desk/approvals": {"approvers", "safeguarding"},
         "/desk/comments": {"press-office"}, "/desk/escalated": {"safeguarding"}, "/desk/reports": {"press-office"},
         "/desk/reports.csv": {"press-office"}}


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_each_group_opens_its_pages_and_is_refused_the_rest(desk, signer, store, who):
    token = token_of(signer, who)
    for path, groups in PAGES.items():
        reply = request("GET", path, token)
        if groups is None or who in groups:
            assert reply["statusCode"] == 200, (who, path)
        else:
            assert reply["statusCode"] == 403, (who, path)
            assert "Your groups" in reply["body"] or "None of your groups" in reply["body"]
    refused = [e for e in store.desk_events(clock.iso()[:7]) if e["event"] == "desk-refused"]
    assert all(e["actor"] == PEOPLE[who][0] for e in refused)
    assert len(refused) == sum(1 for groups in PAGES.values() if groups is not None and who not in groups)


def test_nobody_signed_in_is_sent_to_sign_in_or_refused(desk, signer):
    for path in PAGES:
        reply = request("GET", path)
        if path.endswith((".json", "/states")):
            assert reply["statusCode"] == 401
        else:
            assert reply["statusCode"] == 303 and reply["headers"]["Location"] == "/auth/sign-in", path
    assert request("POST", "/desk/upload/prepare", data={**upload_request(), "csrf": "x"})["statusCode"] == 401
    assert request("GET", "/desk/approvals/abc")["statusCode"] == 303


@pytest.mark.parametrize("case", ["expired", "other client", "other issuer", "forged", "not a token", "no email"])
def test_a_token_that_does_not_verify_signs_nobody_in(desk, signer, case):
    good = token_of(signer, "staff")
    token = {
        "expired": token_of(signer, "staff", now=time.time() - 7200),
        "other client": token_of(signer, "staff", audience="another-client"),
        "other issuer": DevSignIn("https://elsewhere.example", key=signer.key, kid=signer.kid).token(STAFF, "x", ("staff",)),
        "forged": DevSignIn(BASE).token(STAFF, "x", ("staff",)),  # another key
        "not a token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "no email": signer.token("", "x", ("staff",)),
    }[case]
    assert request("GET", "/desk/upload", good)["statusCode"] == 200
    assert request("GET", "/desk/upload", token)["statusCode"] == 303
    assert invoke("desk_authorizer", {"cookies": [f"{SESSION_COOKIE}={token}"]}) == {"isAuthorized": False}


def test_the_authorizer_admits_a_valid_session_and_nothing_else(desk, signer):
    token = token_of(signer, "no group")  # the authorizer asks who; the desk asks which groups
    assert invoke("desk_authorizer", {"cookies": ["other=1", f"{SESSION_COOKIE}={token}"]}) == {"isAuthorized": True}
    assert invoke("desk_authorizer", {"cookies": ["other=1"]}) == {"isAuthorized": False}
    assert invoke("desk_authorizer", {}) == {"isAuthorized": False}


def test_the_keys_are_fetched_once_and_kept(desk, signer):
    for _ in range(3):
        assert request("GET", "/desk", token_of(signer, "staff"))["statusCode"] == 200
    assert request("GET", "/desk", DevSignIn(BASE).token(STAFF, "x", ("staff",)))["statusCode"] == 303
    assert len(desk) == 1  # an unknown key id fetches again only a minute on (tests/unit/adapters/test_idp.py)


def test_pages_carry_the_review_pages_security_headers(desk, signer):
    headers = request("GET", "/desk/upload", token_of(signer, "staff"))["headers"]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "connect-src 'self' https://" in csp or "connect-src 'self' http" in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"


# -- signing in and out ---------------------------------------------------------------------------
def test_sign_in_round_trip_sets_an_http_only_secure_cookie_and_is_audited(desk, signer, store, monkeypatch):
    start = request("GET", "/auth/sign-in")
    assert start["statusCode"] == 303
    location = urlsplit(start["headers"]["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == signer.issuer + "/oauth2/authorize"
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == BASE + "/auth/callback"
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    (pending,) = start["cookies"]
    assert pending.startswith(f"{SIGNIN_COOKIE}=") and "HttpOnly" in pending and "Secure" in pending
    # the development sign-in stands in for the hosted login, its token endpoint for Cognito's
    chosen = signer.handle({"rawPath": "/local/cognito/oauth2/authorize", "requestContext": {"http": {
        "method": "POST"}}, "body": urlencode({**query, "as": f"{STAFF}|Sam|staff"})})
    code = parse_qs(urlsplit(chosen["headers"]["Location"]).query)["code"][0]
    monkeypatch.setattr(idp, "exchange_code", lambda url, form: json.loads(signer.handle(
        {"rawPath": "/local/cognito/oauth2/token", "requestContext": {"http": {"method": "POST"}},
         "body": urlencode(form)})["body"]))
    bootstrap.reset()
    cookie = pending.split(";")[0]
    assert request("GET", f"/auth/callback?{urlencode({'code': code, 'state': 'wrong'})}",
                   cookies=cookie)["statusCode"] == 400
    done = request("GET", f"/auth/callback?{urlencode({'code': code, 'state': query['state']})}", cookies=cookie)
    assert done["statusCode"] == 303 and done["headers"]["Location"] == "/desk"
    session = next(c for c in done["cookies"] if c.startswith(SESSION_COOKIE))
    assert all(flag in session for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"))
    token = session.split(";")[0].split("=", 1)[1]
    home = request("GET", "/desk", token)
    assert home["statusCode"] == 200 and STAFF in home["body"]

    assert request("POST", "/auth/sign-out", token, form={"csrf": "forged"})["statusCode"] == 403
    out = request("POST", "/auth/sign-out", token, form={"csrf": csrf_of(home["body"])})
    assert out["statusCode"] == 303 and out["headers"]["Location"].startswith(signer.issuer + "/logout?")
    assert any(c.startswith(f"{SESSION_COOKIE}=;") and "Max-Age=0" in c for c in out["cookies"])
    events = [(e["actor"], e["event"]) for e in store.desk_events(clock.iso()[:7])]
    assert events == [(STAFF, "desk-signed-in"), (STAFF, "desk-signed-out")]


# -- uploading ------------------------------------------------------------------------------------
def _prepare(signer, data, **headers):
    token = token_of(signer, "staff")
    csrf = csrf_of(request("GET", "/desk/upload", token)["body"])
    return request("POST", "/desk/upload/prepare", token, data={**data, "csrf": csrf}, headers=headers)


def test_an_upload_is_a_presigned_post_whose_policy_pins_the_file_and_its_declarations(desk, signer, store):
    reply = _prepare(signer, {**upload_request(uploader="someone.else@example.org")})
    assert reply["statusCode"] == 200, reply["body"]
    (upload,) = json.loads(reply["body"])["uploads"]
    assert re.fullmatch(r"incoming/Neighbourhood day/[0-9a-f]{12}/park\.jpg", upload["key"])
    assert upload["url"] == "https://pressroom-raw.s3.eu-west-2.amazonaws.com/"  # regional: no redirect to follow
    fields = upload["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, bootstrap.desk_uploads().settings.max_upload_bytes] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions and {"key": upload["key"]} in conditions
    assert {"x-amz-meta-uploader": STAFF} in conditions  # the signed-in visitor, not what the form said
    for key, value in {"category": "neighbourhood-initiative", "people": "none", "children": "no",
                       "title": "Park clean-up", "credit": "West Midlands Police"}.items():
        assert {f"x-amz-meta-{key}": value} in conditions and fields[f"x-amz-meta-{key}"] == value
    (event,) = [e for e in store.desk_events(clock.iso()[:7]) if e["event"] == "desk-upload-issued"]
    assert event["actor"] == STAFF and event["detail"]["key"] == upload["key"]


@pytest.mark.parametrize(("change", "says"), [
    ({"declared": {"people": "none", "children": "no"}}, "Answer: category"),
    ({"declared": {"category": "party", "people": "none", "children": "no"}}, "category=party is not accepted"),
    ({"declared": {"category": "other", "people": "none", "children": "no"}}, "category \u201cother\u201d"),
    ({"declared": {"category": "campaign", "people": "none", "children": "no", "publish-at": "tomorrow"}}, "publish-at"),
    ({"album": "a/b"}, "Name the album"),
    ({"files": []}, "at least one photo"),
    ({"files": [{"name": "notes.txt", "type": "text/plain", "size": 10, "title": "x"}]}, "not a photo"),
    ({"files": [{"name": "big.jpg", "type": "image/jpeg", "size": 10**10, "title": "x"}]}, "larger than"),
    ({"files": [{"name": "a.jpg", "type": "image/jpeg", "size": 10, "title": " "}]}, "Give a.jpg a title"),
])
def test_an_upload_request_that_cannot_be_used_is_refused_saying_why(desk, signer, store, change, says):
    reply = _prepare(signer, {**upload_request(), **change})
    assert reply["statusCode"] == 400 and says in json.loads(reply["body"])["error"]
    assert not [e for e in store.desk_events(clock.iso()[:7]) if e["event"] == "desk-upload-issued"]


def test_an_upload_without_its_csrf_token_or_from_another_site_is_refused(desk, signer, store):
    token = token_of(signer, "staff")
    assert request("POST", "/desk/upload/prepare", token, data=upload_request())["statusCode"] == 403
    assert _prepare(signer, upload_request(), **{"sec-fetch-site": "cross-site"})["statusCode"] == 403
    approver = token_of(signer, "approvers")  # a valid token of a visitor whose groups do not upload
    csrf = csrf_of(request("GET", "/desk", approver)["body"])
    assert request("POST", "/desk/upload/prepare", approver,
                   data={**upload_request(), "csrf": csrf})["statusCode"] == 403


# -- from upload to decision ----------------------------------------------------------------------
def test_an_uploaded_photo_is_followed_queued_for_its_approver_and_decided_through_the_approval_api(
        aws, desk, signer, store, load_event, corpus):
    upload = json.loads(_prepare(signer, upload_request())["body"])["uploads"][0]
    metadata = {k.removeprefix("x-amz-meta-"): v for k, v in upload["fields"].items() if k.startswith("x-amz-meta-")}
    # what S3 stores from the browser's POST (the file, its metadata), then the pipeline as Lambda runs it
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata=metadata, key=upload["key"])
    staff = token_of(signer, "staff")
    (state,) = json.loads(request("GET", "/desk/photos/states", staff)["body"])["photos"]
    assert (state["key"], state["id"], state["state"], state["label"]) == (
        upload["key"], pid, "NEEDS_APPROVAL", "Waiting for approval")
    assert "Park clean-up" in request("GET", "/desk/photos", staff)["body"]
    # nothing of the staff member's is shown to another: their photos are theirs
    assert json.loads(request("GET", "/desk/photos/states", signer.token("other@example.org", "O", ("staff",)))
                      ["body"])["photos"] == []

    one, lead = token_of(signer, "approvers"), token_of(signer, "safeguarding")
    queue = request("GET", "/desk/approvals", one)["body"]
    assert f"/desk/approvals/{pid}" in queue
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", lead)["body"]  # not asked (yet)
    assert request("GET", f"/desk/approvals/{pid}", lead)["statusCode"] == 404
    page = request("GET", f"/desk/approvals/{pid}", one)
    assert page["statusCode"] == 200 and "Approve this photo for Flickr?" in page["body"]
    assert f'action="{BASE}/review/{pid}"' in page["body"]  # decided by the approval API, as from the email
    assert "'unsafe-inline'" not in page["headers"]["Content-Security-Policy"]

    form = {name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"',
                                                      page["body"])}
    items, _ = bootstrap.request_approval().items(store.get(pid))
    answers = {f"q.{item.id}": item.question.safe for item in items if not item.declared}
    post = http_event("POST", f"/review/{pid}", {
        "host": "a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com", "origin": BASE, "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded"},
        urlencode({**form, **answers, "decision": "approve", "reason": ""}).encode(), "203.0.113.24")
    decided = invoke("approval_api", post)
    assert decided["statusCode"] == 200, decided["body"]
    photo = store.get(pid)
    assert photo.state == State.APPROVED and photo.decision["by"] == ONE
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", one)["body"]
    assert request("GET", f"/desk/approvals/{pid}", one)["statusCode"] == 404
    events = [(e["actor"], e["event"], e["detail"].get("photo_id")) for e in store.desk_events(clock.iso()[:7])
              if e["event"] == "desk-review-opened"]
    assert events == [(ONE, "desk-review-opened", pid)]


def test_an_uploader_never_finds_their_own_photo_in_their_queue(aws, desk, signer, store, load_event, corpus):
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata={**SAFE_METADATA, "uploader": TWO})
    two = signer.token(TWO, "Two", ("approvers", "staff"))
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", two)["body"]
    assert request("GET", f"/desk/approvals/{pid}", two)["statusCode"] == 404
    assert f"/desk/approvals/{pid}" in request("GET", "/desk/approvals", token_of(signer, "approvers"))["body"]


# -- the comment inbox and the reports (their use cases and pages: stages/inbox.py, stages/reports.py) --
def _comment(store, cid="c1"):
    from pressroom.domain.inbox import InboxItem

    store.create(Photo(id="p1", state=State.PUBLISHED, album="a", original_bucket="raw",
                       original_key="incoming/a/x.jpg", original_version="v1"), actor="staff")
    store.add_to_inbox(InboxItem(comment_id=cid, photo_id="p1", site_photo_id="s1", kind="question",
                                 text="When is the next open day?", author="u1@N00", author_name="Ann",
                                 arrived_at=clock.iso(), confidence=0.9))


def test_the_press_office_works_the_inbox_from_the_desk(desk, signer, store):
    _comment(store, "s1:c1")  # a local album's comment id: the form's action quotes its colon
    officer = token_of(signer, "press-office")
    page = request("GET", "/desk/comments?state=new", officer)
    assert page["statusCode"] == 200 and "When is the next open day?" in page["body"]
    revision = re.search(r'name="revision" value="(\d+)"', page["body"]).group(1)
    assigned = request("POST", "/desk/comments/s1%3Ac1/assign", officer, form={
        "csrf": csrf_of(page["body"]), "revision": revision, "state": "new",
        "assignee": PEOPLE["press-office"][0]})
    assert assigned["statusCode"] == 200, assigned["body"]
    assert store.inbox_item("s1:c1").assignee == PEOPLE["press-office"][0]
    refused = request("POST", "/desk/comments/s1%3Ac1/assign", officer, form={
        "revision": revision, "assignee": "x@example.org"})  # no CSRF token: a page saying so
    assert refused["statusCode"] == 403 and "security code" in refused["body"]
    assert refused["headers"]["Content-Type"].startswith("text/html")
    staff = token_of(signer, "staff")
    assert request("POST", "/desk/comments/s1%3Ac1/resolve", staff, form={
        "csrf": csrf_of(request("GET", "/desk", staff)["body"]), "revision": "2"})["statusCode"] == 403
    assert [(e["event"], e["actor"]) for e in store.audit("p1")][1:] == [("comment-assigned", PEOPLE["press-office"][0])]


def test_the_reports_page_and_csv_are_the_press_offices_and_an_export_is_audited(desk, signer, store):
    officer = token_of(signer, "press-office")
    month = clock.iso()[:7]
    page = request("GET", f"/desk/reports?month={month}", officer)
    assert page["statusCode"] == 200 and "Report:" in page["body"]
    csv = request("GET", f"/desk/reports.csv?month={month}", officer)
    assert csv["statusCode"] == 200 and csv["headers"]["Content-Type"].startswith("text/csv")
    assert f"pressroom-report-{month}.csv" in csv["headers"]["Content-Disposition"]
    assert request("GET", "/desk/reports?month=2999-01", officer)["statusCode"] == 400
    assert request("GET", "/desk/reports?month=junk", officer)["statusCode"] == 400
    exported = [(e["actor"], e["detail"]) for e in store.desk_events(month) if e["event"] == "desk-report-exported"]
    assert exported == [(PEOPLE["press-office"][0], {"month": month})]



def _decide_from_the_desk(signer, store, token, pid):
    """Open ``pid`` from the queue and approve it with every open question answered safely."""
    page = request("GET", f"/desk/approvals/{pid}", token)
    assert page["statusCode"] == 200, page["body"]
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page["body"]))
    items, _ = bootstrap.request_approval().items(store.get(pid))
    answers = {f"q.{item.id}": item.question.safe for item in items if not item.declared}
    post = http_event("POST", f"/review/{pid}", {
        "host": "a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com", "origin": BASE, "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded"},
        urlencode({**form, **answers, "decision": "approve", "reason": ""}).encode(), "203.0.113.24")
    return invoke("approval_api", post)


def test_a_photo_with_children_reaches_the_safeguarding_leads_queue_after_the_first_approval(
        aws, desk, signer, store, load_event, corpus):
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata={**SAFE_METADATA, "children": "yes", "parental-permission": "PP-1"})
    one, two, lead = token_of(signer, "approvers"), signer.token(TWO, "Two", ("approvers",)), \
        token_of(signer, "safeguarding")
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", lead)["body"]
    assert _decide_from_the_desk(signer, store, one, pid)["statusCode"] == 200
    assert store.get(pid).state == State.NEEDS_APPROVAL  # one more approval: the safeguarding lead's
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", one)["body"]  # approved it already
    assert f"/desk/approvals/{pid}" in request("GET", "/desk/approvals", lead)["body"]
    assert _decide_from_the_desk(signer, store, lead, pid)["statusCode"] == 200
    photo = store.get(pid)
    assert photo.state == State.APPROVED and [a["by"] for a in photo.approvals] == [ONE, LEAD]
    assert f"/desk/approvals/{pid}" not in request("GET", "/desk/approvals", two)["body"]
