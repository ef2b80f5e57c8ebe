"""The judge of meaning: encoder, classifier, training reproducibility and verdicts."""
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from pressroom.guidance.meaning import Judge, corpus, load_config
from pressroom.guidance.meaning.classifier import fit_platt, fit_softmax, knn_probabilities, platt, softmax
from pressroom.guidance.meaning.config import parse
from pressroom.guidance.meaning.encoder import MODELS, WEIGHTS, Encoder, _gelu, dequantised
from pressroom.guidance.meaning.export import export, quantised
from pressroom.guidance.meaning.train import development_examples, save, thresholds, train

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "captions"


@pytest.fixture(scope="module")
def encoder():
    return Encoder.load()


@pytest.fixture(scope="module")
def judge(encoder):
    return Judge.load(encoder=encoder)


def test_encoder_matches_the_float32_model(encoder):
    reference = json.loads((DATA / "reference_embeddings.json").read_text())
    ours = encoder.encode_all(reference["texts"])
    cosines = np.sum(ours * np.array(reference["embeddings"]), axis=1)
    assert cosines.min() > 0.998
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


def test_encoder_reads_word_pieces_and_truncates(encoder):
    assert encoder.tokens("Juvenile swans")[0] == "[CLS]" and encoder.tokens("Juvenile swans")[-1] == "[SEP]"
    assert len(encoder.tokens("word " * 1000)) == 256
    assert encoder.encode("word " * 1000).shape == (384,)


def test_gelu_is_the_exact_one():
    for value in (-3.0, -0.5, 0.0, 0.7, 2.5):
        exact = 0.5 * value * (1 + math.erf(value / math.sqrt(2)))
        assert abs(float(_gelu(np.array([value]))[0]) - exact) < 1e-6


def test_quantisation_is_per_row_int8_and_repeats_exactly():
    rng = np.random.default_rng(1)
    weights = {"layer.dense.weight": rng.normal(size=(8, 16)).astype(np.float32),
               "layer.dense.bias": rng.normal(size=8).astype(np.float32),
               "embeddings.position_ids": np.arange(4)[None]}
    first, second = quantised(weights), quantised(weights)
    assert first["layer.dense.weight"].dtype == np.int8 and first["layer.dense.bias"].dtype == np.float32
    assert "embeddings.position_ids" not in first
    assert all(np.array_equal(first[k], second[k]) for k in first)
    back = dequantised(first, "layer.dense.weight")
    assert np.abs(back - weights["layer.dense.weight"]).max() <= np.abs(weights["layer.dense.weight"]).max() / 254 + 1e-6


def test_export_writes_the_same_bytes_twice(tmp_path):
    source = tmp_path / "model"
    source.mkdir()
    rng = np.random.default_rng(2)
    save_file({"a.weight": rng.normal(size=(4, 4)).astype(np.float32), "a.LayerNorm.bias": np.zeros(4, np.float32)},
              str(source / "model.safetensors"))
    (source / "tokenizer.json").write_text((MODELS / "tokenizer.json").read_text())
    one = export(tmp_path / "one", source).read_bytes()
    two = export(tmp_path / "two", source).read_bytes()
    assert one == two


def test_the_shipped_encoder_is_a_fixed_point_of_its_quantisation():
    """Re-quantising the dequantised weights gives the committed bytes' tensors back."""
    tensors = load_file(str(MODELS / WEIGHTS))
    for name in ("encoder.layer.0.attention.self.query.weight", "embeddings.word_embeddings.weight"):
        again = quantised({name: dequantised(tensors, name)})
        assert np.array_equal(again[name], tensors[name])


