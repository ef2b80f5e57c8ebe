"""Load the Lambda handlers from ``functions/<name>/app.py`` exactly as Lambda would run them."""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pressroom

NAMES = ("scrub", "policy", "request_approval", "approval_api", "approval_timer", "publish",
         "staleness", "comments", "dead_letters")


def functions_dir() -> Path:
    """``functions/`` of this checkout (or ``$PRESSROOM_FUNCTIONS_DIR``)."""
    override = os.environ.get("PRESSROOM_FUNCTIONS_DIR")
    return Path(override) if override else Path(pressroom.__file__).resolve().parents[3] / "functions"


@cache
def module(name: str) -> ModuleType:
    path = functions_dir() / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"pressroom_function_{name}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no handler at {path}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def handler(name: str) -> Callable[[dict, Any], Any]:
    return module(name).lambda_handler


class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    def __init__(self, name: str, timeout_ms: int = 60_000):
        self.function_name = f"pressroom-{name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-2:123456789012:function:pressroom-{name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = os.urandom(16).hex()
        self.log_group_name = f"/aws/lambda/pressroom-{name}"
        self.log_stream_name = "local"
        self._timeout_ms = timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms
