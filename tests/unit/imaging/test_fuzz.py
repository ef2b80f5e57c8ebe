"""Property: whatever is done to a real photo, scrub returns a clean decodable image or raises
RejectedImage, never anything else; and scrubbing its own output changes nothing."""
from __future__ import annotations

import io
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pressroom.imaging import RejectedImage, scrub_bytes
from tests.corpus import corpus_files


def _gif() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("P", (24, 16), i) for i in range(3)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0, comment=b"note")
    return out.getvalue()


SEEDS = [p.read_bytes() for p in corpus_files()] + [_gif()]

position = st.floats(min_value=0, max_value=1, exclude_max=True)
mutation = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("truncate"), position, st.just(0)),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), position, st.integers(1, 64)),
    st.tuples(st.just("marker"), position, st.sampled_from([b"\xff\xd9", b"\xff\xda", b"\xff\xe1\xff\xff", b"IEND", b"\x00\x00\x00\x00"])),
)


def mutate(data: bytes, edits: list[tuple[str, float, object]], head_bias: bool) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in edits:
        span = min(len(buf), 4096) if head_bias else len(buf)  # headers are where parsers break
        at = int(where * max(span, 1))
        if kind == "flip" and buf:
            buf[min(at, len(buf) - 1)] ^= 1 << arg
        elif kind == "truncate":
            del buf[at:]
        elif kind == "insert" or kind == "marker":
            buf[at:at] = arg
        elif kind == "delete":
            del buf[at : at + arg]
    return bytes(buf)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, len(SEEDS) - 1), edits=st.lists(mutation, min_size=1, max_size=4), head_bias=st.booleans())
def test_mutated_photos_are_scrubbed_or_rejected(seed: int, edits: list, head_bias: bool) -> None:
    data = mutate(SEEDS[seed], edits, head_bias)
    try:
        result = scrub_bytes(data)
    except RejectedImage as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(result.data)) as image:
            image.load()
    again = scrub_bytes(result.data)
    assert again.data == result.data
    assert set(again.removed) <= {"EXIF"}  # only the minimal orientation EXIF, re-read and rewritten


def test_every_corpus_output_is_a_fixed_point() -> None:
    for data in SEEDS:
        first = scrub_bytes(data)
        again = scrub_bytes(first.data)
        assert again.data == first.data and set(again.removed) <= {"EXIF"}
