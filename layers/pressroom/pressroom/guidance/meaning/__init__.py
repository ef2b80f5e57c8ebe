"""A judge of meaning: which guidance line (or, for comments, which kind) a text falls under.

Sentence meaning from all-MiniLM-L6-v2 run in numpy (``encoder``; the weights are built from the
registry package by ``export``), a small classifier per judge trained on a labelled corpus
(``train``, ``make train-captions``), calibrated, and explained by the labelled examples a text
resembles (``judge``). Generic over labels: ``captions.toml`` names the caption judge's guidance
lines; another configuration and corpus make another judge.
"""
from __future__ import annotations

from pressroom.guidance.meaning.config import JudgeConfig, Label, load_config
from pressroom.guidance.meaning.judge import Judge, Resemblance, Verdict

__all__ = ["Judge", "JudgeConfig", "Label", "Resemblance", "Verdict", "load_config"]
