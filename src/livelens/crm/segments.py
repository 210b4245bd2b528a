"""Named RFM segments from the R score and the combined F·M score, and migration between dates.

The grid (scores on the 1–5 scale; other bin counts are mapped onto it linearly, see
:func:`to_five`) follows the widely used 10-segment RFM map, with "lost" for the lowest corner:

====  =============  ===================  ===================  =========  =========
R\\FM  1              2                    3                    4          5
====  =============  ===================  ===================  =========  =========
5     new            potential_loyalists  potential_loyalists  champions  champions
4     promising      potential_loyalists  potential_loyalists  loyal      loyal
3     need_attention need_attention       need_attention       loyal      loyal
2     hibernating    hibernating          at_risk              at_risk    cant_lose
1     lost           lost                 at_risk              at_risk    cant_lose
====  =============  ===================  ===================  =========  =========
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.errors import InvalidInput

SEGMENTS: Final = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
NOT_YET: Final = "not_yet_customer"

_C, _L, _P, _N, _PR, _NA, _AR, _CL, _H, _LO = range(10)
# _GRID[r - 1][fm - 1] on the 1-5 scale.
_GRID: Final = np.array(
    [
        [_LO, _LO, _AR, _AR, _CL],
        [_H, _H, _AR, _AR, _CL],
        [_NA, _NA, _NA, _L, _L],
        [_PR, _P, _P, _L, _L],
        [_N, _P, _P, _C, _C],
    ],
    dtype=np.int8,
)

ScoreArray = npt.NDArray[np.int8]


def segment_name(text: str) -> str:
    """The canonical segment name for a spelling such as "Can't lose" or "need-attention"."""
    name = re.sub(r"[\s\-]+", "_", text.strip().lower().replace("'", "").replace("’", ""))
    if name not in SEGMENTS:
        msg = f"unknown segment {text!r}; expected one of {', '.join(SEGMENTS)}"
        raise InvalidInput(msg)
    return name


def to_five(scores: ScoreArray, bins: int) -> ScoreArray:
    """Map scores on 1..bins linearly onto 1..5 (round half up); identity for quintiles."""
    if bins == 5:
        return scores
    scaled = 1.0 + (scores.astype(np.float64) - 1.0) * 4.0 / (bins - 1)
    return np.floor(scaled + 0.5).astype(np.int8)


def assign_segments(
    recency: ScoreArray, frequency: ScoreArray, monetary: ScoreArray, bins: int
) -> ScoreArray:
    """Segment codes (indexes into :data:`SEGMENTS`); FM is ⌈(F + M) / 2⌉ on the 1–5 scale."""
    r5 = to_five(recency, bins).astype(np.int16)
    f5 = to_five(frequency, bins).astype(np.int16)
    m5 = to_five(monetary, bins).astype(np.int16)
    fm5 = (f5 + m5 + 1) // 2
    codes: ScoreArray = _GRID[r5 - 1, fm5 - 1]
    return codes


def segment_sizes(codes: ScoreArray) -> dict[str, int]:
    """Customers per segment, every segment listed (zero where empty), in :data:`SEGMENTS` order."""
    counts = np.bincount(codes.astype(np.int64), minlength=len(SEGMENTS))
    return {name: int(n) for name, n in zip(SEGMENTS, counts, strict=True)}


@dataclass(frozen=True, slots=True)
class Migration:
    """Who moved where between two dates: counts per (from, to) and the customers who moved."""

    matrix: dict[str, dict[str, int]]
    moves: list[tuple[object, str, str]]
    stayed: int


def migrate(
    before_ids: pa.Array, before: ScoreArray, after_ids: pa.Array, after: ScoreArray
) -> Migration:
    """Compare segment codes at two dates; a customer only in ``after`` comes from ``NOT_YET``.

    A customer only in ``before`` (possible when transactions were removed) goes to ``NOT_YET``.
    """
    index = pc.fill_null(pc.index_in(after_ids, value_set=before_ids), -1).to_numpy()
    known = index >= 0
    names = np.array((*SEGMENTS, NOT_YET), dtype=object)
    from_codes = np.full(len(after_ids), len(SEGMENTS), dtype=np.int64)
    from_codes[known] = before[index[known]]
    pairs: Counter[tuple[str, str]] = Counter()
    flat = from_codes * (len(SEGMENTS) + 1) + after.astype(np.int64)
    values, counts = np.unique(flat, return_counts=True)
    for value, count in zip(values, counts, strict=True):
        pairs[(names[value // (len(SEGMENTS) + 1)], names[value % (len(SEGMENTS) + 1)])] += int(
            count
        )
    gone = pc.invert(pc.is_in(before_ids, value_set=after_ids)).to_numpy(zero_copy_only=False)
    for code in before[gone]:
        pairs[(names[code], NOT_YET)] += 1
    matrix: dict[str, dict[str, int]] = {}
    for (source, target), count in sorted(pairs.items()):
        matrix.setdefault(source, {})[target] = count
    changed = np.flatnonzero(from_codes != after)
    ids = after_ids.take(pa.array(changed)).to_pylist()
    moves = [
        (customer, str(names[from_codes[i]]), str(names[after[i]]))
        for customer, i in zip(ids, changed, strict=True)
    ]
    before_list = before_ids.filter(pa.array(gone)).to_pylist()
    moves.extend(
        (customer, str(names[code]), NOT_YET)
        for customer, code in zip(before_list, before[gone], strict=True)
    )
    return Migration(matrix=matrix, moves=moves, stayed=int(len(after_ids) - len(changed)))
