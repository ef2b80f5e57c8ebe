"""The caption published under every photo on Flickr."""
from __future__ import annotations

from pressroom.guidance.rules import RuleBook, load_rulebook


def published_caption(title: str, description: str, credit: str = "", book: RuleBook | None = None) -> str:
    """The Flickr description: the description (or, if there is none, the title), the credit, the
    link back to www.west-midlands.police.uk and the line that crime cannot be reported here.

    Plain text; the publisher escapes it for wherever it is shown.
    """
    book = book or load_rulebook()
    body = " ".join((description or "").split()) and "\n".join(
        " ".join(line.split()) for line in description.strip().splitlines() if line.strip()
    )
    parts = [body or " ".join((title or "").split())]
    if credit.strip():
        parts.append(book.caption["credit"].format(credit=" ".join(credit.split())))
    parts += [book.caption["link"], book.caption["crime"]]
    return "\n\n".join(part for part in parts if part)
