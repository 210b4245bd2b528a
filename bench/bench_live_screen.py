"""Live screen latency under load (issue 5): an event shows within 1 s of its ingest at 100k/s.

``livelens serve`` runs in its own process on a fresh store. This process posts a simulated
session as JSON Lines batches to ``POST /api/events`` at a target rate, and reads the push channel
(``/api/stream``, Server-Sent Events) as the screen does. A batch is "shown" when the first pushed
frame counts its events (``frame.events`` ≥ the events posted up to and including it). The
latency of a batch is from the moment its POST started (ingest begins) to that frame's arrival.
With ``--browser``, headless Chromium shows the live screen through the whole run, on the same
machine, and a batch is also timed to the screen: to the first frame the page *painted* that
counts it (the page logs [events, wall-clock ms] of each painted frame in
``window.livelens.drawn``; the stamp is taken in the animation frame after the charts drew).
It prints one JSON object; the figures go to bench/RESULTS.md by hand.

    .venv/bin/python bench/bench_live_screen.py --rate 100000 --seconds 30 [--browser]
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
from playwright.sync_api import Page, sync_playwright

from livelens.sources.simulator import SimulationConfig, write_session

CHROMIUM = "/usr/bin/chromium"


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
    parser.add_argument("--browser", action="store_true", help="also time to the painted screen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:  # ~1 GB: the session, the store
        run(args, Path(tmp))


def run(args: argparse.Namespace, folder: Path) -> None:
    needed = args.rate * args.seconds
    # a 4-hour session of ~375 events per viewer at its peak: the run posts (nearly) all of it
    minutes, peak = 240, max(2_000, needed // 370)
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
    with contextlib.ExitStack() as browser_stack:
        page = open_screen(browser_stack, url, token) if args.browser else None
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
        # the page's wall-clock stamps, on this process's perf_counter clock
        offset = time.perf_counter() - time.time()
        drawn, last_minute = [], None
        if page is not None:
            painted = page.evaluate("window.livelens.drawn")
            drawn = [(ms / 1000 + offset, events) for events, ms in painted]
            last_minute = page.evaluate("window.livelens.lastFrame.minute")
    process.terminate()
    process.wait(timeout=20)
    result: dict[str, object] = {
        "target_rate": args.rate,
        "achieved_rate": round(total / elapsed),
        "events": total,
        "batches": len(posted),
        "batch_events": args.batch,
        "frames_received": len(shown),
        **latency_figures("latency", posted, shown),
    }
    if args.browser:
        result["frames_painted"] = len(drawn)
        result["last_minute_shown"] = last_minute  # of the session, counted from its start
        result.update(latency_figures("screen_latency", posted, drawn))
    print(json.dumps(result))


def open_screen(stack: contextlib.ExitStack, url: str, token: str) -> Page:
    """Headless Chromium signed in to the live screen, which then follows the session by push."""
    playwright = stack.enter_context(sync_playwright())
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
    )
    stack.callback(browser.close)
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    page.goto(f"{url}/login?token={token}")
    return page


def latency_figures(
    name: str, posted: list[tuple[float, int]], seen: list[tuple[float, int]]
) -> dict[str, object]:
    """Per batch: from its POST's start to the first frame (arrived or painted) counting it."""
    latencies = []
    for at, count in posted:
        arrival = next((t for t, events in seen if events >= count and t >= at), None)
        latencies.append(float("inf") if arrival is None else arrival - at)
    latencies.sort()
    finite = [x for x in latencies if x != float("inf")]
    return {
        f"{name}_p50_s": round(statistics.median(finite), 3) if finite else None,
        f"{name}_p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        f"{name}_max_s": round(latencies[-1], 3),
        f"{name}_within_1s": sum(1 for x in latencies if x <= 1.0) / len(latencies),
    }


if __name__ == "__main__":
    main()
