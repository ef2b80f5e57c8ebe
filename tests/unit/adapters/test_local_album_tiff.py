"""The local album page shows every published photo a browser can show, and links the rest."""
from pressroom.adapters.local_album import render_index


def _sidecar(file):
    return {"id": "p1", "file": file, "title": "Drone survey", "album": "ops", "published_at": "2026-01-01T00:00:00Z"}


def test_a_tiff_is_linked_not_shown_as_a_broken_image():
    page = render_index([_sidecar("p1_abc.tif")])
    assert '<img src="photos/p1_abc.tif"' not in page
    assert '<a href="photos/p1_abc.tif">' in page and "TIFF" in page


def test_a_jpeg_is_shown():
    assert '<img src="photos/p1_abc.jpg"' in render_index([_sidecar("p1_abc.jpg")])
