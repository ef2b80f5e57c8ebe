"""The review page and result pages: escaped, strict headers, the form contract, the audit lines."""
import base64
import hashlib
import re
from html.parser import HTMLParser

from pressroom.domain.photos import Photo, State
from pressroom.guidance.checklist import Problem, checklist
from pressroom.guidance.rules import load_rulebook
from pressroom.settings import Settings
from pressroom.stages.publish import publication_of
from pressroom.web.audit import format_audit
from pressroom.web.forms import Caption
from pressroom.web.pages import (
    CSS,
    BlurView,
    Page,
    Review,
    notice_page,
    review_page,
)

EVIL = '<script>alert("x")</script>'


def _photo(**captions):
    return Photo(id="3f1c2a9b7d4e5f60718293a4", state=State.NEEDS_APPROVAL, album=f"Album {EVIL}",
                 original_bucket="raw", original_key="incoming/a/b.jpg", original_version="v1",
                 uploader=f"pc{EVIL}@example", content_type="image/jpeg", width=640, height=480,
                 captions={"title": f"Title {EVIL}", "description": f"Desc {EVIL}", "tags": [EVIL, "ok"], **captions},
                 findings=[{"rule": f"rule{EVIL}", "severity": "warn", "message": f"msg {EVIL}",
                            "evidence": [EVIL, "b"], "guidance": f"guide {EVIL}"},
                           {"rule": "dont-evidence-possible", "severity": "warn", "message": f"seized {EVIL}",
                            "evidence": EVIL, "guidance": "g"}],
                 declared={"children": "no", "credit": EVIL})


def _render(**kwargs):
    photo = _photo()
    items, others = checklist(load_rulebook().questions, photo.declared, photo.findings)
    args = dict(photo=photo, public=publication_of(photo, Settings()), items=items, others=others,
                approver="a@press-office.example", action_url="https://x.example/review/3f1c2a9b7d4e5f60718293a4",
                token="TOKEN", csrf="CSRF", preview_url='https://s3.example/clean/p.jpg?a=1&b="2"',
                expires="2026-11-27 10:00 UTC", audit_lines=[f"2026 · scrub · {EVIL}"],
                caption=Caption(photo.title, photo.description, tuple(photo.tags)), shown="SHOWN")
    args.update(kwargs)
    return review_page(Review(**args))


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def test_every_field_is_escaped():
    html = _render(error=EVIL, reason=EVIL, notes={"publicity": EVIL}, progress=EVIL)
    tags = [tag for tag, _ in _elements(html)]
    assert "script" not in tags
    # title (twice), description (and edit field), tags (and edit field), credit, album, uploader, findings
    # (message and evidence, twice), the error, the reason, the note, the progress line, the history
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 18
    assert 'src="https://s3.example/clean/p.jpg?a=1&amp;b=&#34;2&#34;"' in html


def test_form_contract():
    elements = _elements(_render(answers={"purpose": "yes", "media": "no"}, checked="CHECKED"))
    form = next(a for t, a in elements if t == "form")
    assert form == {"id": "decide", "method": "post", "action": "https://x.example/review/3f1c2a9b7d4e5f60718293a4"}
    inputs = [a for t, a in elements if t == "input"]
    for name, value in (("t", "TOKEN"), ("csrf", "CSRF"), ("shown", "SHOWN"), ("checked", "CHECKED")):
        assert {"type": "hidden", "name": name, "value": value} in inputs
    radios = [a for a in inputs if a["type"] == "radio"]
    groups = list(dict.fromkeys(r["name"] for r in radios))
    declared = {"children", "parental-permission", "school"}  # answered by children=no: shown, not asked
    assert groups == [f"q.{q.id}" for q in load_rulebook().questions if q.id not in declared]
    assert all(sum("required" in r for r in radios if r["name"] == g) == 1 for g in groups)
    assert {r["value"] for r in radios} == {"yes", "no", "na"} and not [a for a in inputs if a["type"] == "checkbox"]
    assert all(r["value"] == "yes" for r in radios if "data-safe" in r)
    assert [(r["name"], r["value"]) for r in radios if "checked" in r] == [("q.purpose", "yes"), ("q.media", "no")]
    assert [a["name"] for t, a in elements if t == "textarea"] == ["description", "note.kind", "note.publicity",
                                                                   "reason"]
    assert [a["name"] for a in inputs if a["type"] == "text"] == ["title", "tags"]
    buttons = [a for t, a in elements if t == "button"]
    assert [(b["id"], b["name"], b["value"]) for b in buttons] == [("check", "decision", "check"),
                                                                  ("approve", "decision", "approve"),
                                                                  ("reject", "decision", "reject")]
    assert "formnovalidate" in buttons[0] and "formnovalidate" in buttons[2]
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in elements)


