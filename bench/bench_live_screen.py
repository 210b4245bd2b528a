"""Live screen latency under load (issue 5): an event shows within 1 s of its ingest at 100k/s.

``livelens serve`` runs in its own process on a fresh store. This process posts a simulated
session as JSON Lines batches to ``POST /api/events`` at a target rate, and reads the push channel
(``/api/stream``, Server-Sent Events) as the screen does. A batch is "shown" when the first pushed
frame counts its events (``frame.events`` ≥ the events posted up to and including it). The
latency of a batch is from the moment its POST started (ingest begins) to that frame's arrival.
It prints one JSON object; the figures go to bench/RESULTS.md by hand.

    .venv/bin/python bench/bench_live_screen.py --rate 100000 --seconds 30
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from livelens.sources.simulator import SimulationConfig, write_session


def start_server(folder: Path) -> tuple[subprocess.Popen[str], str, str]:
    env = {**os.environ, "LIVELENS_HOME": str(folder / "home")}
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [
            sys.executable,
            "-m",
            "livelens",
            "serve",
            "--db",
            str(folder / "s.duckdb"),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    token = url = ""
    for line in process.stdout:
        if match := re.search(r"token \(shown once, keep it\): (\S+)", line):
            token = match.group(1)
        if match := re.search(r"live screen: (http://[^/]+)/", line):
            url = match.group(1)
            break
    return process, url, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=100_000, help="events per second to post")
    parser.add_argument("--batch", type=int, default=10_000, help="events per POST")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    needed = args.rate * args.seconds
    minutes, peak = 240, max(2_000, needed // 250)
    write_session(SimulationConfig(minutes=minutes, peak_viewers=peak, seed=11), folder / "e.jsonl")
    lines = (folder / "e.jsonl").read_bytes().splitlines(keepends=True)[:needed]
    bodies = [b"".join(lines[i : i + args.batch]) for i in range(0, len(lines), args.batch)]
    session_id = json.loads(lines[0])["session_id"]
    process, url, token = start_server(folder)
    headers = {"Authorization": f"Bearer {token}"}
    shown: list[tuple[float, int]] = []  # (arrival, events counted by the frame)
    stop = threading.Event()

    def read_stream() -> None:
        with (
            contextlib.suppress(httpx.RemoteProtocolError),  # the server stops at the end
            httpx.Client(base_url=url, headers=headers, timeout=3600) as client,
            client.stream("GET", "/api/stream", params={"session": session_id}) as stream,
        ):
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events = int(re.search(rb'"events":(\d+)', line.encode()).group(1))  # type: ignore[union-attr]
                    shown.append((time.perf_counter(), events))
                if stop.is_set():
                    return

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    time.sleep(0.5)
    posted: list[tuple[float, int]] = []  # (POST start, events posted up to this batch)
    total = 0
    interval = args.batch / args.rate
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for k, body in enumerate(bodies):
            due = started + k * interval
            time.sleep(max(0.0, due - time.perf_counter()))
            at = time.perf_counter()
            response = client.post("/api/events", content=body)
            response.raise_for_status()
            total += response.json()["accepted"]
            posted.append((at, total))
    elapsed = time.perf_counter() - started
    time.sleep(2.0)
    stop.set()
    latencies = []
    for at, count in posted:
        arrival = next((t for t, events in shown if events >= count and t >= at), None)
        latencies.append(float("inf") if arrival is None else arrival - at)
    latencies.sort()
    process.terminate()
    process.wait(timeout=20)
    finite = [x for x in latencies if x != float("inf")]
    print(
        json.dumps(
            {
                "target_rate": args.rate,
                "achieved_rate": round(total / elapsed),
                "events": total,
                "batches": len(posted),
                "batch_events": args.batch,
                "frames_received": len(shown),
                "latency_p50_s": round(statistics.median(finite), 3) if finite else None,
                "latency_p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
                "latency_max_s": round(latencies[-1], 3),
                "within_1s": sum(1 for x in latencies if x <= 1.0) / len(latencies),
            }
        )
    )


if __name__ == "__main__":
    main()
