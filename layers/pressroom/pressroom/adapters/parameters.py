"""Secrets (Secrets Manager) and addresses (SSM Parameter Store), through Powertools parameters."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

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
    try:
        value = _previous_secrets().get(get_settings().signing_key_secret, max_age=_MAX_AGE,
                                        VersionStage="AWSPREVIOUS")
    except GetParameterError as exc:  # never rotated; or unreadable, and its links are refused
        log.info("no previous approval signing key: %s", type(exc.__context__ or exc).__name__)
        return
    yield _key(value)


def _key(value: object) -> bytes:
    if not isinstance(value, str | bytes):
        raise RuntimeError("the approval signing key is not a string")
    key = value.encode() if isinstance(value, str) else value
    if len(key) < 32:
        raise RuntimeError("the approval signing key is shorter than 32 bytes")
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


def press_office() -> list[str]:
    """Where staleness reminders and flagged comments go."""
    return _addresses(get_settings().press_office_parameter)


def reset() -> None:
    """Forget cached providers (tests and the local stack change the environment)."""
    _secrets.cache_clear()
    _previous_secrets.cache_clear()
    _ssm.cache_clear()
