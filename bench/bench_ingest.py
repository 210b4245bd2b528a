"""Benchmark: JSON Lines → decode + validate + pseudonymise + store (DuckDB file).

Writes a reproducible event mix (bench/workload.py), then ingests it in a fresh child process
so that the peak resident memory reported is the ingest's own. Prints events/s and peak RSS.

    .venv/bin/python bench/bench_ingest.py [--events 1000000] [--viewers 200000] [--workers 1]
        [--form canonical|json-dumps|type-last|no-id]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from workload import FORMS, write_workload

CHILD = """
import json, sys, time, resource
from datetime import UTC, datetime
from pathlib import Path
from livelens.events.pseudonymise import Pseudonymiser
from livelens.ingest import ingest
from livelens.sources.jsonl import JsonLinesFile
from livelens.store.duckdb import DuckDBStore

path, db, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
with DuckDBStore(db) as store:
    key, now = Pseudonymiser(b"b" * 32), datetime.now(UTC)
    report = ingest([JsonLinesFile(path)], store, key, now=now, workers=workers)
elapsed = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker's
print(json.dumps({"seconds": elapsed, "accepted": report.accepted, "peak_rss_kib": peak_kib,
                  "worker_peak_rss_kib": workers_kib}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--viewers", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="ingest's worker processes")
    parser.add_argument(
        "--form", choices=FORMS, default="canonical", help="how the producer wrote the events"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="livelens-bench-") as tmp:
        source = Path(tmp) / "events.jsonl"
        write_workload(source, args.events, args.viewers, form=args.form)
        size_mb = source.stat().st_size / 1e6
        results = []
        for run in range(args.runs):
            db = Path(tmp) / f"run{run}.duckdb"
            out = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", CHILD, str(source), str(db), str(args.workers)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout)
            if result["accepted"] != args.events:
                sys.exit(f"run {run}: accepted {result['accepted']} of {args.events} events")
            results.append(result)
            rate = args.events / result["seconds"]
            print(
                f"run {run}: {rate:,.0f} events/s ({size_mb / result['seconds']:.0f} MB/s), "
                f"peak RSS {result['peak_rss_kib'] / 1024:,.0f} MiB"
                + (
                    f" (+ workers, largest {result['worker_peak_rss_kib'] / 1024:,.0f} MiB each)"
                    if args.workers > 1
                    else ""
                )
            )
        best = min(r["seconds"] for r in results)
        median = sorted(r["seconds"] for r in results)[len(results) // 2]
        print(
            f"ingest jsonl→duckdb ({args.form}): {args.events:,} events ({size_mb:.0f} MB), "
            f"median {args.events / median:,.0f} events/s, "
            f"best {args.events / best:,.0f} events/s, "
            f"peak RSS {max(r['peak_rss_kib'] for r in results) / 1024:,.0f} MiB"
            f"{f' + {args.workers} workers' if args.workers > 1 else ''}; "
            f"{platform.processor() or platform.machine()}, {resource.getpagesize()} B pages, "
            f"python {platform.python_version()}"
        )


if __name__ == "__main__":
    main()
