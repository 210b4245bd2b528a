"""Sample-ratio checks: does the data match the design's split between arms?

A switchback fixes how many minutes each arm gets, so the minutes that hold data should split
the same way. A lopsided split (an ingest outage in one arm's slices, a treatment that breaks
the event feed) biases any comparison; a chi-square goodness-of-fit test flags it. The threshold
is strict (p < 0.001 by default), as is usual for SRM, since the check runs on every analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import msgspec
from scipy import stats

from livelens.errors import InvalidInput

DEFAULT_SRM_THRESHOLD: Final = 0.001


class SampleRatioCheck(msgspec.Struct, kw_only=True, frozen=True):
    observed: dict[str, int]
    expected: dict[str, float]
    chi_square: float
    p_value: float
    mismatch: bool
    message: str


def check_sample_ratio(
    observed: Mapping[str, int],
    expected_share: Mapping[str, float],
    threshold: float = DEFAULT_SRM_THRESHOLD,
) -> SampleRatioCheck:
    """Chi-square test of ``observed`` counts per arm against the design's ``expected_share``."""
    arms = sorted(expected_share)
    if sorted(observed) != arms:
        msg = f"sample-ratio check: arms {sorted(observed)} observed, {arms} designed"
        raise InvalidInput(msg)
    total_share = sum(expected_share.values())
    if total_share <= 0 or any(share <= 0 for share in expected_share.values()):
        msg = f"sample-ratio check: expected shares must be positive, got {dict(expected_share)}"
        raise InvalidInput(msg)
    total = sum(observed.values())
    expected = {arm: total * expected_share[arm] / total_share for arm in arms}
    if total == 0:
        return SampleRatioCheck(
            observed=dict(observed),
            expected=expected,
            chi_square=0.0,
            p_value=1.0,
            mismatch=True,
            message="no data in any arm: nothing to compare",
        )
    chi_square = sum((observed[arm] - expected[arm]) ** 2 / expected[arm] for arm in arms)
    p_value = float(stats.chi2.sf(chi_square, len(arms) - 1))
    mismatch = p_value < threshold
    split = ", ".join(f"{arm} {observed[arm]} (expected {expected[arm]:.1f})" for arm in arms)
    message = (
        f"SAMPLE RATIO MISMATCH (p={p_value:.2g} < {threshold}): {split}; do not trust the effect"
        " until the missing data is explained"
        if mismatch
        else f"sample ratio as designed (p={p_value:.2g}): {split}"
    )
    return SampleRatioCheck(
        observed=dict(observed),
        expected=expected,
        chi_square=float(chi_square),
        p_value=p_value,
        mismatch=mismatch,
        message=message,
    )
