"""``pressroom upload`` refuses what the pipeline could not use, before anything is uploaded: exit 2
and one line naming what is accepted."""
import pytest

from pressroom.guidance.declared import KEYS
from pressroom_local.cli import main
from tests.corpus import oversized

PHOTO = "DSCN0010_gps_nikon_coolpix_p6000.jpg"


@pytest.fixture
def photo(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no running local stack here: a refusal must come before any upload
    path = tmp_path / "park.jpg"
    path.write_bytes((corpus / PHOTO).read_bytes())
    return path


@pytest.mark.parametrize(("args", "reason"), [
    (["--declare", "colour=blue"], f'unknown declaration "colour" (the keys are {", ".join(KEYS)})'),
    (["--declare", "people=maybe"], "people=maybe is not accepted (people is none, identifiable or not-identifiable)"),
    (["--declare", "children=perhaps"], "children=perhaps is not accepted (children is yes or no)"),
    (["--declare", "category=blue"], "category=blue is not accepted (category is neighbourhood-initiative, "
                                     "force-photographer-pr, campaign or other)"),
    (["--uploader", "not-an-email"], "uploader 'not-an-email' is not a plain email address "
                                     "(such as name@west-midlands.police.uk)"),
    (["--declare", "Uploader=pc jones@example.org"], "uploader 'pc jones@example.org' is not a plain email address"),
    (["--declare", "category"], "--declare 'category' is not KEY=VALUE"),
])
def test_a_declaration_the_pipeline_cannot_use_is_refused_in_one_line(photo, capsys, args, reason):
    assert main(["upload", str(photo), "--album", "neighbourhood-day", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and reason in err and err.count("\n") == 1


def test_a_photo_over_the_pixel_limit_is_refused_with_the_size_to_resize_to(photo, capsys, corpus):
    photo.write_bytes(oversized((corpus / PHOTO).read_bytes(), 12000, 9000))
    assert main(["upload", str(photo), "--album", "neighbourhood-day", "--uploader", "pc@example.org"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "12,000 x 9,000 pixels (108 megapixels)" in err and "at most 100 megapixels" in err
    assert "Resize it to 11,547 x 8,660 pixels or smaller" in err
