"""Benchmark: the per-comment path — normalise + tokenize + intents + question + sentiment.

Runs :class:`livelens.comments.analyze.CommentAnalyzer` over the 41,423 real Bilibili comments
(``../shared/data``) and prints comments/s. Each run starts with an empty memo of repeated texts
(live chat repeats itself: 16,829 distinct texts among the 41,423), as a new room would.
``--distinct`` measures the distinct texts only, each analysed once, for the cost without
repetition. Pin it to one core for the issue's figure:

    taskset -c 1 .venv/bin/python bench/bench_comments.py
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time

from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.sentiment import SentimentModel
from livelens.settings import data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--distinct", action="store_true", help="Only distinct texts.")
    args = parser.parse_args()
    path = data_dir() / "live" / "bilibili-2021-12-30" / "danmaku.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        texts = [row["content"] for row in csv.DictReader(handle)]
    if args.distinct:
        texts = list(dict.fromkeys(texts))
    model = SentimentModel.load()
    CommentAnalyzer(sentiment=model).analyze(texts[:1000])  # warm-up: dictionaries, model pages
    rates = []
    for _ in range(args.runs):
        # A fresh analyzer per run: its memo of repeated texts starts empty, as in a new room.
        analyzer = CommentAnalyzer(sentiment=model)
        start = time.perf_counter()
        for offset in range(0, len(texts), args.batch):
            analyzer.analyze(texts[offset : offset + args.batch])
        rates.append(len(texts) / (time.perf_counter() - start))
    cpus = sorted(os.sched_getaffinity(0))
    print(
        f"comments analyze (normalise+tokens+intents+question+spam+sentiment): "
        f"{len(texts):,} real comments{' (distinct texts)' if args.distinct else ''}, "
        f"median {statistics.median(rates):,.0f}/s, "
        f"best {max(rates):,.0f}/s over {args.runs} runs; CPUs {cpus}, "
        f"python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
