"""Evidence dicts become bounded, checkable rows."""

from __future__ import annotations

from typing import Any

import pytest

from livelens.reports.evidence import MAX_ROWS, EvidenceRow, evidence_rows

NAMES = {"sku-a": "羊绒毛衣", "p-x": "小雪"}


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ({"clicks": 1166}, [("clicks", "1,166")]),
        ({"gmv_minor": 15766020}, [("gmv_minor", "15,766,020 (¥157,660.20)")]),
        ({"share": 0.28171}, [("share", "0.2817")]),
        ({"p_value": 5.4e-07}, [("p_value", "5.4e-07")]),
        ({"viewer_minutes": 30343.0}, [("viewer_minutes", "30,343.0")]),
        ({"significant": True, "lift": None}, [("significant", "是 yes"), ("lift", "—")]),
        ({"product_id": "sku-a"}, [("product_id", "sku-a（羊绒毛衣）")]),
        ({"personas": ["p-x", "p-y"]}, [("personas", "p-x（小雪）, p-y")]),
        ({"tied_with": []}, [("tied_with", "—")]),
        (
            {"before": {"orders": 10, "gmv_per_minute_minor": 163438.0}},
            [("before.orders", "10"), ("before.gmv_per_minute_minor", "163,438.0 (¥1,634.38)")],
        ),
        (
            {"rate": {"value": 10.1177, "low": 8.5705, "high": 11.6649}},
            [("rate", "10.12 [8.57 – 11.66]")],
        ),
        (
            {"windows": [{"start": 1}, {"start": 2}]},
            [("windows[0].start", "1"), ("windows[1].start", "2")],
        ),
    ],
)
def test_evidence_rows(evidence: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert evidence_rows(evidence, "CNY", NAMES) == [
        EvidenceRow(key=key, value=value) for key, value in expected
    ]


def test_large_evidence_is_bounded() -> None:
    rows = evidence_rows({f"k{i}": i for i in range(500)} | {"long": "长" * 1000}, "CNY", {})
    assert len(rows) == MAX_ROWS
    assert rows[-1].value == f"另有 {501 - MAX_ROWS + 1} 项 ({501 - MAX_ROWS + 1} more)"
    assert all(len(r.value) <= 200 for r in rows)
