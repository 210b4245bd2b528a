"""Live sources: following a file that is still being written; pacing the simulator."""

from __future__ import annotations

from pathlib import Path

from livelens.sources.jsonl import FilePosition, JsonLinesTail
from livelens.sources.paced import PacedSimulator
from livelens.sources.simulator import SimulationConfig
from livelens.testing import event_record, jsonl


def test_following_a_growing_file_reads_lines_as_they_appear(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    first = [event_record("comment", event_id=f"a{i}") for i in range(3)]
    later = [event_record("like", event_id=f"b{i}") for i in range(4)]
    tail = jsonl(later)
    path.write_bytes(jsonl(first) + tail[:10])  # the writer is mid-line
    appended: list[int] = []

    def writer_catches_up(seconds: float) -> None:
        if not appended:  # the first idle poll: the writer finishes its batch
            with path.open("ab") as handle:
                handle.write(tail[10:] + b'{"type": "comm')  # and starts another line
            appended.append(1)

    source = JsonLinesTail(path, idle_timeout_s=0.2, poll_s=0.05, sleep=writer_catches_up)
    batches = list(source)
    ids = [e.event_id for b in batches for e in b.events]
    assert ids == [f"a{i}" for i in range(3)] + [f"b{i}" for i in range(4)]
    assert not [r for b in batches for r in b.rejections]  # the unfinished line is not an error
    position = FilePosition.decode(batches[-1].position or "")
    assert position == FilePosition(len(jsonl(first) + tail), 8)
    # Resuming from the position reads nothing more until the line is finished.
    resumed = JsonLinesTail(path, start=position, idle_timeout_s=0.0, sleep=lambda s: None)
    assert [e for b in resumed for e in b.events] == []


def test_the_paced_simulator_releases_events_at_their_time() -> None:
    config = SimulationConfig(minutes=2, peak_viewers=30, seed=1)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    paced = PacedSimulator(config, speed=10.0, tick_s=1.0, clock=lambda: now[0], sleep=sleep)
    batches = list(paced)
    total = sum(len(b.events) for b in batches)
    assert 10 <= len(batches) <= 14  # 120 s of events at 10× speed in 1 s ticks
    assert now[0] >= 11.0  # the last events were released no earlier than 12 s after the start
    # Resuming from a batch's position continues with exactly the events after it.
    middle = batches[len(batches) // 2]
    resumed = PacedSimulator(
        config, speed=1000.0, position=middle.position, clock=lambda: now[0], sleep=sleep
    )
    after = sum(len(b.events) for b in resumed)
    before = sum(len(b.events) for b in batches[: len(batches) // 2 + 1])
    assert before + after == total
