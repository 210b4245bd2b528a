"""CUPED: theta is the OLS slope on the covariate; variance falls by corr**2; arms untouched."""

from __future__ import annotations

import numpy as np
import pytest

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.cuped import cuped_adjust


def test_theta_is_the_least_squares_slope_and_variance_falls_by_corr_squared() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(10, 2, 200)
    y = 3 + 0.8 * x + rng.normal(0, 1, 200)
    result = cuped_adjust(y, x)
    slope = np.polyfit(x, y, 1)[0]  # reference: numpy's least squares
    assert result.theta == pytest.approx(slope)
    corr = np.corrcoef(x, y)[0, 1]
    assert result.variance_reduction == pytest.approx(corr**2)
    assert result.adjusted.var() == pytest.approx(y.var() * (1 - corr**2))
    assert result.adjusted.mean() == pytest.approx(y.mean())


def test_constant_covariate_leaves_the_outcome_alone() -> None:
    y = np.array([1.0, 2.0, 4.0])
    result = cuped_adjust(y, np.ones(3))
    assert result.theta == 0.0
    assert result.adjusted.tolist() == y.tolist()


def test_shapes_must_match() -> None:
    with pytest.raises(InvalidInput, match="one covariate value per outcome"):
        cuped_adjust([1.0, 2.0, 3.0], [1.0, 2.0])