def test_findings_are_shown_once_each_with_their_question():
    html = _render()
    assert html.count("seized &lt;script&gt;") == 1
    evidence = html[html.index('id="q-evidence"'):]
    assert evidence.index("seized &lt;script&gt;") < evidence.index("</fieldset>")  # inside its question
    assert html.count("msg &lt;script&gt;") == 1 and "Other points the checks raised" in html


def test_declared_answers_are_shown_as_answered_not_asked():
    html = _render()
    declared = html[html.index('id="declared"'):html.index("</section>", html.index('id="declared"'))]
    assert "Is the photo free of children (anyone under 18)? <strong>Yes</strong>" in declared
    assert "declared children=no" in declared and 'name="q.children"' not in html


def test_a_refused_answer_is_marked_and_focused_and_the_answers_kept():
    problem = Problem("evidence", "refused", "The guidance says no.")
    html = _render(problems=[problem], error="1 answer stops this approval", focus="q-evidence",
                   answers={"evidence": "no", "purpose": "yes"})
    assert '<fieldset class="q problem" id="q-evidence">' in html
    assert '<p class="why" id="why-evidence">The guidance says no.</p>' in html
    assert re.search(r'name="q\.evidence" value="yes" required data-safe="1" autofocus', html)
    assert re.search(r'name="q\.evidence" value="no" checked aria-describedby="why-evidence"', html)
    assert 'role="alert"' in html


def test_what_will_be_published_comes_first_with_every_line_the_site_shows():
    html = _render()
    public = html[html.index('id="published"'):html.index("</section>")]
    assert html.index('id="published"') < html.index('id="questions"') < html.index('id="approve"')
    for shown in ("Title &lt;script&gt;", "Desc &lt;script&gt;", "Photo: &lt;script&gt;", "0345 113 5000",
                  "https://www.west-midlands.police.uk", "All Rights Reserved", "Album &lt;script&gt;", "Public"):
        assert shown in public, shown


def test_headers_allow_only_the_inline_style_and_the_bucket_images():
    headers = Page(200, "", img_origin="https://pressroom-clean.s3.eu-west-2.amazonaws.com").headers
    csp = headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "img-src https://pressroom-clean.s3.eu-west-2.amazonaws.com;" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"<style>(.*?)</style>", _render(), re.S).group(1) == CSS
    assert re.search(r"<style>(.*?)</style>", notice_page("t", "m"), re.S).group(1) == CSS
    assert "img-src 'none'" in Page(403, "").headers["Content-Security-Policy"]


def test_notice_page_escapes_and_shows_history():
    html = notice_page(EVIL, EVIL, photo=_photo(), audit_lines=[EVIL])
    assert "script" not in [t for t, _ in _elements(html)]
    assert 'id="history"' in html and "<form" not in html


def test_format_audit():
    events = [
        {"at": "2026-11-20T09:00:00.000Z", "event": "created", "actor": "pc@x", "to": "RECEIVED", "detail": {}},
        {"at": "2026-11-20T09:00:01.000Z", "event": "RECEIVED→SCRUBBED", "actor": "scrub", "from": "RECEIVED",
         "to": "SCRUBBED", "detail": {"removed": ["GPS", "Serial"], "nested": {"x": 1}}},
        {"at": "2026-11-20T09:05:00.000Z", "event": "approval-requested", "actor": "request_approval",
         "detail": {"approver": "a@x", "empty": ""}},
        {"at": "2026-11-20T10:00:00.000Z", "event": "x", "actor": "a", "detail": {"why": "w" * 500}},
    ]
    lines = format_audit(events)
    assert lines[:3] == [
        "2026-11-20 09:00 UTC · pc@x · created: RECEIVED",
        "2026-11-20 09:00 UTC · scrub · RECEIVED → SCRUBBED (removed: GPS, Serial)",
        "2026-11-20 09:05 UTC · request_approval · approval-requested (approver: a@x)",
    ]
    assert len(lines[3]) < 220 and lines[3].endswith("…)")


