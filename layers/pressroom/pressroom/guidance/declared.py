"""Declared facts: what the uploader says about a photo.

Declarations come from S3 object metadata (``x-amz-meta-<key>``, read back lowercase without the
prefix), from ``pressroom check --declare key=value``, or from the image's own IPTC/XMP fields.
An explicit declaration wins over the image's fields. A fact that is not declared is asked of
the approver; it is never presumed.

==================== ====================================================================
key                  value
==================== ====================================================================
category             neighbourhood-initiative | force-photographer-pr | campaign | other
category-reason      why a photo of category ``other`` should still be published
people               none | identifiable | not-identifiable
release-forms        comma-separated references of signed release forms (``no``, ``pending``, ``TBC``...: none)
children             yes | no
parental-permission  references of parental permission forms, or ``yes`` (``no``, ``pending``...: none)
credit               who took the photo, as it should be credited
copyright            who owns the copyright
uploader             who asked for the photo to be added
title                the title to publish
description          the description to publish
tags                 comma-separated tags to publish
publish-at           not before this time (an embargo), ``YYYY-MM-DDTHH:MM`` in UK time
licence              the Flickr licence: ``all-rights-reserved``, ``cc-by-4.0``, ``cc-by-sa-4.0``,
                     ``cc-by-nc-4.0``, ``cc-by-nc-sa-4.0``, ``cc-by-nd-4.0``, ``cc-by-nc-nd-4.0``,
                     ``cc0``, ``public-domain`` (default: the deployment's)
comments             who may comment on Flickr: ``everyone``, ``contacts``, ``nobody``
safety               Flickr's safety level: ``safe``, ``moderate``, ``restricted``
content-type         ``photo``, ``screenshot`` or ``other`` (a poster is ``other``)
==================== ====================================================================
"""
from __future__ import annotations

import re
from typing import Any

from pressroom.domain.addresses import is_address
from pressroom.domain.schedule import publish_at

CATEGORIES = ("neighbourhood-initiative", "force-photographer-pr", "campaign", "other")
CHOICES: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "people": ("none", "identifiable", "not-identifiable"),
    "children": ("yes", "no"),
    "licence": ("all-rights-reserved", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0",
                "cc-by-nd-4.0", "cc-by-nc-nd-4.0", "cc0", "public-domain"),
    "comments": ("everyone", "contacts", "nobody"),
    "safety": ("safe", "moderate", "restricted"),
    "content-type": ("photo", "screenshot", "other"),
}
KEYS = (
    "category",
    "category-reason",
    "people",
    "release-forms",
    "children",
    "parental-permission",
    "credit",
    "copyright",
    "uploader",
    "title",
    "description",
    "tags",
    "publish-at",
    "licence",
    "comments",
    "safety",
    "content-type",
)
#: What people write for a form they do not hold (yet): not a reference.
_NOT_HELD = re.compile(
    r"[-?.\s]*|n/?a|nil|nope|false|0|tb[acd]|unknown|missing|outstanding|unsigned|un-signed|pending\b.*|"
    r"to (?:follow|come|be\b).*|awaiting\b.*|waiting\b.*|requested\b.*|asked\b.*|applied\b.*|will\b.*|"
    r"not\b.*|none\b.*|no(?:\s+(?!\d)\w.*)?",
    re.IGNORECASE,
)
_META_PREFIX = "x-amz-meta-"


def normalise_key(key: str) -> str:
    """``X-Amz-Meta-Release_Forms`` → ``release-forms``."""
    key = key.strip().lower()
    return key.removeprefix(_META_PREFIX).replace("_", "-")


def problem(declared: dict[str, str], key: str) -> str:
    """Why ``key`` is not usable ("was not declared", or the bad value), or "" when it is."""
    value = declared.get(key, "").strip().lower()
    if not value:
        return "was not declared"
    if key in CHOICES and value not in CHOICES[key]:
        return f"was declared as \"{declared[key]}\", which is not one of {', '.join(CHOICES[key])}"
    return ""


