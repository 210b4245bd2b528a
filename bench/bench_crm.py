"""Benchmark: RFM on 1M customers / 10M transactions, and the BG/NBD + Gamma-Gamma fit on 1M
customers, against lifetimes (BetaGeoFitter, GammaGammaFitter) on the same input.

Transactions are drawn from the BG/NBD process itself (purchase rate λ ~ Gamma, drop-out after
each purchase with p ~ Beta, first purchases spread over a year, two years observed) with
lognormal spend, as a columnar table ``customer_id`` (int64 or ``v_…`` strings), ``day``,
``amount`` — the table :mod:`livelens.crm.transactions` produces. Timed:

* RFM: ``summarise`` (DuckDB: per customer-day, then per customer) + ``compute_rfm`` (numpy);
* fit: ``summarise`` + ``model_inputs`` + BG/NBD + Gamma-Gamma, and the two fits alone;
* CLV: ``customer_lifetime_value`` over 52 weeks (one run: ``hyp2f1`` per customer per step);
* lifetimes: ``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit`` on the same x, t_x, T and m
  (on ``--lifetimes-customers``, a subset, when the full size is too slow for it), as it comes
  and with BLAS limited to one thread as livelens does; the ratio takes lifetimes' faster run.

    .venv/bin/python bench/bench_crm.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from livelens.crm.bgnbd import fit_bgnbd
from livelens.crm.clv import customer_lifetime_value, fit_bgnbd_inputs, model_inputs
from livelens.crm.gamma_gamma import fit_gamma_gamma
from livelens.crm.rfm import compute_rfm
from livelens.crm.summary import summarise

START = date(2024, 1, 1)
AS_OF = START + timedelta(days=729)


def simulate(customers: int, seed: int) -> pa.Table:
    """About 10 purchases per customer from the BG/NBD process, in days, over two years."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 0.016, customers)  # purchases per day while alive: mean 1 per 31 days
    drop = rng.beta(1.2, 12.0, customers)  # drop-out chance after each purchase: mean 0.09
    first = rng.integers(0, 365, customers).astype(np.float64)
    ids, days = [np.arange(customers)], [first]
    now = first.copy()
    active = np.arange(customers)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / rate[active]
        bought = active[now[active] <= 729]
        ids.append(bought)
        days.append(np.floor(now[bought]))
        active = bought[rng.uniform(size=bought.size) >= drop[bought]]
    customer = np.concatenate(ids)
    day = np.concatenate(days).astype(np.int32)
    amount = np.round(rng.lognormal(3.5, 0.8, customer.size), 2)
    return pa.table(
        {
            "customer_id": customer,
            "day": pa.array(day + (START - date(1970, 1, 1)).days, pa.int32()).cast(pa.date32()),
            "amount": amount,
        }
    )


def timed(runs: int, work: Callable[[], Any]) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def show(label: str, seconds: list[float]) -> float:
    median = statistics.median(seconds)
    print(f"{label}: median {median:.2f} s, best {min(seconds):.2f} s over {len(seconds)} runs")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()

    table = simulate(args.customers, args.seed)
    threads = duckdb.sql("SELECT current_setting('threads')").fetchall()[0][0]
    print(
        f"{table.num_rows:,} transactions, {args.customers:,} customers; DuckDB "
        f"{duckdb.__version__} ({threads} threads), {len(os.sched_getaffinity(0))} CPUs, "
        f"Python {platform.python_version()}"
    )
    strings = table.set_column(
        0,
        "customer_id",
        pa.array([f"v_{n:020x}" for n in range(args.customers)]).take(table.column("customer_id")),
    )

    rfm_int, rfm = timed(args.runs, lambda: compute_rfm(summarise(table, AS_OF)))
    rfm_str, _ = timed(args.runs, lambda: compute_rfm(summarise(strings, AS_OF)))
    show("RFM, int64 ids (summarise + scores + segments)", rfm_int)
    show("RFM, 'v_…' string ids", rfm_str)
    print("segments:", rfm.sizes())

    summary = summarise(table, AS_OF)
    inputs = model_inputs(summary, "week")
    print(f"model inputs: {len(inputs.x):,} customers, distinct (x, t_x, T) "
          f"{len(inputs.distinct()[0]):,}, repeat buyers {(inputs.x > 0).sum():,}")  # fmt: skip

    def fit_both() -> tuple[Any, Any]:
        prepared = model_inputs(summarise(table, AS_OF), "week")
        return fit_bgnbd_inputs(prepared), fit_gamma_gamma(prepared.x, prepared.m)

    fit_s, (bg, gg) = timed(args.runs, fit_both)
    show(f"fit BG/NBD + Gamma-Gamma, {args.customers:,} customers (incl. summarise)", fit_s)
    models_s, _ = timed(
        args.runs, lambda: (fit_bgnbd_inputs(inputs), fit_gamma_gamma(inputs.x, inputs.m))
    )
    show("  of which the two fits from model inputs", models_s)
    print("  bgnbd", {k: round(v, 4) for k, v in bg.params.as_dict().items()},
          "iterations", bg.iterations)  # fmt: skip
    print("  gamma_gamma", {k: round(v, 4) for k, v in gg.params.as_dict().items()})

    predict_s, _ = timed(1, lambda: customer_lifetime_value(summary, horizon=52))
    show(f"CLV (fit + P(alive), E[Y], E[M], 52 discounted weeks), {args.customers:,} customers",
         predict_s)  # fmt: skip

    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    n = min(args.lifetimes_customers, args.customers)
    pick = np.random.default_rng(1).choice(args.customers, n, replace=False)
    x, t_x, T, m = inputs.x[pick], inputs.t_x[pick], inputs.T[pick], inputs.m[pick]
    repeat = x > 0

    def ours() -> None:
        fit_bgnbd(x, t_x, T)
        fit_gamma_gamma(x, m)

    def theirs() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = BetaGeoFitter().fit(pd.Series(x), pd.Series(t_x), pd.Series(T))
            GammaGammaFitter().fit(pd.Series(x[repeat]), pd.Series(m[repeat]))
        return fitted

    ours_s, _ = timed(args.runs, ours)
    theirs_s, reference = timed(1, theirs)
    with threadpool_limits(limits=1, user_api="blas"):
        theirs_one_s, _ = timed(1, theirs)
    a = show(f"livelens fit on {n:,} customers", ours_s)
    show(f"lifetimes fit on {n:,} customers", theirs_s)
    show("lifetimes fit, BLAS limited to one thread as ours", theirs_one_s)
    b = min(statistics.median(theirs_s), statistics.median(theirs_one_s))
    print("  lifetimes bgnbd", {k: round(float(v), 4) for k, v in reference.params_.items()})
    print(f"  ratio lifetimes / livelens: {b / a:.1f}x")


if __name__ == "__main__":
    main()
