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
