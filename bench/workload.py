"""A reproducible live-commerce event mix for benchmarks (no simulator dependency)."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import msgspec

from livelens.testing import SAMPLE_PAYLOADS, T0

# Rough shares of a busy live room's stream.
MIX = {
    "comment": 0.30,
    "like": 0.25,
    "viewer.join": 0.12,
    "viewer.leave": 0.11,
    "product.impression": 0.08,
    "product.click": 0.06,
    "cart.add": 0.03,
    "order.paid": 0.02,
    "gift": 0.01,
    "online.count": 0.01,
    "follow": 0.01,
}


# How a producer may write the same events: "canonical" (msgspec, `type` first), "json-dumps"
# (Python's json.dumps: non-ASCII as \u escapes, a space after `:` and `,`), "type-last" (the
# `type` key after the others), "no-id" (no `event_id`: ingest derives one from the content)
FORMS = ("canonical", "json-dumps", "type-last", "no-id")


def _encode(record: dict[str, object], form: str) -> bytes:
    if form == "json-dumps":
        return json.dumps(record).encode()
    if form == "type-last":
        record = {k: v for k, v in record.items() if k != "type"} | {"type": record["type"]}
    elif form == "no-id":
        record = {k: v for k, v in record.items() if k != "event_id"}
    return msgspec.json.encode(record)


def write_workload(
    path: Path, events: int, viewers: int = 200_000, seed: int = 1, form: str = "canonical"
) -> None:
    if form not in FORMS:
        msg = f"unknown workload form {form!r}; one of {', '.join(FORMS)}"
        raise ValueError(msg)
    rng = random.Random(seed)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=events)
    with path.open("wb") as out:
        buffer = bytearray()
        for n, kind in enumerate(kinds):
            record = {
                "type": kind,
                "event_id": f"bench-{n}",
                "ts": (T0 + timedelta(milliseconds=n)).isoformat(),
                "room_id": "room-1",
                "session_id": "bench-session",
                "platform": "douyin",
                **SAMPLE_PAYLOADS[kind],
            }
            if "viewer_id" in record:
                record["viewer_id"] = f"dy{rng.randrange(viewers)}"
            buffer += _encode(record, form) + b"\n"
            if len(buffer) > 1 << 22:
                out.write(buffer)
                buffer.clear()
        out.write(buffer)
