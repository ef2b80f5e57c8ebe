"""The benchmark reads the corpus from where the tests and the README say it is, on any machine."""
from benchmarks import scrub
from tests.conftest import ROOT


def test_the_benchmark_corpus_is_the_shared_one_beside_the_checkout(monkeypatch):
    monkeypatch.delenv("PRESSROOM_CORPUS", raising=False)
    assert scrub.default_corpus() == ROOT.parent / "shared" / "corpus" / "images"
    monkeypatch.setenv("PRESSROOM_CORPUS", "/elsewhere/images")
    assert str(scrub.default_corpus()) == "/elsewhere/images"
