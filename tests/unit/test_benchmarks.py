"""The benchmark reads the corpus from where the tests and the README say it is, on any machine."""
from benchmarks import scrub
from tests.conftest import ROOT


def test_the_benchmark_corpus_is_the_shared_one_beside_the_checkout(monkeypatch):
    monkeypatch.delenv("PRESSROOM_CORPUS", raising=False)
    assert scrub.default_corpus() == ROOT.parent / "shared" / "corpus" / "images"
    monkeypatch.setenv("PRESSROOM_CORPUS", "/elsewhere/images")
    assert str(scrub.default_corpus()) == "/elsewhere/images"


def test_the_captions_benchmark_counts_blocks_and_flags_per_guidance_line():
    from benchmarks import captions

    line = "Add images of juveniles."
    run = {"results": [
        {"label": "dont-juveniles", "guidance": line, "raised": [("block", line)]},
        {"label": "dont-juveniles", "guidance": line, "raised": [("warn", "Breach copyright")]},
        {"label": "ok", "guidance": "", "raised": [("warn", line)]},
        {"label": "ok", "guidance": "", "raised": []},
    ]}
    summary = captions.summarise(run)
    assert summary["overall"] == {"breaches blocked": (1, 2), "breaches flagged": (2, 2),
                                  "harmless blocked": (0, 2), "harmless flagged": (1, 2)}
    assert summary["lines"]["dont-juveniles"] == {"block recall": (1, 2), "block precision": (1, 1),
                                                  "flag recall": (1, 2), "flag precision": (1, 2)}


def test_the_vision_benchmark_reads_the_labelled_set_beside_the_checkout(monkeypatch, tmp_path):
    from benchmarks import vision

    monkeypatch.delenv("PRESSROOM_VISION", raising=False)
    assert vision.default_vision() == ROOT.parent / "shared" / "vision"
    monkeypatch.setenv("PRESSROOM_VISION", "/elsewhere/vision")
    assert str(vision.default_vision()) == "/elsewhere/vision"


def test_the_vision_benchmark_scores_counts_and_targets():
    from benchmarks import vision

    items = [
        {"name": "a", "set": "labelled", "faces": 2, "child": False, "targets": [["AB12 CDE", "plate"]], "text": "yes"},
        {"name": "b", "set": "drawn", "faces": 0, "child": False, "targets": [], "text": "no"},
    ]
    results = [{"faces": 3, "lines": ["AB12 CDE"], "seconds": 1.0}, {"faces": 1, "lines": ["X"], "seconds": 0.5}]
    report = vision.score(items, results, "pressroom")
    assert report["faces_all"]["recall"] == 1.0 and report["faces_all"]["precision"] == 0.5
    assert report["faces_all"]["false_alarm_photos"] == ["b"]
    assert report["text_all"]["read"] == {"plate": "1/1"} and report["text_all"]["spurious_lines"].startswith("1 lines in 1")
    assert report["text_labelled"]["read"] == {"plate": "1/1"} and report["text_drawn"]["read"] == {}
