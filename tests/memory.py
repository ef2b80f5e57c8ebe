"""Peak memory of a call, measured where tracemalloc cannot see: in C libraries (Pillow's pixels,
libwebp's buffers). A child process reports how far its peak resident size rose above its size
before the call: the kernel's high-water mark (VmHWM), reset just before. Not ``ru_maxrss``: a child
inherits its parent's, so under a large pytest process a call's growth read as nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pressroom

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self (Linux)")

_CHILD = """import sys
{imports}
def kib(field):
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ':'))
data = open(sys.argv[1], 'rb').read()
with open('/proc/self/clear_refs', 'w') as clear:
    clear.write('5')  # the high-water mark starts again from the current size
before = kib('VmRSS')
{call}
print(kib('VmHWM') - before)
"""


def growth_kib(imports: str, call: str, path: Path) -> int:
    """KiB by which ``call`` (after ``imports``, with ``data`` the bytes of ``path``) grew the peak RSS."""
    layer = str(Path(pressroom.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [layer, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CHILD.format(imports=imports, call=call), str(path)],
                         capture_output=True, text=True, env=env, check=True, timeout=120)
    return int(out.stdout)


def check_growth_kib(module: str, path: Path, size: tuple[int, int]) -> int:
    """KiB by which ``pressroom.imaging.<module>.check(<bytes of path>, size)`` grew the peak RSS."""
    return growth_kib(f"from pressroom.imaging import {module}", f"{module}.check(data, {size!r})", path)
