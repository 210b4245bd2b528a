"""Live Q&A latency: p99 from a question's arrival to its answer at 2,000 questions/s (≤ 50 ms).

A paced generator offers questions at a fixed rate: question i is due at ``start + i / rate``
and its latency runs from that due time to the moment :meth:`QaRoom.ask` returned its decision
(answered, merged, escalated or blocked), so time spent queued behind a slow question counts.
One process, one thread: the room is a single writer, as in the live engine.

Questions are the hand-written live questions of tests/qa (qa_eval.jsonl and
qa_blind_eval.jsonl) with live-chat noise added (a prefix such as "主播", a suffix such as "？？"
or "呀"), so that texts repeat as chat does but not all of them (the number of distinct texts is
printed). The catalog is tests/qa/catalog.json with its room file; the host pins another product
every 30 s and a price changes every 45 s (which starts new answers for merged questions).

Merge windows: the first asker of a question is answered at once; later askers of the same
question in the window are answered *by reference* (they join the answer already said, no new
utterance), and the ``announce_at``-th asker gets the "好几位宝宝都在问…" answer. All three count
with the latency of their own decision; the counts of each kind are reported separately, so the
effect of merging is visible. ``--no-merge`` turns merging off (every question answered anew).

The answer log is in memory, or with ``--duckdb [FILE]`` the store's ``qa_answers`` and
``qa_questions`` tables (in memory, or in a store file) written as the API writes them: flushed by
a background writer thread; ``--foreground-log`` flushes on the answering thread instead.

    .venv/bin/python bench/bench_qa.py --rate 2000 --seconds 30 [--duckdb FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

from livelens.events.schema import PriceChange, ProductPin
from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.answerer import Answerer
from livelens.qa.queue import AnswerLog, InMemoryAnswerLog
from livelens.qa.room import QaRoom

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "qa"))

from qa_evaluation import BLIND, EVAL, T0_MS, eval_catalog, load_items  # noqa: E402

PREFIXES = ("", "", "主播 ", "请问", "姐妹们 ", "宝宝们 ", "家人们")
SUFFIXES = ("", "", "？", "??", "呀", "啊", " 主播", "～", "。", "！")
PIN_EVERY_MS = 30_000
PRICE_EVERY_MS = 45_000


def questions(count: int, seed: int) -> list[tuple[str, str]]:
    """(text, viewer_id) pairs: hand-written questions with chat noise, 20,000 viewers."""
    rng = random.Random(seed)
    pool = [item["text"] for path in (EVAL, BLIND) for item in load_items(path)]
    return [
        (
            rng.choice(PREFIXES) + rng.choice(pool) + rng.choice(SUFFIXES),
            f"v{rng.randrange(20_000)}",
        )
        for _ in range(count)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, object]:
    catalog = eval_catalog()
    product_ids = [state.item.product_id for state in catalog.products()]
    log: AnswerLog = InMemoryAnswerLog()
    con = None
    if args.duckdb:
        con = duckdb.connect(args.duckdb)
        log = DuckDBAnswerLog(con, background=not args.foreground_log)
    room = QaRoom(
        Answerer(catalog), log=log, merge_window_ms=0 if args.no_merge else args.window_ms
    )
    total = args.rate * args.seconds
    offered = questions(total, args.seed)
    rng = random.Random(args.seed + 1)
    latencies_ms: list[float] = []
    kinds: Counter[str] = Counter()
    interval = 1.0 / args.rate
    next_pin = next_price = 0
    start = time.perf_counter()
    for index, (text, viewer) in enumerate(offered):
        due = start + index * interval
        while (now := time.perf_counter()) < due:
            if due - now > 0.002:
                time.sleep(due - now - 0.001)
        at_ms = T0_MS + round((due - start) * 1000)  # event time follows the schedule
        if at_ms >= next_pin:
            event = ProductPin(
                ts=at_ms, room_id="r", session_id="s", platform="sim",
                product_id=rng.choice(product_ids),
            )  # fmt: skip
            room.apply(event)
            next_pin = at_ms + PIN_EVERY_MS
        if at_ms >= next_price:
            product = catalog.get(rng.choice(product_ids))
            assert product is not None
            floor = product.item.product.floor_price_minor
            price = rng.randrange(floor, product.item.product.list_price_minor + 1)
            room.apply(
                PriceChange(
                    ts=at_ms, room_id="r", session_id="s", platform="sim",
                    product_id=product.item.product_id, price_minor=price, currency="CNY",
                )
            )  # fmt: skip
            next_price = at_ms + PRICE_EVERY_MS
        decision = room.ask(text, at_ms, viewer_id=viewer)
        done = time.perf_counter()
        latencies_ms.append((done - due) * 1000)
        if decision is None:
            kinds["not a question"] += 1
        elif decision.record.status != "answered":
            kinds[decision.record.status] += 1
        elif decision.say is None:
            kinds["answered by reference"] += 1
        elif decision.record.merged:
            kinds["answered for several (好几位…)"] += 1
        else:
            kinds["answered anew"] += 1
    elapsed = time.perf_counter() - start
    if isinstance(log, DuckDBAnswerLog):
        log.close()
    return {
        "rate_target": args.rate,
        "rate_achieved": round(total / elapsed),
        "questions": total,
        "distinct_texts": len({text for text, _ in offered}),
        "merge_window_ms": 0 if args.no_merge else args.window_ms,
        "log": (
            f"duckdb qa_answers ({args.duckdb}), "
            + ("flushed on the answering thread" if args.foreground_log else "background writer")
            if args.duckdb
            else "in-memory"
        ),
        "latency_ms": {
            "p50": round(percentile(latencies_ms, 50), 3),
            "p90": round(percentile(latencies_ms, 90), 3),
            "p99": round(percentile(latencies_ms, 99), 3),
            "max": round(max(latencies_ms), 3),
        },
        "outcomes": dict(kinds.most_common()),
        "records": len(room.log.records()),
        "machine": f"{platform.node()}, {os.cpu_count()} cores, python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=2_000, help="questions per second offered")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--window-ms", type=int, default=10_000, help="merge window")
    parser.add_argument("--no-merge", action="store_true", help="answer every question anew")
    parser.add_argument(
        "--duckdb",
        nargs="?",
        const=":memory:",
        metavar="FILE",
        help="log to a DuckDB qa_answers table (in memory, or in FILE: a store file)",
    )
    parser.add_argument(
        "--foreground-log",
        action="store_true",
        help="with --duckdb: flush on the answering thread (the API's logs use a writer thread)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
