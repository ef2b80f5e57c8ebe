"""benchmarks/comments.py measures what it says, on the part it is asked for."""
from __future__ import annotations

from benchmarks import comments as bench
from pressroom.guidance.comment_reading import combine
from pressroom.guidance.comment_rules import read_rules
from tests import comment_corpus as corpus


def test_the_figures_count_recall_precision_and_innocent_comments_acted_on():
    sample = [c for c in corpus.development() if c.family in ("off-symbols", "oth-praise", "crime-typos")]
    figures = bench.measure(sample, lambda text: combine(read_rules(text), None))
    kinds = {c.kind for c in sample}
    assert kinds == {"offensive", "other", "crime-report"}
    offensive = figures["per_kind"]["offensive"]
    assert offensive["n"] == sum(c.kind == "offensive" for c in sample) and offensive["recall"] == 1.0
    assert figures["per_kind"]["other"]["n"] == 4 and figures["innocent_acted_on"] == 0.0
    assert figures["per_kind"]["threat"]["n"] == 0 and figures["per_kind"]["threat"]["recall"] is None
    table = bench.table({"rules": figures})
    assert "offensive" in table and "innocent comments acted on (goal <= 2%)" in table


def test_the_benchmark_reads_the_evaluation_part_by_default(monkeypatch):
    seen = []
    monkeypatch.setattr(bench, "readers", lambda: {"rules": lambda text: (seen.append(text), combine(read_rules(text), None))[1]})
    assert bench.main([]) == 0
    assert set(seen) == {c.text for c in corpus.evaluation()}