def choice(declared: dict[str, str], key: str) -> str:
    """The declared value of a multiple-choice key, or "" if missing or not one of the choices."""
    return "" if problem(declared, key) else declared[key].strip().lower()


def references(value: str | None) -> list[str]:
    """Form references from a comma-separated declaration, leaving out what says a form is not held
    (``no``, ``none``, ``n/a``, ``pending``, ``TBC``, ``to follow``, ``not signed``...)."""
    refs = [ref.strip() for ref in (value or "").split(",")]
    return [ref for ref in refs if not _NOT_HELD.fullmatch(ref)]


def unknown(declared: dict[str, str]) -> list[str]:
    """A line for each declaration whose key Pressroom does not know, naming the keys it does."""
    return [f"unknown declaration \"{key}\" (the keys are {', '.join(KEYS)})" for key in declared if key not in KEYS]


def invalid(declared: dict[str, str]) -> list[str]:
    """Reasons the declarations cannot be used as given, each naming what is accepted: unknown keys,
    values not among the choices, an uploader that is not a plain email address."""
    reasons = unknown(declared)
    for key, choices in CHOICES.items():
        value = declared.get(key)
        if value is not None and value.strip().lower() not in choices:
            reasons.append(f"{key}={value} is not accepted ({key} is {_or(choices)})")
    uploader = declared.get("uploader")
    if uploader is not None and not is_address(uploader.strip()):
        reasons.append(f"uploader {uploader!r} is not a plain email address (such as name@west-midlands.police.uk)")
    if declared.get("publish-at", "").strip():
        try:
            publish_at(declared["publish-at"])
        except ValueError as exc:
            reasons.append(str(exc))
    return reasons


def _or(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + f" or {choices[-1]}"


def minor_age(value: Any) -> int | None:
    """The youngest model's age from an IPTC/PLUS minor-model-age disclosure ("Age 14 or Under",
    "Age 25 or Over", "AG-U14"), or None when unknown."""
    match = re.search(r"\d+", str(value or ""))
    return int(match.group()) if match else None


def declared_facts(metadata: dict[str, str], captions: dict[str, Any]) -> dict[str, str]:
    """Merge S3 metadata declarations with those in the image's own IPTC/XMP fields.

    Metadata keys may carry the ``x-amz-meta-`` prefix and any case; unknown keys are dropped.
    From the image: release ids → ``release-forms``; the minor-model-age disclosure → ``children``;
    named persons → ``people=identifiable``; credit (or creator) and copyright.
    """
    facts: dict[str, str] = {}
    for key, value in metadata.items():
        name = normalise_key(key)
        if name in KEYS and str(value).strip():
            facts[name] = str(value).strip()

    release_ids = [str(ref).strip() for ref in captions.get("release_ids") or [] if str(ref).strip()]
    status = str(captions.get("release_status") or "")
    if "release-forms" not in facts:
        if release_ids:
            facts["release-forms"] = ", ".join(release_ids)
        elif status.lower().startswith("unlimited"):
            facts["release-forms"] = f"{status} (from the image's release status; no reference given)"
    age = minor_age(captions.get("minor_age"))
    if "children" not in facts and age is not None:
        facts["children"] = "yes" if age < 18 else "no"
    persons = [str(person).strip() for person in captions.get("persons") or [] if str(person).strip()]
    if "people" not in facts and persons:
        facts["people"] = "identifiable"
    credit = _one(captions.get("credit")) or _one(captions.get("creator"))
    if "credit" not in facts and credit:
        facts["credit"] = credit
    copyright_ = _one(captions.get("copyright"))
    if "copyright" not in facts and copyright_:
        facts["copyright"] = copyright_
    return facts


def _one(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item).strip() for item in value if str(item).strip())
    return str(value or "").strip()
