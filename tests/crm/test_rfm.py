"""RFM scores, segments, engagement and migration: tables of cases and hypothesis invariants."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from crm_data import purchases
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.crm.engagement import compute_engagement
from livelens.crm.rfm import compute_rfm, customers_in, score_quantiles
from livelens.crm.segments import (
    NOT_YET,
    SEGMENTS,
    assign_segments,
    migrate,
    segment_name,
    segment_sizes,
    to_five,
)
from livelens.crm.summary import summarise
from livelens.errors import InvalidInput

AS_OF = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("values", "bins", "higher_is_better", "expected"),
    [
        ([10, 20, 30, 40, 50], 5, True, [1, 2, 3, 4, 5]),
        ([50, 40, 30, 20, 10], 5, True, [5, 4, 3, 2, 1]),
        ([10, 20, 30, 40, 50], 5, False, [5, 4, 3, 2, 1]),
        (list(range(10)), 5, True, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        ([1, 1, 1, 1, 1], 5, True, [1, 1, 1, 1, 1]),  # all tied: all the lowest score
        ([1, 1, 1, 2, 3], 5, True, [1, 1, 1, 4, 5]),  # ties share a score
        ([7.5], 5, True, [1]),
        ([3, 1, 2], 3, True, [3, 1, 2]),
        ([0, 1, 2, 3], 2, True, [1, 1, 2, 2]),
    ],
)
def test_score_quantiles(
    values: list[float], bins: int, higher_is_better: bool, expected: list[int]
) -> None:
    scores = score_quantiles(np.array(values), bins, higher_is_better=higher_is_better)
    assert scores.tolist() == expected


@pytest.mark.parametrize("bins", [0, 1, 101])
def test_bins_out_of_range_are_refused(bins: int) -> None:
    with pytest.raises(InvalidInput, match="bins must be between 2 and 100"):
        score_quantiles(np.array([1.0, 2.0]), bins)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300),
    bins=st.integers(2, 12),
)
def test_scores_are_in_1_to_k_and_monotone(values: list[float], bins: int) -> None:
    array = np.array(values)
    scores = score_quantiles(array, bins)
    assert scores.min() == 1
    assert scores.max() <= bins
    order = np.argsort(array, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)  # a better value never scores lower
    same = array[:, None] == array[None, :]
    assert np.all((scores[:, None] == scores[None, :])[same])  # ties share a score


@st.composite
def transactions(draw: st.DrawFn) -> list[tuple[str, str, float]]:
    customers = draw(st.integers(1, 40))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, customers - 1),
                st.integers(0, 120),
                st.floats(0.01, 5_000, allow_nan=False),
            ),
            min_size=1,
            max_size=200,
        )
    )
    start = AS_OF - timedelta(days=120)
    return [(f"c{c}", (start + timedelta(days=d)).isoformat(), a) for c, d, a in rows]


@settings(max_examples=100, deadline=None)
@given(rows=transactions(), bins=st.sampled_from([3, 4, 5, 10]))
def test_segment_sizes_sum_to_the_customers(rows: list[tuple[str, str, float]], bins: int) -> None:
    table = compute_rfm(summarise(purchases(rows), AS_OF), bins=bins)
    customers = len({r[0] for r in rows})
    assert len(table) == customers
    assert sum(table.sizes().values()) == customers
    assert list(table.sizes()) == list(SEGMENTS)
    for scores in (table.r, table.f, table.m):
        assert scores.min() >= 1
        assert scores.max() <= bins
    assert int(table.frequency.sum()) == len({(r[0], r[1]) for r in rows})  # per calendar day
    assert table.monetary.sum() == pytest.approx(sum(r[2] for r in rows))


def test_rfm_of_a_small_book() -> None:
    rows = [
        ("ann", "2026-11-29", 500.0),
        ("ann", "2026-11-20", 300.0),
        ("ann", "2026-11-20", 200.0),  # same day: one purchase of 500
        ("ann", "2026-10-01", 400.0),
        ("bob", "2026-06-01", 20.0),
        ("cat", "2026-11-28", 35.0),
        ("dan", "2026-07-15", 900.0),
        ("dan", "2026-08-15", 900.0),
        ("dan", "2026-09-15", 900.0),
        ("eve", "2026-12-05", 50.0),  # after as_of: ignored
    ]
    rows += [(f"g{n}", f"2026-10-1{n}", 100.0 * n) for n in range(1, 7)]
    table = compute_rfm(summarise(purchases(rows), AS_OF))
    result = {row["customer_id"]: row for row in table.rows()}
    assert len(result) == 10
    assert "eve" not in result
    assert table.summary.after_as_of == 1
    assert result["ann"] == {
        "customer_id": "ann",
        "recency_days": 1,
        "frequency": 3,
        "monetary": 1400.0,
        "r": 5,
        "f": 5,
        "m": 5,
        "segment": "champions",
    }
    assert [result["g1"][k] for k in ("r", "f", "m")] == [2, 1, 2]
    assert result["bob"]["segment"] == "lost"  # long ago, once, little
    assert result["cat"]["segment"] == "new"  # recent, once, little
    assert result["dan"]["segment"] == "cant_lose"  # spent most, often, not lately
    assert customers_in(table, "champions").to_pylist() == ["ann"]


def test_fewer_customers_than_bins_leave_top_scores_unused() -> None:
    table = compute_rfm(
        summarise(purchases([("a", "2026-11-01", 5.0), ("b", "2026-11-02", 9)]), AS_OF)
    )
    assert table.r.tolist() == [1, 3]
    assert table.m.tolist() == [1, 3]


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (5, 4, 3, "champions"),
        (5, 1, 1, "new"),
        (5, 2, 3, "potential_loyalists"),
        (4, 1, 1, "promising"),
        (4, 5, 5, "loyal"),
        (3, 4, 4, "loyal"),
        (3, 2, 3, "need_attention"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cant_lose"),
        (2, 1, 2, "hibernating"),
        (1, 1, 1, "lost"),
    ],
)
def test_segment_grid(r: int, f: int, m: int, segment: str) -> None:
    codes = assign_segments(*(np.array([v], dtype=np.int8) for v in (r, f, m)), bins=5)
    assert SEGMENTS[codes[0]] == segment


def test_every_cell_of_the_grid_has_a_segment_and_every_segment_a_cell() -> None:
    grid = np.array([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)])
    codes = assign_segments(*(grid[:, i].astype(np.int8) for i in range(3)), bins=5)
    assert set(segment_sizes(codes)) == set(SEGMENTS)
    assert all(n > 0 for n in segment_sizes(codes).values())


@pytest.mark.parametrize(
    ("bins", "scores", "expected"),
    [(5, [1, 3, 5], [1, 3, 5]), (3, [1, 2, 3], [1, 3, 5]), (10, [1, 2, 5, 6, 10], [1, 1, 3, 3, 5])],
)
def test_other_bin_counts_map_onto_the_quintile_grid(
    bins: int, scores: list[int], expected: list[int]
) -> None:
    assert to_five(np.array(scores, dtype=np.int8), bins).tolist() == expected


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("Can't lose", "cant_lose"), ("need-attention", "need_attention"), (" LOST ", "lost")],
)
def test_segment_names_accept_the_usual_spellings(spelling: str, name: str) -> None:
    assert segment_name(spelling) == name


def test_unknown_segment_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown segment 'vip'; expected one of champions"):
        segment_name("vip")


def test_migration_counts_who_moved_where() -> None:
    rows = [
        ("ann", "2026-06-01", 100.0),
        ("ann", "2026-11-25", 100.0),
        ("bob", "2026-06-02", 80.0),
        ("cat", "2026-11-20", 60.0),
    ]
    table = purchases(rows)
    before = compute_rfm(summarise(table, date(2026, 6, 30)))
    after = compute_rfm(summarise(table, AS_OF))
    moved = migrate(before.customer_id, before.segment, after.customer_id, after.segment)
    total = sum(sum(row.values()) for row in moved.matrix.values())
    assert total == 3
    assert moved.matrix[NOT_YET] == {SEGMENTS[after.segment[2]]: 1}  # cat is new
    assert ("cat", NOT_YET, SEGMENTS[after.segment[2]]) in moved.moves
    assert moved.stayed + len(moved.moves) == 3


def test_migration_to_the_same_date_moves_no_one() -> None:
    table = compute_rfm(
        summarise(purchases([("a", "2026-11-01", 5.0), ("b", "2026-11-02", 9)]), AS_OF)
    )
    moved = migrate(table.customer_id, table.segment, table.customer_id, table.segment)
    assert moved.moves == []
    assert moved.stayed == 2


def _events(rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """Events as (type, ISO time, session, viewer)."""
    return pa.table(
        {
            "type": [r[0] for r in rows],
            "ts": pa.array([datetime.fromisoformat(r[1]) for r in rows], pa.timestamp("us", "UTC")),
            "session_id": [r[2] for r in rows],
            "viewer_id": [r[3] or None for r in rows],
        }
    )


def test_engagement_watch_time_sessions_and_comments() -> None:
    events = _events(
        [
            ("viewer.join", "2026-11-01T10:00:00+00:00", "s1", "v_a"),
            ("comment", "2026-11-01T10:05:00+00:00", "s1", "v_a"),
            ("viewer.leave", "2026-11-01T10:30:00+00:00", "s1", "v_a"),
            ("viewer.join", "2026-11-01T10:40:00+00:00", "s1", "v_a"),  # no leave: to session end
            ("online.count", "2026-11-01T11:00:00+00:00", "s1", ""),
            ("viewer.join", "2026-11-02T10:00:00+00:00", "s2", "v_a"),
            ("viewer.join", "2026-11-02T10:10:00+00:00", "s2", "v_a"),  # re-join: split at it
            ("viewer.leave", "2026-11-02T10:20:00+00:00", "s2", "v_a"),
            ("comment", "2026-11-02T10:01:00+00:00", "s2", "v_b"),
            ("viewer.join", "2026-12-09T10:00:00+00:00", "s3", "v_b"),  # after as_of
            ("viewer.leave", "2026-12-09T11:00:00+00:00", "s3", "v_b"),
        ]
    )
    engagement = compute_engagement(events, AS_OF)
    assert engagement.viewer_id.to_pylist() == ["v_a", "v_b"]
    assert engagement.watch_seconds.tolist() == [(30 + 20 + 20) * 60.0, 0.0]
    assert engagement.sessions.tolist() == [2, 1]
    assert engagement.comments.tolist() == [1, 1]
    aligned = engagement.aligned_to(pa.array(["v_b", "v_z", "v_a"]))
    assert aligned.sessions.tolist() == [1, 0, 2]


def test_engagement_score_joins_rfm() -> None:
    rows = [(f"v_{n}", "2026-11-20", 10.0 * (n + 1)) for n in range(5)]
    events = _events(
        [
            ("comment", "2026-11-20T10:00:00+00:00", "s1", f"v_{n}")
            for n in range(5)
            for _ in range(n)
        ]
        + [("viewer.join", "2026-11-20T09:00:00+00:00", "s1", "v_4")]
    )
    table = compute_rfm(
        summarise(purchases(rows), AS_OF), engagement=compute_engagement(events, AS_OF)
    )
    assert table.e is not None
    assert table.e.min() >= 1
    assert table.e.max() <= 5
    assert table.e[4] == table.e.max()  # most comments and the only watcher
    assert {"watch_minutes", "sessions", "comments", "e"} <= set(table.rows()[0])
