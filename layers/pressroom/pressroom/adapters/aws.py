"""boto3 clients bound to the configured region and (for the local stack) endpoint."""
from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from pressroom.settings import get_settings

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version=None)


@cache
def client(service: str) -> Any:
    """A cached boto3 client for ``service``."""
    settings = get_settings()
    kwargs: dict[str, Any] = {"region_name": settings.region, "config": _CONFIG}
    if settings.aws_endpoint_url:
        kwargs["endpoint_url"] = settings.aws_endpoint_url
    return boto3.client(service, **kwargs)


def reset() -> None:
    """Forget cached clients and settings (tests and the local stack change the environment)."""
    client.cache_clear()
    get_settings.cache_clear()
