"""BERT's uncased WordPiece tokenizer, as all-MiniLM-L6-v2's ``tokenizer.json`` describes it.

Written here rather than taken from the ``tokenizers`` package because that package requires
``huggingface-hub`` (a network client, with httpx, fsspec, hf-xet and more) which has no place in
a Lambda layer that must never download anything. The steps are those of the tokenizer file:
BertNormalizer (drop control characters, whitespace to spaces, spaces around CJK characters,
lower case, accents stripped), BertPreTokenizer (split on whitespace and on every punctuation
character), WordPiece (greedy longest match, ``##`` continuations, ``[UNK]`` for a word it cannot
spell or longer than 100 characters), then ``[CLS] … [SEP]``. The special tokens (``[CLS]``,
``[MASK]``…) written in a text are read as themselves. Tested token for token against
``tokenizers`` over the caption corpus and awkward text (tests/unit/guidance/test_meaning_judge.py).
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def _normalise(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD:
            continue
        if char in "\t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif unicodedata.category(char).startswith("C"):
            continue
        elif _is_cjk(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    lowered = "".join(out).lower()
    return "".join(char for char in unicodedata.normalize("NFD", lowered) if unicodedata.category(char) != "Mn")


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in text.split():
        current = ""
        for char in chunk:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                    current = ""
                words.append(char)
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """Text → word-piece ids and tokens, with [CLS] and [SEP], at most ``max_tokens`` in all."""

    def __init__(self, vocab: dict[str, int], specials: list[str], max_tokens: int,
                 unknown: str = "[UNK]", prefix: str = "##", max_word: int = 100) -> None:
        self.vocab = vocab
        self.tokens_of = {index: token for token, index in vocab.items()}
        self.max_tokens, self.unknown, self.prefix, self.max_word = max_tokens, unknown, prefix, max_word
        self._specials = re.compile("(" + "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True)) + ")") if specials else None

    @classmethod
    def from_file(cls, path: Path, max_tokens: int) -> WordPiece:
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "WordPiece":
            raise ValueError(f"{path}: not a WordPiece tokenizer")
        specials = [token["content"] for token in spec.get("added_tokens", []) if token.get("special")]
        return cls(model["vocab"], specials, max_tokens, model.get("unk_token", "[UNK]"),
                   model.get("continuing_subword_prefix", "##"), model.get("max_input_chars_per_word", 100))

    def _pieces(self, word: str) -> list[str]:
        if len(word) > self.max_word:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    pieces.append(piece)
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return pieces

    def tokens(self, text: str) -> list[str]:
        parts = self._specials.split(text) if self._specials else [text]
        tokens: list[str] = []
        for index, part in enumerate(parts):
            if index % 2:  # a special token written in the text
                tokens.append(part)
                continue
            for word in _words(_normalise(part)):
                tokens.extend(self._pieces(word))
        return ["[CLS]", *tokens[: self.max_tokens - 2], "[SEP]"]

    def ids(self, text: str) -> list[int]:
        return [self.vocab[token] for token in self.tokens(text)]
