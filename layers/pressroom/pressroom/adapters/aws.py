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


@cache
def browser_s3() -> Any:
    """An S3 client whose presigned requests a browser sends: to the bucket's own regional endpoint
    (``https://<bucket>.s3.<region>.amazonaws.com``). The global endpoint boto3 presigns for would
    answer a bucket in its first day with a redirect, which a browser's cross-origin POST cannot
    follow."""
    settings = get_settings()
    if settings.aws_endpoint_url:
        return client("s3")
    return boto3.client("s3", region_name=settings.region, endpoint_url=f"https://s3.{settings.region}.amazonaws.com",
                        config=_CONFIG.merge(Config(s3={"addressing_style": "virtual"})))


def reset() -> None:
    """Forget cached clients and settings (tests and the local stack change the environment)."""
    client.cache_clear()
    browser_s3.cache_clear()
    get_settings.cache_clear()
