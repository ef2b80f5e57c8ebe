"""Secrets (Secrets Manager) and addresses (SSM Parameter Store), through Powertools parameters."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from pressroom.adapters import aws
from pressroom.settings import get_settings

_MAX_AGE = 300  # seconds a fetched value is cached: key rotation takes effect within 5 minutes
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


@lru_cache(maxsize=1)
def _previous_secrets() -> SecretsProvider:
    """A provider of its own: Powertools caches by name alone, whatever the version asked for."""
    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


@lru_cache(maxsize=1)
def _ssm() -> SSMProvider:
    return SSMProvider(boto3_client=aws.client("ssm"))


def signing_key() -> bytes:
    """The HMAC key that signs approval links."""
    return _key(_secrets().get(get_settings().signing_key_secret, max_age=_MAX_AGE))


def previous_signing_keys() -> Iterator[bytes]:
    """The key the current one replaced (``AWSPREVIOUS``), if there is one, fetched when first asked.

    Links signed before a rotation keep working until they expire; rotating twice revokes them all
    (a leaked key).
    """
    yield from _previous(get_settings().signing_key_secret)


def published_links_key() -> bytes:
    """The HMAC key that signs the links about published photos (take down, review a correction).

    A secret of its own: the functions that issue these links never hold the approval key.
    """
    return _key(_secrets().get(get_settings().published_links_secret, max_age=_MAX_AGE))


def previous_published_links_keys() -> Iterator[bytes]:
    """As :func:`previous_signing_keys`, for :func:`published_links_key`."""
    yield from _previous(get_settings().published_links_secret)


def _previous(name: str) -> Iterator[bytes]:
    try:
        value = _previous_secrets().get(name, max_age=_MAX_AGE, VersionStage="AWSPREVIOUS")
    except GetParameterError as exc:  # never rotated; or unreadable, and its links are refused
        log.info("no previous signing key: %s", type(exc.__context__ or exc).__name__)
        return
    yield _key(value)


def _key(value: object) -> bytes:
    if not isinstance(value, str | bytes):
        raise RuntimeError("the approval signing key is not a string")
    key = value.encode() if isinstance(value, str) else value
    if len(key) < 32:
        raise RuntimeError("a link signing key is shorter than 32 bytes")
    return key


@dataclass(frozen=True)
class FlickrCredentials:
    api_key: str
    api_secret: str
    oauth_token: str
    oauth_token_secret: str

    def __repr__(self) -> str:  # never print secrets, even by accident
        return "FlickrCredentials(<redacted>)"


def flickr_credentials() -> FlickrCredentials | None:
    """Flickr API credentials, or None when the secret is absent or not filled in."""
    try:
        value = _secrets().get(get_settings().flickr_secret, transform="json", max_age=_MAX_AGE)
    except Exception:  # noqa: BLE001 - a missing secret means "no Flickr configured"
        return None
    if not isinstance(value, dict):
        return None
    fields = {k: str(value.get(k) or "") for k in FlickrCredentials.__dataclass_fields__}
    return FlickrCredentials(**fields) if all(fields.values()) else None


def crosspost_settings() -> dict[str, Any]:
    """The networks to cross-post batch announcements to ({} when off, or the secret is empty or unreadable)."""
    name = get_settings().crosspost_secret
    if not name:
        return {}
    try:
        value = _secrets().get(name, transform="json", max_age=_MAX_AGE)
    except Exception as exc:  # noqa: BLE001 - cross-posting is optional: a broken secret turns it off
        log.warning("cross-posting is off: its secret cannot be read (%s)", type(exc).__name__)
        return {}
    return value if isinstance(value, dict) else {}


def _addresses(name: str) -> list[str]:
    value = _ssm().get(name, max_age=_MAX_AGE) or ""
    return [a.strip() for a in str(value).replace(";", ",").split(",") if a.strip()]


def approvers() -> list[str]:
    """Press-office approvers' addresses."""
    return _addresses(get_settings().approvers_parameter)


def control_room() -> list[str]:
    """Where threats and disclosures of harm go at once, beside the press office (none if not set)."""
    name = get_settings().control_room_parameter
    return _addresses(name) if name else []


def members(group: str) -> list[str]:
    """The addresses of approver group ``group`` (``<groups_parameter_prefix><group>``); none when
    the parameter does not exist (the photo then waits visibly for someone to be put in it)."""
    name = get_settings().groups_parameter_prefix + group
    try:
        return _addresses(name)
    except GetParameterError as exc:
        log.warning("approver group %s unreadable: %s", name, type(exc.__context__ or exc).__name__)
        return []


def press_office() -> list[str]:
    """Where staleness reminders and flagged comments go."""
    return _addresses(get_settings().press_office_parameter)


class Parameters:
    """The port the approval stages read addresses and the signing key through (SSM and Secrets
    Manager, each value cached for five minutes)."""

    def approvers(self) -> list[str]:
        return approvers()

    def members(self, group: str) -> list[str]:
        return members(group)

    def press_office(self) -> list[str]:
        return press_office()

    def signing_key(self) -> bytes:
        return signing_key()

    def previous_signing_keys(self) -> Iterator[bytes]:
        return previous_signing_keys()


def reset() -> None:
    """Forget cached providers (tests and the local stack change the environment)."""
    _secrets.cache_clear()
    _previous_secrets.cache_clear()
    _ssm.cache_clear()
