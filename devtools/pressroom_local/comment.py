"""``pressroom comment TEXT``: how the comment monitor would read a comment and what it would do.

Reads TEXT (or standard input when TEXT is "-") with the rules and the shipped judge of meaning,
exactly as the monitor does, and prints the kind, the confidence, the signals and the action that
would be taken; nothing is posted, deleted or emailed, and neither Flickr nor AWS is contacted.
``--rules-only`` leaves the judge out. Exit 0 after printing.
"""
from __future__ import annotations

import argparse
import json
import sys

from pressroom.guidance.comment_actions import plan
from pressroom.guidance.comment_reading import read


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``comment`` subcommand to a ``pressroom`` argument parser."""
    parser = subparsers.add_parser("comment", help="read a comment as the comment monitor would; prints the kind, "
                                   "confidence, signals and action", description=__doc__.split("\n\n")[1])
    parser.add_argument("text", metavar="TEXT", help='the comment ("-" reads it from standard input)')
    parser.add_argument("--json", action="store_true", help="print JSON (the contract for outside checks)")
    parser.add_argument("--rules-only", action="store_true", help="the rules alone, without the judge of meaning")
    parser.set_defaults(func=run)
    return parser


def describe(text: str, *, rules_only: bool = False) -> dict:
    """The reading and the planned action of ``text``, as the JSON the command prints."""
    from pressroom.guidance.comment_judge import shipped

    reading = read(text, None if rules_only else shipped())
    planned = plan(reading)
    return {**reading.as_json(), "action": planned.as_json()}


def run(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    out = describe(text, rules_only=args.rules_only)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    action = out["action"]
    done = [step for step in action["steps"] if step != "evidence"]
    print(f"kind:       {out['kind']} ({out['confidence']:.0%} sure{'' if out['sure'] else ', unsure'}, by {out['by']})")
    print(f"signals:    {', '.join(out['signals']) or 'none'}")
    print(f"action:     {', '.join(done) or 'none'}{' (urgent)' if action['urgent'] else ''}"
          f"{'; deleted' if action['delete'] else ''}")
    if action["reply"]:
        print(f"reply:      {action['reply']}")
    for example in out.get("judge", {}).get("resembles", []):
        print(f"resembles:  \"{example['text']}\" ({example['similarity']:.2f})")
    return 0
