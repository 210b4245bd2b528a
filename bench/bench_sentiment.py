"""Sentiment throughput on real live comments, one core.

    .venv/bin/python bench/bench_sentiment.py [--runs 5] [--batch 1000]

Reads the 41k Bilibili comments (``data_dir()/live/bilibili-2021-12-30/danmaku.csv``, column
``content``), pins the process to one CPU, loads the shipped model, warms up (the rjieba
dictionary loads on first use), then times ``SentimentModel.predict`` — normalisation,
tokenisation, hashing, the sparse dot product and the ``Sentiment`` structs, all included —
over the whole file as one batch and in batches of ``--batch`` comments (how a live window
would call it). Reports the median and best of ``--runs``. Goal (issue 4): >= 150,000/s.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

from livelens.comments.sentiment import SentimentModel
from livelens.settings import data_dir

GOAL_PER_S = 150_000


def read_comments() -> list[str]:
    path = data_dir() / "live" / "bilibili-2021-12-30" / "danmaku.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["content"] for row in csv.DictReader(handle)]


def time_runs(work: Callable[[], object], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


def in_batches(model: SentimentModel, comments: Sequence[str], size: int) -> None:
    for start in range(0, len(comments), size):
        model.predict(comments[start : start + size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    comments = read_comments()
    model = SentimentModel.load()
    model.predict(comments[:100])  # warm-up: loads the rjieba dictionary
    print(
        f"{len(comments):,} comments, mean {sum(map(len, comments)) / len(comments):.1f} chars; "
        f"Python {platform.python_version()}, {platform.machine()}, one core"
    )
    cases: list[tuple[str, Callable[[], object]]] = [
        ("predict, one batch", lambda: model.predict(comments)),
        (f"predict, batches of {args.batch}", lambda: in_batches(model, comments, args.batch)),
        ("scores only, one batch", lambda: model.scores(comments)),
    ]
    for name, work in cases:
        seconds = time_runs(work, args.runs)
        median, best = statistics.median(seconds), min(seconds)
        print(
            f"{name:<28} median {len(comments) / median:>10,.0f}/s  "
            f"best {len(comments) / best:>10,.0f}/s  (goal {GOAL_PER_S:,}/s)"
        )


if __name__ == "__main__":
    main()