def test_softmax_regression_learns_a_separable_problem():
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(-2, 0.5, size=(30, 3)), rng.normal(2, 0.5, size=(30, 3))])
    y = np.array([0] * 30 + [1] * 30)
    weights, bias = fit_softmax(x, y, 2)
    assert (softmax(x @ weights.T + bias).argmax(axis=1) == y).all()
    knn = knn_probabilities(x / np.linalg.norm(x, axis=1, keepdims=True), x / np.linalg.norm(x, axis=1, keepdims=True), y, 2, 5, exclude_self=True)
    assert (knn.argmax(axis=1) == y).mean() > 0.9


def test_platt_scaling_calibrates_overconfident_scores():
    rng = np.random.default_rng(4)
    truth = rng.random(2000) < 0.5
    score = np.where(truth, 0.99, 0.6)  # 0.6 is said of negatives only, 0.99 of positives only
    a, b = fit_platt(score, truth.astype(int))
    assert platt(0.99, a, b) > 0.95 and platt(0.6, a, b) < 0.05


def test_thresholds_meet_the_configured_goals():
    config = load_config()
    rng = np.random.default_rng(5)
    calibrated = np.concatenate([rng.random(200) * 0.6, 0.3 + rng.random(300) * 0.7])
    breach = np.array([0] * 200 + [1] * 300)
    block, warn = thresholds(calibrated, breach, config)
    assert np.mean(calibrated[breach == 0] >= block) <= config.calibration.block_harmless_rate
    assert np.mean(calibrated[breach == 1] >= warn) >= config.calibration.warn_breach_recall
    assert warn <= block


def test_configuration_errors_are_named():
    with pytest.raises(ValueError, match="version"):
        parse('version = 2\nneutral = "ok"')
    with pytest.raises(ValueError, match="id and a question"):
        parse('version = 1\nneutral = "ok"\n[[label]]\nid = "x"')
    with pytest.raises(ValueError, match="unique"):
        parse('version = 1\nneutral = "x"\n[[label]]\nid = "x"\nquestion = "?"')
    with pytest.raises(ValueError, match="unknown keys"):
        parse('version = 1\nneutral = "ok"\n[[label]]\nid = "x"\nquestion = "?"\nseverity = "block"')


@pytest.mark.timeout(900)  # a whole training run: minutes on a busy 2-core machine
def test_training_is_reproducible_and_is_the_committed_artefact(tmp_path, encoder):
    """`make train-captions` on the committed corpus gives the committed artefact, byte for byte."""
    config = load_config()
    examples = development_examples([DATA / "captions.jsonl"])
    first, second = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    save(*train(examples, config, encoder), first)
    save(*train(examples, config, encoder), second)
    assert first.read_bytes() == second.read_bytes()
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256((MODELS / "captions.safetensors").read_bytes()).hexdigest()


def test_training_reads_no_evaluation_example(judge):
    _, evaluation = corpus.split(corpus.load(DATA / "captions.jsonl"))
    assert not {e.id for e in evaluation} & set(judge.metadata["example_ids"])


def test_training_refuses_labels_the_configuration_lacks(encoder):
    with pytest.raises(ValueError, match="dont-smoke"):
        train([corpus.Example("a", "text", "dont-smoke")], load_config(), encoder)


def test_a_paraphrased_missing_person_appeal_is_blocked_and_explained(judge):
    verdicts = judge.assess("Doreen hasn't been back to her flat in Wednesbury since Monday and her son is frantic.",
                            title="Please share")
    assert verdicts and verdicts[0].label == "dont-sentenced-or-missing-people"
    top = verdicts[0]
    assert top.severity == "block" and top.confidence >= judge.block_threshold
    assert top.question.endswith("?") and top.guidance.startswith("Add images of people sentenced")
    assert top.examples and all(example.label == top.label for example in top.examples)
    assert "reads like" in top.why() and top.examples[0].text[:20] in top.why()


@pytest.mark.parametrize("text", [
    "Volunteers wanted for Community Speedwatch in Aldridge: training next Tuesday.",
    "Juvenile blackbirds nesting in the hanging baskets at Bloxwich station.",
    "Evidence shows that marking your bike makes it less likely to be stolen.",
])
def test_ordinary_uses_of_crime_words_are_not_blocked(judge, text):
    assert all(verdict.severity != "block" for verdict in judge.assess(text))


