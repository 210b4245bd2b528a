"""The information layer on the real Bilibili recording, which has no shop."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from livelens.events.pseudonymise import Pseudonymiser
from livelens.information.analysis import analyze_session
from livelens.ingest import ingest
from livelens.sources.bilibili_tidy import read_bilibili_tidy
from livelens.store.duckdb import DuckDBStore


class _Tidy:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __iter__(self):  # type: ignore[no-untyped-def]
        return read_bilibili_tidy(self.folder)


def test_metrics_that_need_products_say_they_are_not_available(
    tmp_path: Path, shared_data: Path, pseudonymiser: Pseudonymiser
) -> None:
    with DuckDBStore(tmp_path / "bili.duckdb") as store:
        ingest(
            [_Tidy(shared_data / "live" / "bilibili-2021-12-30")],
            store,
            pseudonymiser,
            now=datetime(2026, 11, 28, tzinfo=UTC),
        )
        events = store.events("bili-11365-20211230")
    analysis = analyze_session(events)
    metrics = analysis.metrics
    assert metrics.totals.comments == 41_108  # every danmaku row of the room
    assert metrics.products is None
    assert metrics.funnel is None
    assert (metrics.totals.gmv_minor, metrics.totals.ctr, metrics.totals.orders) == (None,) * 3
    assert "products" in metrics.unavailable
    assert "online" in metrics.unavailable  # no joins in this room: the platform count is used
    assert metrics.totals.peak_online == max(c for c in metrics.series.online_reported if c)
    kinds = {i.kind for i in analysis.insights}
    assert not kinds & {"top_product", "funnel_leak", "promo_effect"}
    assert "peak_window" in kinds  # comments alone still show when the room was busiest
