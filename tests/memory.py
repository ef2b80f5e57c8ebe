"""Peak memory of a check, measured where tracemalloc cannot see: in C libraries (Pillow's pixels,
libwebp's buffers). A child process reports how far its peak resident size grew."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pressroom

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux")

_CHILD = """import resource, sys
from pressroom.scrub import {module}
data = open(sys.argv[1], 'rb').read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{module}.check(data, ({width}, {height}))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def check_growth_kib(module: str, path: Path, size: tuple[int, int]) -> int:
    """KiB by which ``pressroom.scrub.<module>.check(<bytes of path>, size)`` grew the peak RSS."""
    layer = str(Path(pressroom.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [layer, os.environ.get("PYTHONPATH")]))}
    code = _CHILD.format(module=module, width=size[0], height=size[1])
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                         check=True, timeout=120)
    return int(out.stdout)