def test_warnings_ask_the_labels_question(judge):
    config = load_config()
    for verdict in judge.assess("We'll be at the Saltley Gate car park on Friday morning with the plate readers, "
                                "and our unmarked van will be parked by the exit."):
        assert verdict.question == config.label(verdict.label).question
        assert 0 <= verdict.confidence <= 1


def test_an_artefact_for_other_labels_is_refused(tmp_path, encoder):
    config = tmp_path / "other.toml"
    config.write_text('version = 1\nname = "other"\nneutral = "ok"\n[[label]]\nid = "x"\nquestion = "?"\n')
    with pytest.raises(ValueError, match="retrain"):
        Judge.load(MODELS / "captions.safetensors", config=config, encoder=encoder)


def test_a_judge_for_other_labels_trains_from_the_same_engine(tmp_path, encoder):
    """Generic over labels: a comments-style judge with its own kinds and neutral label."""
    config = tmp_path / "kinds.toml"
    config.write_text('version = 1\nname = "kinds"\nneutral = "other"\n[calibration]\nfolds = 2\n'
                      '[[label]]\nid = "question"\nquestion = "Does it need an answer?"\n'
                      '[[label]]\nid = "praise"\nquestion = "Thank them?"\n')
    texts = {"question": ["What time does the station open?", "How do I get my bike marked?", "Where is the meeting?",
                          "Can I bring my dog to the open day?"],
             "praise": ["Brilliant work, thank you officers!", "Well done to the whole team", "Great job, proud of you all",
                        "Thanks so much for your help"],
             "other": ["Nice photo", "Sunny today", "Saw this yesterday", "First!"]}
    examples = [corpus.Example(f"{k}{i}", t, k, group=f"{k}{i}") for k, items in texts.items() for i, t in enumerate(items)]
    path = tmp_path / "kinds.safetensors"
    save(*train(examples, load_config(config), encoder), path)
    kinds = Judge.load(path, config=config, encoder=encoder)
    assert kinds.config.classes == ("other", "question", "praise")
    verdicts = kinds.assess("When does the police station open tomorrow?")
    assert verdicts and verdicts[0].label == "question"


def test_the_judge_runs_without_torch_and_its_artefacts_are_small():
    """What the layer ships: numpy, tokenizers and safetensors at run time, artefacts under 30 MB."""
    import subprocess
    import sys

    code = ("import sys; from pressroom.guidance.meaning import Judge; "
            "j = Judge.load(); j.assess('Have you seen Doreen? She left home on Monday.'); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'onnxruntime', 'tokenizers', 'huggingface_hub') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
    assert sum(path.stat().st_size for path in MODELS.iterdir()) < 30 * 2**20


AWKWARD = ["Café naïve résumé Ångström", "emoji 🚓👮\u200d♀️ here", "中文字符 test", "tab\there\nnew\rline",
           "zero\u200bwidth soft\u00adhyphen", "[MASK] and [CLS] inside", "a" * 150, "x" * 2000,
           "£43,000 in cash — 'quoted' “curly” ‘apos’", "ǅ Ǉ ß ẞ İ", "", "   ", "don't O'Neill",
           "B73 6AB 07700 900123 www.example.co.uk/foo?a=1", "\x00null\ufffdrepl", "Ｆｕｌｌｗｉｄｔｈ", "العربية हिन्दी ไทย"]


def test_our_wordpiece_tokenizer_matches_the_tokenizers_package(encoder):
    """The layer's own tokenizer gives the very tokens Hugging Face's does (dev dependency only)."""
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(MODELS / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(256)
    texts = [e.full_text for e in corpus.load(DATA / "captions.jsonl")] + AWKWARD
    for text in texts:
        assert encoder.tokens(text) == reference.encode(text).tokens, text
