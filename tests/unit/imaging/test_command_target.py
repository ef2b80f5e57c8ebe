"""``pressroom scrub DIR OUT`` where OUT cannot be a folder: a plain message, not a traceback."""
from pressroom_local.scrub import main
from tests.unit.imaging.test_command import photo


def test_a_folder_scrubbed_into_an_existing_file_is_refused_in_words(tmp_path, capsys):
    photo(tmp_path / "in" / "a.jpg")
    (tmp_path / "out").write_text("not a folder")
    assert main([str(tmp_path / "in"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "out" in err and "cannot write" in err and "folder" in err
    assert (tmp_path / "out").read_text() == "not a folder"
