"""JSON Lines blocks read whole (no per-line split) give exactly what the split reading gives."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.events import codec
from livelens.sources import jsonl
from livelens.sources.jsonl import JsonLinesFile
from livelens.testing import event_record

GOOD = msgspec.json.encode(event_record("comment", text="多少钱")).decode()
LINES = st.sampled_from(
    [
        GOOD,
        GOOD.replace("多少钱", "x" * 300),  # longer than the smallest limits below
        GOOD + "\r",
        "",
        "   ",
        '{"type": "comment"',
        "not json",
        GOOD.replace('"comment"', '"nope"'),
    ]
)


def _read(path: Path, block_bytes: int, max_line_bytes: int) -> list[Any]:
    out = []
    for batch in JsonLinesFile(path, max_line_bytes=max_line_bytes, block_bytes=block_bytes):
        located = [batch.locate(i) for i in range(len(batch.events))]
        out.append((batch.events, batch.rejections, located, batch.position))
    return out


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(LINES, max_size=40),
    bad_bytes=st.booleans(),
    final_newline=st.booleans(),
    block_bytes=st.sampled_from([64, 300, 1000, 1 << 20]),
    max_line_bytes=st.sampled_from([40, 250, 1 << 20]),
    piece_bytes=st.sampled_from([1, 100, 1 << 20]),
)
def test_whole_blocks_read_like_split_ones(
    lines: list[str],
    bad_bytes: bool,
    final_newline: bool,
    block_bytes: int,
    max_line_bytes: int,
    piece_bytes: int,
) -> None:
    """Also whatever the size of the pieces a whole block is decoded in."""
    body = "\n".join(lines).encode() + (b"\n" if final_newline else b"")
    if bad_bytes and lines:
        body = body[: len(body) // 2] + b"\xff\xfe" + body[len(body) // 2 :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(body)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(codec, "DECODE_PIECE_BYTES", piece_bytes)
            whole = _read(path, block_bytes, max_line_bytes)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(jsonl, "_no_line_longer", lambda *_: False)  # always split
            split = _read(path, block_bytes, max_line_bytes)
    assert whole == split


def test_a_line_longer_than_the_limit_is_never_missed() -> None:
    """True proves every line is within the limit; False may be a false alarm (the block is then
    split and measured line by line), never a missed long line."""
    short = (b"a" * 10 + b"\n") * 50
    assert jsonl._no_line_longer(short, len(short) - 1, 40)
    text = short + b"b" * 30 + b"\n" + b"c\n"
    assert not jsonl._no_line_longer(text, len(text) - 1, 20)  # the 30-byte line is too long
    assert jsonl._no_line_longer(text, len(text) - 1, 100)
