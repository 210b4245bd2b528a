"""Distinct viewers per minute: the counts are those of the distinct (minute, viewer) pairs,
whatever the batches and their order, and survive a snapshot."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from livelens.engine.distinct_minutes import DistinctPerMinute

PAIRS = st.lists(
    st.tuples(st.integers(29_000_000, 29_000_030), st.sampled_from(["a", "b", "c", "d"])),
    max_size=60,
)


@given(pairs=PAIRS, cut=st.integers(0, 60), first=st.integers(28_999_995, 29_000_010))
def test_counts_are_the_distinct_pairs_per_minute(
    pairs: list[tuple[int, str]], cut: int, first: int
) -> None:
    distinct = DistinctPerMinute()
    for batch in (pairs[cut:], pairs[:cut]):  # two batches, the later one first
        distinct.add(np.array([m for m, _ in batch], np.int64), [v for _, v in batch])
    unique = set(pairs)
    assert distinct.counts(first, 20) == [
        sum(1 for m, _ in unique if m == first + i) for i in range(20)
    ]
    assert distinct.snapshot() == sorted(unique)
    restored = DistinctPerMinute.restore(distinct.snapshot())
    assert restored.counts(first, 20) == distinct.counts(first, 20)
