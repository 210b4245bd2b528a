"""Sample-ratio checks against scipy's chi-square goodness of fit."""

from __future__ import annotations

import pytest
from scipy import stats

from livelens.knowledge.experiments.srm import check_sample_ratio


def test_as_designed_passes_and_p_matches_scipy() -> None:
    check = check_sample_ratio({"treatment": 52, "control": 48}, {"treatment": 1, "control": 1})
    reference = stats.chisquare([48, 52], [50, 50])
    assert check.p_value == pytest.approx(reference.pvalue)
    assert not check.mismatch
    assert check.message.startswith("sample ratio as designed")


def test_lopsided_split_is_flagged_with_a_warning() -> None:
    check = check_sample_ratio({"treatment": 300, "control": 400}, {"treatment": 1, "control": 1})
    assert check.mismatch
    assert "SAMPLE RATIO MISMATCH" in check.message


def test_unequal_design_shares_are_respected() -> None:
    check = check_sample_ratio(
        {"treatment": 300, "control": 600}, {"treatment": 30.0, "control": 60.0}
    )
    assert check.chi_square == pytest.approx(0.0)
    assert not check.mismatch
