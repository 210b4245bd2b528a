"""Demand forecasting benchmark: nowcasts for 200 products × 240 minutes, and the daily backtest.

Goal (forecasting issue): nowcasts for 200 products refreshed every minute in ≤ 1 s of CPU.
Run: ``.venv/bin/python bench/bench_forecast.py``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from livelens.intelligence.backtest import backtest
from livelens.intelligence.forecast import daily_demand
from livelens.intelligence.nowcast import nowcast_arrays

RETAIL_II = (
    Path(__file__).parents[1]
    / ".."
    / "shared"
    / "data"
    / "retail"
    / "online_retail_II_2009-2010.parquet"
)


def bench_nowcast(products: int, minutes: int, runs: int) -> list[float]:
    rng = np.random.default_rng(0)
    rates = rng.gamma(0.5, 2.0, size=(products, 1))
    orders = rng.poisson(rates, size=(products, minutes + runs))
    gmv = orders * rng.integers(1_000, 50_000, size=(products, 1))
    cpu: list[float] = []
    for run in range(runs):  # one refresh per minute, the window sliding by one minute
        start = time.process_time()
        nowcast_arrays(orders[:, run : run + minutes], gmv[:, run : run + minutes])
        cpu.append(time.process_time() - start)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--minutes", type=int, default=240)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--series", type=int, default=10)
    args = parser.parse_args()
    cpu = bench_nowcast(args.products, args.minutes, args.runs)
    print(
        f"nowcast {args.products} products × {args.minutes} min, 3 horizons: "
        f"median {statistics.median(cpu) * 1e3:.1f} ms CPU, max {max(cpu) * 1e3:.1f} ms "
        f"over {args.runs} refreshes (goal ≤ 1000 ms)"
    )
    start = time.perf_counter()
    table = pq.read_table(RETAIL_II, columns=["InvoiceDate", "StockCode", "Quantity"])
    series = daily_demand(table, "InvoiceDate", "StockCode", "Quantity", top=args.series)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    report = backtest(series, origins=8, horizon=14)
    elapsed = time.perf_counter() - start
    print(
        f"daily series build: {loaded:.2f} s; backtest {args.series} series × 8 origins × 14 days "
        f"(ets_x, seasonal naive, naive): {elapsed:.2f} s ({elapsed / args.series:.2f} s/series)"
    )
    print(
        f"ets_x beats seasonal naive on {report.beats_seasonal_naive}/{len(report.series)} series; "
        f"median MASE ratio {report.median_mase_ratio}"
    )
    for row in report.series:
        print(
            f"  {row.series_id:>8}  MASE ets_x {row.mase['ets_x']:.3f}  "
            f"snaive {row.mase['seasonal_naive']:.3f}  naive {row.mase['naive']:.3f}  "
            f"cov80 {row.coverage80['ets_x']:.2f}  cov95 {row.coverage95['ets_x']:.2f}"
        )


if __name__ == "__main__":
    main()
