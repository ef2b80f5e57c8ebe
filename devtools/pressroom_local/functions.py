"""Load the Lambda handlers from ``functions/<name>/app.py`` and run them as Lambda would.

Lambda gives each concurrent invocation of a function its own execution environment: its own
copy of the handler module, so module-level state (the Powertools resolver's current event, a
batch processor's results, the cold-start flag) is never shared by two events at once. The local
stack runs invocations on threads, so :func:`handler` does the same: each invocation takes an idle
loaded copy of the module (loading another one, a cold start, when all are busy) and gives it back
after.

Every function's Powertools ``Logger`` (service ``pressroom``, as deployed) writes through one
Python logger in this process, whose formatter holds the keys ``inject_lambda_context`` appends,
so a line would carry whichever function last set them. Each invocation therefore also sets its
function's keys as thread-local logging keys (Powertools' ``thread_safe_append_keys``), which
win over the shared ones: a line names the function, and the request, that wrote it.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pressroom

NAMES = ("scrub", "policy", "request_approval", "approval_api", "approval_timer", "publish",
         "staleness", "comments", "dead_letters", "amend", "amend_api", "photo_events", "desk", "desk_authorizer")
#: keys Powertools' inject_lambda_context appends, set per invocation (correlation_id: the API's request id)
_CONTEXT_KEYS = ("function_name", "function_memory_size", "function_arn", "function_request_id",
                 "correlation_id", "cold_start")


def functions_dir() -> Path:
    """``functions/`` of this checkout (or ``$PRESSROOM_FUNCTIONS_DIR``)."""
    override = os.environ.get("PRESSROOM_FUNCTIONS_DIR")
    return Path(override) if override else Path(pressroom.__file__).resolve().parents[3] / "functions"


_loads = itertools.count(1)


def load(name: str) -> ModuleType:
    """A fresh copy of ``functions/<name>/app.py`` (an execution environment's own module)."""
    path = functions_dir() / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"pressroom_function_{name}_{next(_loads)}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no handler at {path}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


class Instances:
    """The loaded copies of one function's module; each runs one invocation at a time."""

    def __init__(self, name: str):
        self.name = name
        self._idle: list[ModuleType] = []
        self._lock = threading.Lock()
        self.loaded = 0

    def take(self) -> tuple[ModuleType, bool]:
        """An idle copy, or a new one; and whether it is new (a cold start)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), False
            self.loaded += 1
        return load(self.name), True

    def give_back(self, instance: ModuleType) -> None:
        with self._lock:
            self._idle.append(instance)

    def invoke(self, event: Any, context: Any) -> Any:
        instance, cold = self.take()
        keys = _log_keys(context, event, cold)
        _set_keys(keys)
        try:
            return instance.lambda_handler(event, context)
        finally:
            _remove_keys(keys)
            self.give_back(instance)


@cache
def instances(name: str) -> Instances:
    if name not in NAMES:
        raise FileNotFoundError(f"no function {name!r} (functions: {', '.join(NAMES)})")
    return Instances(name)


def module(name: str) -> ModuleType:
    """One loaded copy of ``name``'s module (taken and given straight back)."""
    pool = instances(name)
    instance, _ = pool.take()
    pool.give_back(instance)
    return instance


def handler(name: str) -> Callable[[dict, Any], Any]:
    """Invoke ``name`` as Lambda would: on an execution environment of its own."""
    return instances(name).invoke


def _log_keys(context: Any, event: Any, cold: bool) -> dict[str, Any]:
    request = event.get("requestContext", {}) if isinstance(event, dict) else {}
    values = {
        "function_name": getattr(context, "function_name", None),
        "function_memory_size": getattr(context, "memory_limit_in_mb", None),
        "function_arn": getattr(context, "invoked_function_arn", None),
        "function_request_id": getattr(context, "aws_request_id", None),
        "correlation_id": request.get("requestId") if isinstance(request, dict) else None,
        "cold_start": cold,
    }
    return {k: values[k] for k in _CONTEXT_KEYS}


def _set_keys(keys: dict[str, Any]) -> None:
    from aws_lambda_powertools.logging.formatter import set_context_keys

    set_context_keys(**keys)


def _remove_keys(keys: dict[str, Any]) -> None:
    from aws_lambda_powertools.logging.formatter import remove_context_keys

    remove_context_keys(keys)


class LambdaContext:
    """The parts of Lambda's context object that Powertools reads; names as template.yaml gives them
    (``approval_timer`` → ``pressroom-approval-timer``)."""

    def __init__(self, name: str, timeout_ms: int = 60_000):
        function = f"pressroom-{name.replace('_', '-')}"
        self.function_name = function
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-2:123456789012:function:{function}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = os.urandom(16).hex()
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "local"
        self._timeout_ms = timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms
