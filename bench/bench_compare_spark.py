"""Benchmark: livelens vs plain pandas vs PySpark Structured Streaming on the same micro-batches.

Runs in the optional comparison environment (``make bench-compare``: .venv-compare with
bench/requirements-compare.txt), never in livelens's own. The same simulated events (default
60 min x 20,000 peak viewers) are cut into micro-batches of ``--batch-rows`` and folded by:

* livelens: ``LiveEngine.process`` per batch, ``finish()``, ``metrics_of`` — its full metric set
  (viewer sessions with watermarks and timeouts, online series, personas, promos, ...);
* pandas: each batch ``to_pandas()``, ``groupby`` added to the running per-minute and per-product
  tables, distinct viewers kept as frames grown with ``concat`` + ``drop_duplicates``;
* Spark: the batches as Parquet files read by a file stream source (``maxFilesPerTrigger=1``, one
  file per micro-batch, ``Trigger.AvailableNow``), ``local[2]``, two queries (counts: ``groupBy``
  minute/type/product; distinct viewers: ``dropDuplicates`` then ``groupBy``), complete mode to
  the memory sink. The Spark session starts before the clock does.

The shared metric set: per-minute comments, likes, clicks, orders, GMV, entries, exits; distinct
clickers and buyers per minute; per-product clicks, orders, GMV; the funnel on distinct viewers;
unique viewers. Each result is checked against livelens's before its speed is reported.

    .venv-compare/bin/python bench/bench_compare_spark.py [--batch-rows 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from livelens.engine.live import LiveEngine
from livelens.engine.windows import MINUTE_US
from livelens.information.compute import metrics_of
from livelens.sources.simulator import SimulationConfig
from session_events import simulated_events

PER_MINUTE = (
    "comments",
    "likes",
    "clicks",
    "orders",
    "gmv_minor",
    "entries",
    "exits",
    "clickers",
    "buyers",
)
# Summary: {"minute": {metric: {epoch minute: n}}, "product": {id: {metric: n}}, "funnel": {...}}
Summary = dict[str, dict[str, Any]]
COUNTED_TYPES = {  # per-minute metric -> (event type, what is summed)
    "comments": ("comment", "n"),
    "likes": ("like", "likes"),
    "clicks": ("product.click", "n"),
    "orders": ("order.paid", "n"),
    "gmv_minor": ("order.paid", "gmv"),
    "entries": ("viewer.join", "n"),
    "exits": ("viewer.leave", "n"),
}


# livelens ---------------------------------------------------------------------------------
def run_livelens(table: pa.Table, batch_rows: int) -> Summary:
    engine = LiveEngine()
    for offset in range(0, table.num_rows, batch_rows):
        engine.process(table.slice(offset, batch_rows))
    engine.finish()
    (state,) = engine.sessions.values()
    metrics = metrics_of(state)
    first = state.first_us // MINUTE_US
    series = metrics.series
    assert metrics.funnel is not None
    assert metrics.products is not None
    return {
        "minute": {
            name: {first + i: v for i, v in enumerate(getattr(series, name)) if v}
            for name in PER_MINUTE
        },
        "product": {
            p.product_id: {"clicks": p.clicks, "orders": p.orders, "gmv_minor": p.gmv_minor}
            for p in metrics.products
        },
        "funnel": {
            "unique_viewers": metrics.totals.unique_viewers,
            "entered": metrics.funnel.entered,
            "clicked": metrics.funnel.clicked,
            "carted": metrics.funnel.carted,
            "ordered": metrics.funnel.ordered,
        },
    }


# pandas -----------------------------------------------------------------------------------
class PandasMetrics:
    """The straightforward pandas way: groupby per batch, added to running tables."""

    COLUMNS = ("type", "ts", "viewer_id", "count", "product_id", "amount_minor")

    def __init__(self) -> None:
        self.per_minute: pd.DataFrame | None = None
        self.products: pd.DataFrame | None = None
        empty = pd.DataFrame({"minute": pd.Series(dtype="datetime64[us, UTC]"), "viewer_id": []})
        self.distinct = {
            "seen": empty[["viewer_id"]],
            "clicked": empty[["viewer_id"]],
            "carted": empty[["viewer_id"]],
            "ordered": empty[["viewer_id"]],
            "clickers": empty,
            "buyers": empty,
        }

    def process(self, batch: pa.Table) -> None:
        df = batch.select(list(self.COLUMNS)).to_pandas()
        df["minute"] = df["ts"].dt.floor("min")
        counts = df.groupby(["minute", "type"]).agg(
            n=("type", "size"), likes=("count", "sum"), gmv=("amount_minor", "sum")
        )
        self.per_minute = (
            counts if self.per_minute is None else self.per_minute.add(counts, fill_value=0)
        )
        products = (
            df[df["product_id"].notna()]
            .groupby(["product_id", "type"])
            .agg(n=("type", "size"), gmv=("amount_minor", "sum"))
        )
        self.products = (
            products if self.products is None else self.products.add(products, fill_value=0)
        )
        viewers = df[df["viewer_id"].notna()]
        clicks = viewers[viewers["type"] == "product.click"]
        orders = viewers[viewers["type"] == "order.paid"]
        new = {
            "seen": viewers[["viewer_id"]],
            "clicked": clicks[["viewer_id"]],
            "carted": viewers.loc[viewers["type"] == "cart.add", ["viewer_id"]],
            "ordered": orders[["viewer_id"]],
            "clickers": clicks[["minute", "viewer_id"]],
            "buyers": orders[["minute", "viewer_id"]],
        }
        for name, rows in new.items():
            self.distinct[name] = pd.concat([self.distinct[name], rows]).drop_duplicates()

    def result(self) -> Summary:
        assert self.per_minute is not None
        assert self.products is not None
        per_minute = self.per_minute.reset_index()
        per_minute["minute"] = per_minute["minute"].astype("int64") // MINUTE_US
        minute: dict[str, dict[int, int]] = {}
        for name, (kind, column) in COUNTED_TYPES.items():
            rows = per_minute[per_minute["type"] == kind]
            minute[name] = {
                int(m): int(v) for m, v in zip(rows["minute"], rows[column], strict=True) if v
            }
        for name in ("clickers", "buyers"):
            sizes = self.distinct[name].groupby("minute").size()
            minute[name] = {
                int(m.value // 1000 // MINUTE_US): int(v) for m, v in sizes.items()
            }  # Timestamp.value is in ns
        products = self.products.reset_index()
        product: dict[str, dict[str, int]] = {}
        for row in products.itertuples(index=False):
            tally = product.setdefault(row.product_id, {"clicks": 0, "orders": 0, "gmv_minor": 0})
            if row.type == "product.click":
                tally["clicks"] = int(row.n)
            elif row.type == "order.paid":
                tally["orders"], tally["gmv_minor"] = int(row.n), int(row.gmv)
        seen = len(self.distinct["seen"])
        return {
            "minute": minute,
            "product": product,
            "funnel": {
                "unique_viewers": seen,
                "entered": seen,
                "clicked": len(self.distinct["clicked"]),
                "carted": len(self.distinct["carted"]),
                "ordered": len(self.distinct["ordered"]),
            },
        }


def run_pandas(table: pa.Table, batch_rows: int) -> Summary:
    metrics = PandasMetrics()
    for offset in range(0, table.num_rows, batch_rows):
        metrics.process(table.slice(offset, batch_rows))
    return metrics.result()


# Spark ------------------------------------------------------------------------------------
def spark_session() -> Any:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("livelens-compare")
        .config("spark.sql.shuffle.partitions", "2")  # the default 200 is for clusters
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.streaming.numRecentProgressUpdates", "10000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def write_batches(table: pa.Table, batch_rows: int, folder: Path) -> int:
    folder.mkdir(parents=True)
    files = 0
    for offset in range(0, table.num_rows, batch_rows):
        pq.write_table(table.slice(offset, batch_rows), folder / f"batch-{files:05d}.parquet")
        files += 1
    return files


def run_spark(spark: Any, folder: Path, work: Path) -> tuple[Summary, float, dict[str, float]]:
    """Both queries over the files in ``folder``; (summary, wall s, median batch ms per query)."""
    from pyspark.sql import functions as F

    schema = spark.read.parquet(str(folder)).schema
    events = (
        spark.readStream.schema(schema)
        .option("maxFilesPerTrigger", 1)
        .parquet(str(folder))
        .select(
            "type",
            "viewer_id",
            "count",
            "product_id",
            "amount_minor",
            F.expr("unix_micros(ts) div 60000000").alias("minute"),
        )
    )
    counts = events.groupBy("minute", "type", "product_id").agg(
        F.count(F.lit(1)).alias("n"),
        F.sum("count").alias("likes"),
        F.sum("amount_minor").alias("gmv"),
    )
    kind, no_minute = F.col("type"), F.lit(-1).cast("long")

    def fact(name: str, minute: Any, when: Any = None) -> Any:
        value = F.struct(F.lit(name).alias("k"), minute.alias("m"))
        return value if when is None else F.when(when, value)

    facts = (
        events.where(F.col("viewer_id").isNotNull())
        .select(
            "viewer_id",
            F.explode(
                F.array(
                    fact("seen", no_minute),
                    fact("clicked", no_minute, kind == "product.click"),
                    fact("carted", no_minute, kind == "cart.add"),
                    fact("ordered", no_minute, kind == "order.paid"),
                    fact("clickers", F.col("minute"), kind == "product.click"),
                    fact("buyers", F.col("minute"), kind == "order.paid"),
                )
            ).alias("f"),
        )
        .where(F.col("f").isNotNull())
        .select("f.k", "f.m", "viewer_id")
    )
    distinct = facts.dropDuplicates(["k", "m", "viewer_id"]).groupBy("k", "m").count()
    tag = work.name
    started = time.perf_counter()
    queries = [
        frame.writeStream.outputMode("complete")
        .format("memory")
        .queryName(f"{name}_{tag}")
        .option("checkpointLocation", str(work / name))
        .trigger(availableNow=True)
        .start()
        for name, frame in (("counts", counts), ("distinct", distinct))
    ]
    for query in queries:
        query.awaitTermination()
    wall = time.perf_counter() - started
    batch_ms = {}
    for name, query in zip(("counts", "distinct"), queries, strict=True):
        times = list(
            p["durationMs"]["triggerExecution"] for p in query.recentProgress if p["numInputRows"]
        )
        batch_ms[name] = float(statistics.median(times)) if times else float("nan")
    counted = spark.table(f"counts_{tag}").toPandas()
    distinct_rows = spark.table(f"distinct_{tag}").toPandas()
    return _spark_summary(counted, distinct_rows), wall, batch_ms


def _spark_summary(counted: pd.DataFrame, distinct_rows: pd.DataFrame) -> Summary:
    minute: dict[str, dict[int, int]] = {}
    by_minute = counted.groupby(["minute", "type"])[["n", "likes", "gmv"]].sum().reset_index()
    for name, (kind, column) in COUNTED_TYPES.items():
        rows = by_minute[by_minute["type"] == kind]
        minute[name] = {
            int(m): int(v) for m, v in zip(rows["minute"], rows[column], strict=True) if v
        }
    for name in ("clickers", "buyers"):
        rows = distinct_rows[distinct_rows["k"] == name]
        minute[name] = {int(m): int(v) for m, v in zip(rows["m"], rows["count"], strict=True)}
    product: dict[str, dict[str, int]] = {}
    for row in counted[counted["product_id"].notna()].itertuples(index=False):
        tally = product.setdefault(row.product_id, {"clicks": 0, "orders": 0, "gmv_minor": 0})
        if row.type == "product.click":
            tally["clicks"] += int(row.n)
        elif row.type == "order.paid":
            tally["orders"] += int(row.n)
            tally["gmv_minor"] += int(row.gmv)
    totals = {
        k: int(v) for k, v in zip(distinct_rows["k"], distinct_rows["count"], strict=True) if k
    }
    totals = {k: v for k, v in totals.items() if k in ("seen", "clicked", "carted", "ordered")}
    return {
        "minute": minute,
        "product": product,
        "funnel": {
            "unique_viewers": totals.get("seen", 0),
            "entered": totals.get("seen", 0),
            "clicked": totals.get("clicked", 0),
            "carted": totals.get("carted", 0),
            "ordered": totals.get("ordered", 0),
        },
    }


# Comparison -------------------------------------------------------------------------------
def differences(reference: Summary, other: Summary) -> list[str]:
    """Where ``other`` differs from ``reference`` (missing counts are zero)."""
    out = []
    for name in PER_MINUTE:
        ref, got = reference["minute"][name], other["minute"][name]
        wrong = [m for m in sorted(set(ref) | set(got)) if ref.get(m, 0) != got.get(m, 0)]
        if wrong:
            m = wrong[0]
            out.append(
                f"{name}: {len(wrong)} minutes differ (e.g. minute {m}: "
                f"livelens {ref.get(m, 0)}, here {got.get(m, 0)}; totals "
                f"{sum(ref.values())} vs {sum(got.values())})"
            )
    empty = {"clicks": 0, "orders": 0, "gmv_minor": 0}
    for product in sorted(set(reference["product"]) | set(other["product"])):
        ref = {k: reference["product"].get(product, empty).get(k, 0) for k in empty}
        got = {k: other["product"].get(product, empty).get(k, 0) for k in empty}
        if ref != got:
            out.append(f"product {product}: livelens {ref}, here {got}")
    if reference["funnel"] != other["funnel"]:
        out.append(f"funnel: livelens {reference['funnel']}, here {other['funnel']}")
    return out


def timed(run: Callable[[], Summary]) -> tuple[Summary, float]:
    gc.collect()
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def verdict(reference: Summary, result: Summary) -> str:
    check = differences(reference, result)
    return "results agree with livelens" if not check else "RESULTS DIFFER: " + "; ".join(check)


def rates(events: int, seconds: list[float]) -> str:
    median = statistics.median(seconds)
    runs = ", ".join(f"{events / s:,.0f}" for s in seconds)
    return f"median {events / median:>10,.0f} events/s (runs: {runs})"


def compare(
    table: pa.Table, batch_rows: int, args: argparse.Namespace, spark: Any, tmp: Path
) -> None:
    """Runs interleaved (livelens, pandas, Spark, livelens, ...) so drift hits all alike."""
    events = table.num_rows
    print(f"\n## micro-batches of {batch_rows:,} rows ({events:,} events)", flush=True)
    ours: list[float] = []
    pandas_s: list[float] = []
    spark_s: list[float] = []
    checks: dict[str, str] = {}
    folder = Path(tmp) / f"batches-{batch_rows}"
    files = write_batches(table, batch_rows, folder) if spark is not None else 0
    for run in range(max(args.runs, 0 if spark is None else args.spark_runs)):
        if run < args.runs:
            reference, seconds = timed(lambda: run_livelens(table, batch_rows))
            ours.append(seconds)
            result, seconds = timed(lambda: run_pandas(table, batch_rows))
            pandas_s.append(seconds)
            checks["pandas"] = verdict(reference, result)
        if spark is not None and run < args.spark_runs:
            work = Path(tmp) / f"spark_{batch_rows}_{run}"
            result, wall, batch_ms = run_spark(spark, folder, work)
            spark_s.append(wall)
            checks["spark"] = verdict(reference, result)
            per_query = ", ".join(f"{name} {ms:,.0f} ms" for name, ms in batch_ms.items())
            print(
                f"  spark run {run}: {files} files (micro-batches), {wall:.1f} s wall, "
                f"{events / wall:,.0f} events/s; median micro-batch time: {per_query}",
                flush=True,
            )
    print(f"  livelens {rates(events, ours)}")
    print(f"  pandas   {rates(events, pandas_s)}; {checks['pandas']}")
    paired = sorted(p / o for o, p in zip(ours, pandas_s, strict=True))
    print(
        f"  livelens / pandas = {statistics.median(paired):.2f}x (median over paired runs; "
        f"range {paired[0]:.2f}-{paired[-1]:.2f})"
    )
    if spark_s:
        print(f"  spark    {rates(events, spark_s)}; {checks['spark']}")
        ratio = statistics.median(spark_s) / statistics.median(ours)
        print(f"  livelens / spark = {ratio:.1f}x (medians)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--peak-viewers", type=int, default=20_000)
    parser.add_argument("--batch-rows", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--runs", type=int, default=3, help="for livelens and pandas")
    parser.add_argument("--spark-runs", type=int, default=3, help="per batch size")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--cache", type=Path, help="keep the simulated events here (Parquet)")
    args = parser.parse_args()
    import pyspark

    print(
        f"# livelens vs pandas vs Spark — python {platform.python_version()}, "
        f"pyarrow {pa.__version__}, pandas {pd.__version__}, pyspark {pyspark.__version__}, "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start"
    )
    table = simulated_events(
        SimulationConfig(minutes=args.minutes, peak_viewers=args.peak_viewers), args.cache
    )
    spark = None if args.no_spark else spark_session()
    with tempfile.TemporaryDirectory(prefix="livelens-compare-") as tmp:
        for batch_rows in args.batch_rows:
            compare(table, batch_rows, args, spark, Path(tmp))
    if spark is not None:
        spark.stop()
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (above ~1: others shared the cores)")


if __name__ == "__main__":
    main()
