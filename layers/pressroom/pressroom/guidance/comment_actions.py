"""What is done with each kind of comment, read from ``comment_actions.toml``."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .comment_reading import Reading
from .comment_rules import Kind

ACTIONS = ("evidence", "alert", "reply", "delete", "delete-if-locates", "delete-if-private", "digest")
#: actions seen by the public; an unsure verdict may take none of them
PUBLIC = frozenset({"reply", "delete", "delete-if-locates", "delete-if-private"})
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KindActions:
    kind: Kind
    actions: tuple[str, ...]
    unsure_actions: tuple[str, ...]
    urgent: bool
    headline: str
    advice: str
    reply: str  # the reply's text, "" when the kind is not answered
    #: a reply written on the desk waits for a second press officer's approval before it is posted
    reply_approval: bool = False


@dataclass(frozen=True)
class CommentActions:
    kinds: dict[Kind, KindActions]

    def __getitem__(self, kind: Kind) -> KindActions:
        return self.kinds[kind]


def parse(text: str) -> CommentActions:
    """The configuration in ``text``; an error names what is wrong."""
    raw = tomllib.loads(text)
    if raw.get("version") != 1:
        raise ValueError("comment actions: version must be 1")
    replies = raw.get("reply", {})
    table = raw.get("kind", {})
    missing = sorted(k.value for k in Kind if k.value not in table)
    unknown = sorted(set(table) - {k.value for k in Kind})
    if missing or unknown:
        raise ValueError(f"comment actions: kinds missing {missing}, unknown {unknown}")
    kinds = {}
    for kind in Kind:
        item = table[kind.value]
        extra = set(item) - {"actions", "unsure_actions", "urgent", "headline", "advice", "reply",
                          "reply_approval"}
        if extra:
            raise ValueError(f"comment actions: {kind.value} has unknown keys {sorted(extra)}")
        actions = tuple(item.get("actions", ()))
        unsure = tuple(item.get("unsure_actions", ("evidence", "alert") if "evidence" in actions else ("alert",)))
        for name in actions + unsure:
            if name not in ACTIONS:
                raise ValueError(f"comment actions: {kind.value} has an unknown action {name!r} (known: {', '.join(ACTIONS)})")
        if PUBLIC & set(unsure):
            raise ValueError(f"comment actions: {kind.value}: an unsure verdict may not act in public ({sorted(PUBLIC & set(unsure))})")
        reply = ""
        if "reply" in actions:
            name = item.get("reply", "")
            if name not in replies:
                raise ValueError(f"comment actions: {kind.value} replies with {name!r}, which [reply] lacks")
            reply = replies[name]
        if not item.get("headline"):
            raise ValueError(f"comment actions: {kind.value} needs a headline")
        kinds[kind] = KindActions(kind, actions, unsure, bool(item.get("urgent", False)), item["headline"],
                                  item.get("advice", ""), reply, bool(item.get("reply_approval", False)))
    return CommentActions(kinds)


@lru_cache(maxsize=1)
def load(path: Path = HERE / "comment_actions.toml") -> CommentActions:
    return parse(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Plan:
    """What will be done with one comment."""

    kind: Kind
    sure: bool
    steps: tuple[str, ...]
    #: the alert's subject says URGENT; when sure, the control room is told too
    urgent: bool
    reply: str
    delete: bool
    headline: str
    advice: str

    def as_json(self) -> dict:
        return {"steps": list(self.steps), "urgent": self.urgent, "reply": self.reply or None, "delete": self.delete,
                "public": bool(self.reply or self.delete), "headline": self.headline}


def plan(reading: Reading, actions: CommentActions | None = None) -> Plan:
    """The actions for ``reading``: its kind's, or when the judge is unsure, the unsure ones (never public)."""
    kind = (actions or load())[reading.kind]
    steps = kind.actions if reading.sure else kind.unsure_actions
    if reading.also:  # it may also be a threat or a disclosure: kept as evidence, and the press office told
        steps = tuple(dict.fromkeys(("evidence", "alert", *(s for s in steps if s != "digest"))))
    delete = ("delete" in steps or ("delete-if-locates" in steps and bool(reading.locates))
              or ("delete-if-private" in steps and bool(reading.private)))
    reply = kind.reply if "reply" in steps else ""
    headline = kind.headline if reading.sure else f"Please check a comment that may be: {reading.kind.value.replace('-', ' ')}"
    urgent = kind.urgent or bool(reading.also)
    return Plan(reading.kind, reading.sure, steps, urgent, reply, delete, headline, kind.advice)
