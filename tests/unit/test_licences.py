"""Every locked dependency carries a licence on the allow-list in licences.toml; the notices are current."""
from __future__ import annotations

from pressroom_local import notices


def test_every_locked_dependency_has_an_allowed_licence():
    assert notices.refused() == []


def test_an_agpl_or_non_commercial_licence_is_refused():
    allow = {"MIT", "Apache-2.0", "BSD-3-Clause"}
    assert not notices.allowed("AGPL-3.0-only", allow)
    assert not notices.allowed("CC-BY-NC-4.0", allow)
    assert not notices.allowed("MIT AND AGPL-3.0-or-later", allow)
    assert notices.allowed("Apache-2.0 OR AGPL-3.0-only", allow)
    assert notices.allowed("(MIT AND BSD-3-Clause)", allow)


def test_a_package_outside_the_allow_list_is_reported(tmp_path, monkeypatch):
    lock = tmp_path / "lock.txt"
    lock.write_text("pillow==13.0.0 \\\n    --hash=sha256:00\nhypothesis==6.170.27\n")
    rules = tmp_path / "licences.toml"
    rules.write_text('allowed = ["MIT-CMU"]\n[aliases]\n[packages]\n')
    monkeypatch.setattr(notices, "LICENCES", rules)
    problems = notices.refused((lock,))
    assert len(problems) == 1 and problems[0].startswith("hypothesis 6.170.27") and "MPL-2.0" in problems[0]


def test_a_new_version_of_a_package_read_by_hand_must_be_read_again(tmp_path, monkeypatch):
    lock = tmp_path / "lock.txt"
    lock.write_text("pillow-heif==1.9.0\n")
    rules = tmp_path / "licences.toml"
    rules.write_text('allowed = []\n[packages.pillow-heif]\nversion = "1.8.0"\nlicence = "BSD-3-Clause"\nreviewed = "x"\n')
    monkeypatch.setattr(notices, "LICENCES", rules)
    assert "update its entry" in notices.refused((lock,))[0]


def test_the_notices_file_matches_the_layer_lock():
    assert notices.NOTICES.read_text() == notices.render(), "run make notices"
    shipped = notices.locked(notices.LAYER_LOCK)
    assert shipped and all(f"| {name} | {version} |" in notices.render() for name, version in shipped.items())
