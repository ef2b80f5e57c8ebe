"""The desk's navigation, page groups and headers (pressroom.web.desk)."""
from pressroom.web.desk import NAV, DeskPage, Visitor, allowed, desk_html, groups_of, nav_for


def visitor(*groups: str) -> Visitor:
    return Visitor("sub-1", "ann@force.example", "Ann <b>", frozenset(groups))


def test_navigation_shows_only_the_pages_of_the_visitors_groups():
    assert [i.label for i in nav_for(visitor("staff"))] == ["Upload", "My photos"]
    assert [i.label for i in nav_for(visitor("approvers"))] == ["Approvals"]
    assert [i.label for i in nav_for(visitor("safeguarding"))] == ["Approvals", "Escalated comments"]
    assert [i.label for i in nav_for(visitor("press-office"))] == ["Comments", "Reports"]
    assert nav_for(visitor()) == [] and nav_for(None) == []


def test_a_page_under_a_nav_entry_needs_its_groups():
    assert groups_of("/desk/photos/states") == ("staff",)
    assert groups_of("/desk/approvals/p-1") == ("approvers", "safeguarding")
    assert groups_of("/desk/photosx") == ()
    assert not any(allowed(visitor(group), "/desk/photosx") for group in ("staff", "approvers", "press-office"))
    assert allowed(visitor(), "/desk") and allowed(visitor(), "/desk/desk.js")
    assert not allowed(visitor("staff"), "/desk/approvals/p-1")
    assert allowed(visitor("safeguarding"), "/desk/approvals")
    assert all(not allowed(visitor(), item.path) for item in NAV)


def test_the_base_template_escapes_and_marks_the_current_page():
    html = desk_html("notice.html", title="<i>Upload</i>", visitor=visitor("staff"), here="/desk/upload",
                     csrf="tok", link=None)
    assert "Ann &lt;b&gt;" in html and "&lt;i&gt;Upload&lt;/i&gt;" in html
    assert '<a href="/desk/upload" aria-current="page">Upload</a>' in html
    assert 'name="csrf" value="tok"' in html and "/desk/approvals" not in html


def test_desk_pages_run_only_their_own_script_and_reach_only_the_named_origins():
    csp = DeskPage(200, "", connect=("https://raw.example",)).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self' https://raw.example" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
