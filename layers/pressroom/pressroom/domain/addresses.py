"""Email addresses, as Pressroom accepts them."""
from __future__ import annotations

import re

# A plain ASCII address: Python's email package reads '=?...?=' in an address as an encoded word,
# so a looser pattern let through addresses that went elsewhere than they read, or were refused.
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def is_address(value: str) -> bool:
    """Whether ``value`` is a plain, valid email address (one SES takes as it reads)."""
    return bool(_ADDRESS.fullmatch(value or ""))


def same_address(one: str, other: str) -> bool:
    """Whether two addresses name the same mailbox (compared without case or surrounding space)."""
    return bool(one.strip()) and one.strip().lower() == other.strip().lower()
