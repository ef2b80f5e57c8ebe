"""``pressroom export-labels``: the press office's own decisions as labelled captions.

What the store already keeps is read, nothing is added to the pipeline: a photo's findings (rule,
severity, guidance line), the approver's decision (approve or reject, and the reason), and the
audit trail. Each decided photo with a caption becomes one example in the corpus format that
``make train-captions CORPUS=...`` reads (group = the photo id, so the split of SPLIT.md applies):

* approved (or published) photos are ``ok``: whatever the rules or the judge warned about, a
  person looked and overrode it (the note lists the findings overridden);
* rejected photos take the guidance rule the rejection was for: a rule id or a judge label the
  reason names, else the one guidance line the photo's findings point to; when the reason and
  findings leave it open, the label is ``unlabelled`` and the note keeps the reason, for a person
  to set. Training skips ``unlabelled`` examples.

Nothing retrains by itself: a force runs the training command on the exported file when it
chooses to, and reads the benchmark before shipping the artefact.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from pressroom.adapters.store import PhotoStore
from pressroom.domain.photos import Photo, State
from pressroom.guidance.judged import PREFIX
from pressroom.guidance.meaning.config import JudgeConfig, load_config
from pressroom.guidance.meaning.corpus import Example, dump

UNLABELLED = "unlabelled"
APPROVED_STATES = (State.APPROVED, State.PUBLISHED, State.PUBLISH_FAILED)


def label_of_rejection(reason: str, findings: list[dict], config: JudgeConfig) -> str:
    """The guidance rule a rejection was for, or ``unlabelled`` when it cannot be told."""
    ids = [label.id for label in config.labels]
    named = [label_id for label_id in ids if re.search(rf"(?<![\w-]){re.escape(label_id)}(?![\w-])", reason)]
    if len(named) == 1:
        return named[0]
    by_guidance = {label.guidance: label.id for label in config.labels if label.guidance}
    pointed: set[str] = set()
    for finding in findings:
        rule = str(finding.get("rule", "")).removeprefix(PREFIX)
        if rule in ids:
            pointed.add(rule)
            continue
        for guidance, label_id in by_guidance.items():
            if guidance in str(finding.get("guidance", "")):
                pointed.add(label_id)
    return pointed.pop() if len(pointed) == 1 else UNLABELLED


def example_of(photo: Photo, config: JudgeConfig) -> Example | None:
    """One labelled caption from a decided photo, or None (undecided, or no caption)."""
    text = " ".join((photo.description or "").split())
    title = " ".join((photo.title or "").split())
    if not (text or title):
        return None
    findings = [dict(finding) for finding in photo.findings]
    shown = ", ".join(f"{f.get('rule')} ({f.get('severity')})" for f in findings if f.get("severity") in ("block", "warn"))
    if photo.state in APPROVED_STATES:
        label, note = config.neutral, f"approved by a person{'; overrode ' + shown if shown else ''}"
    elif photo.state == State.REJECTED:
        reason = str(photo.decision.get("why", ""))
        label = label_of_rejection(reason, findings, config)
        note = f"rejected: {reason}" + (f"; findings {shown}" if shown else "")
    else:
        return None
    guidance = "" if label in (config.neutral, UNLABELLED) else config.label(label).guidance
    return Example(id=f"photo-{photo.id}", text=text or title, label=label, group=f"photo-{photo.id}",
                   title=title if text else "", guidance=guidance, note=note)


def export_labels(store: PhotoStore, config: JudgeConfig | None = None) -> list[Example]:
    """Every decided photo's caption as a labelled example, oldest decision state first."""
    config = config or load_config()
    examples = []
    for state in (*APPROVED_STATES, State.REJECTED):
        for photo in store.each_in_state(state):
            example = example_of(photo, config)
            if example is not None:
                examples.append(example)
    return examples


def write(examples: Iterable[Example]) -> str:
    return dump(examples)
