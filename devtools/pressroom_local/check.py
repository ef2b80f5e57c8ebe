"""``pressroom check IMAGE``: judge one image against the guidance and print the report as JSON.

The image's own caption fields (read by the scrubber) are checked together with ``--title``,
``--description``, ``--tags``, ``--album`` and the ``--declare key=value`` facts. Exit 0 after
printing (the verdict is in the JSON); exit 2 with a one-line reason when the input is not a
supported, well-formed image or a declaration is not understood.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pressroom.domain.text import clean_fields
from pressroom.guidance import Facts, evaluate
from pressroom.guidance.declared import (
    KEYS,
    declared_facts,
    invalid,
    normalise_key,
)
from pressroom.guidance.detector import Detector, OfflineDetector
from pressroom.guidance.judged import packaged_judge


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``check`` subcommand to a ``pressroom`` argument parser."""
    parser = subparsers.add_parser(
        "check",
        help="check an image against the Flickr guidance; prints the findings as JSON",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("image", metavar="IMAGE", type=Path)
    parser.add_argument("--title", help="the title to publish (default: the image's own)")
    parser.add_argument("--description", help="the description to publish (default: the image's own)")
    parser.add_argument("--tags", help="comma-separated tags to publish (default: the image's own)")
    parser.add_argument("--album", default="", help="the album (Flickr photoset) it goes in")
    parser.add_argument(
        "--declare", action="append", default=[], metavar="KEY=VALUE",
        help=f"a declared fact; keys: {', '.join(KEYS)}",
    )
    parser.add_argument(
        "--detector", choices=("local", "offline", "rekognition"), default="local",
        help="image analysis: in-account on this machine (faces, text), none (the approver checks), "
             "or Amazon Rekognition",
    )
    parser.add_argument(
        "--rules-only", action="store_true",
        help="skip the caption judge of meaning (the policy function always runs it)",
    )
    parser.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``check`` on its own (the same behaviour as ``pressroom check``)."""
    parser = argparse.ArgumentParser(prog="pressroom")
    register(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["check", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:
        return int(exc.code or 0)
    return args.func(args)


def run(args: argparse.Namespace) -> int:
    """The ``check`` subcommand: returns the process exit code."""
    from pressroom.imaging import RejectedImage, scrub_bytes

    declarations: dict[str, str] = {}
    for item in args.declare:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return _reject(f"--declare {item!r} is not KEY=VALUE")
        declarations[normalise_key(key)] = value.strip()
    problems = invalid(declarations)
    if problems:
        return _reject("; ".join(problems))
    try:
        data = args.image.read_bytes()
    except OSError as exc:
        return _reject(f"{args.image}: {exc.strerror or exc}")
    try:
        captions = clean_fields(scrub_bytes(data).captions)  # judged as the pipeline stores them
    except RejectedImage as exc:
        return _reject(f"{args.image}: {exc.reason}")
    declared = declared_facts(declarations, captions)
    facts = Facts(
        title=_first(args.title, declared.get("title"), captions.get("title")),
        description=_first(args.description, declared.get("description"), captions.get("description")),
        tags=_tags(args.tags, declared.get("tags"), captions.get("tags")),
        filename=args.image.name,
        album=args.album,
        captions=captions,
        declared=declared,
    )
    reader = None if args.rules_only else packaged_judge()
    report = evaluate(facts, _detector(args.detector).detect(data), judge_of_meaning=reader)
    print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    return 0


def _detector(name: str) -> Detector:
    if name == "rekognition":
        from pressroom.adapters import aws
        from pressroom.adapters.rekognition import RekognitionDetector

        return RekognitionDetector(aws.client("rekognition"))
    if name == "local":
        from pressroom.adapters.local_vision import LocalVisionDetector

        return LocalVisionDetector()
    return OfflineDetector()


def _first(*values: object) -> str:
    return next((str(value) for value in values if value), "")


def _tags(*values: object) -> list[str]:
    for value in values:
        if isinstance(value, (list, tuple)) and value:
            return [str(tag).strip() for tag in value if str(tag).strip()]
        if isinstance(value, str) and value.strip():
            return [tag.strip() for tag in value.split(",") if tag.strip()]
    return []


def _reject(reason: str) -> int:
    print(f"pressroom check: {reason}", file=sys.stderr)
    return 2