def test_a_preview_with_boxes_says_what_they_mean_and_that_they_are_not_published():
    plain = _render()
    boxed = _render(boxes_shown=True, preview_url="data:image/jpeg;base64,AAAA")
    assert "Boxes show what image analysis found" not in plain
    assert "Boxes show what image analysis found, and are not part of the photo" in boxed
    assert all(word in boxed for word in ("amber</span> faces", "red</span> text that is a finding", "blue</span> other text"))


def test_what_the_checks_could_not_judge_is_said_beside_the_questions_not_asked_as_one():
    html = _render(unjudged=[f"Image analysis does not judge ages {EVIL}"])
    note = html[html.index('class="unjudged"'):]
    assert "Image analysis does not judge ages &lt;script&gt;" in note
    assert note.index("does not judge") < note.index('id="q-')  # before the questions, not among them


def _blur_fieldset(html):
    start = html.index('<fieldset class="blur"')
    return html[start:html.index("</fieldset>", start)]


def test_the_blur_fieldset_offers_each_kind_found_ticked_means_blurred_and_says_it_is_re_encoded():
    html = _render(blur=BlurView(offered={"faces": 2, "text": 3}))
    fieldset = _blur_fieldset(html)
    assert "<legend>Blur before publishing</legend>" in fieldset
    assert "Tick what to hide" in fieldset and "re-encoded as a JPEG" in fieldset and "kept unchanged" in fieldset
    assert "Blur the faces <span class=\"muted\">(2 found; no release form declared)</span>" in fieldset
    assert "Blur all readable text <span class=\"muted\">(3 lines, number plates included)</span>" in fieldset
    assert "number plates</span>" not in fieldset and "Blur the number plates" not in fieldset
    boxes = [a for t, a in _elements(fieldset) if t == "input"]
    assert [(b["type"], b["name"], b["value"]) for b in boxes] == [("checkbox", "blur", "faces"),
                                                                   ("checkbox", "blur", "text")]
    assert not any("checked" in b for b in boxes)
    [button] = [a for t, a in _elements(fieldset) if t == "button"]
    assert (button["id"], button["name"], button["value"]) == ("show-blurred", "decision", "blur")
    assert "formnovalidate" in button
    assert html.index('id="published"') < html.index('id="blur"') < html.index('id="questions"')
    assert {"type": "hidden", "name": "blurred", "value": ""} in [a for t, a in _elements(html) if t == "input"]


def test_the_blurred_copy_shown_is_said_to_be_what_will_be_published_and_carried_by_the_form():
    html = _render(blur=BlurView(offered={"faces": 1, "plates": 1}, chosen=("faces", "plates"), seen="faces,plates:ab"),
                   preview_url="data:image/jpeg;base64,AAAA")
    assert "Blurred copy: faces and number plates blurred. This copy, re-encoded as a JPEG, is what will be published." in html
    assert 'alt="The blurred copy as it will be published' in html
    inputs = [a for t, a in _elements(html) if t == "input"]
    assert {"type": "hidden", "name": "blurred", "value": "faces,plates:ab"} in inputs
    assert [b["value"] for b in inputs if b.get("name") == "blur" and "checked" in b] == ["faces", "plates"]
    assert "Blur the number plates <span class=\"muted\">(1 found)</span>" in html


def test_what_an_earlier_approver_asked_to_blur_stays_ticked_and_cannot_be_unticked():
    who = f"a{EVIL}@x"
    html = _render(blur=BlurView(offered={"faces": 1, "text": 1}, chosen=("faces",), before={"faces": who},
                                 seen="faces:ab"))
    faces = next(a for t, a in _elements(html) if t == "input" and a.get("value") == "faces")
    assert "checked" in faces and "disabled" in faces
    assert "(asked by a&lt;script&gt;" in html and "stays blurred)" in html
    text = next(a for t, a in _elements(html) if t == "input" and a.get("value") == "text")
    assert "disabled" not in text and "checked" not in text


def test_no_blur_fieldset_when_nothing_was_found_and_a_note_when_the_photo_is_too_large_to_blur():
    assert 'id="blur"' not in _render() and 'name="blur"' not in _render()
    html = _render(blur=BlurView(too_large=True))
    assert 'name="blur"' not in html and "too large to blur here (more than 24,000,000 pixels)" in html
