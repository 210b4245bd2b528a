"""BG/NBD and Gamma-Gamma: published CDNOW parameters, gradients, agreement with lifetimes."""

from __future__ import annotations

import itertools

import lifetimes  # the reference implementation (a dev dependency)
import numpy as np
import pandas as pd
import pytest
from crm_data import CDNOW_END, simulate_bgnbd
from scipy.optimize import check_grad

from livelens.crm import bgnbd, gamma_gamma
from livelens.crm.bgnbd import (
    BgNbdParams,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from livelens.crm.clv import fit_bgnbd_inputs, model_inputs
from livelens.crm.gamma_gamma import GammaGammaParams, expected_spend, fit_gamma_gamma
from livelens.crm.summary import summarise
from livelens.crm.transactions import Transactions
from livelens.errors import InvalidInput

# Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
# Pareto/NBD model", Marketing Science 24(2), 275-284, section 4 (CDNOW 1/10 sample, 2,357
# customers, 39-week calibration): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
# lifetimes' documentation ("Quickstart", BetaGeoFitter on cdnow_customers_summary) quotes the same.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", on the 946 repeat customers of
# the same sample: p = 6.25, q = 3.74, γ = 15.44; lifetimes' docs (GammaGammaFitter on
# cdnow_customers_summary_with_transactions) quote p 6.2502, q 3.7451, v 15.4476.
PUBLISHED_GAMMA_GAMMA = {"p": 6.2502, "q": 3.7451, "v": 15.4476}


def _within(fitted: dict[str, float], published: dict[str, float], tolerance: float) -> None:
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=tolerance), (name, fitted)


def test_cdnow_summary_matches_the_published_calibration_data(cdnow: Transactions) -> None:
    """Our summary of the raw transactions is FHL's: 2,357 customers, x, t_x and T in weeks."""
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    path = f"{lifetimes.__path__[0]}/datasets/cdnow_customers_summary_with_transactions.csv"
    published = pd.read_csv(path)  # ID, x, t_x, T, zbar rounded to 2 decimals
    order = np.argsort(inputs.customer_id.cast("int64").to_numpy())
    assert len(inputs.x) == len(published) == 2357
    assert np.array_equal(inputs.x[order], published["x"].to_numpy())
    assert np.allclose(inputs.t_x[order], published["t_x"], atol=0.005)
    assert np.allclose(inputs.T[order], published["T"], atol=0.005)
    assert np.allclose(inputs.m[order], published["zbar"], atol=0.0051)


def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(cdnow: Transactions) -> None:
    """FHL 2005 (Marketing Science 24(2)), section 4: r 0.243, α 4.414, a 0.793, b 2.426 —
    reproduced from the raw CDNOW_sample.txt (lifetimes wheel) within 1%; LL −9582.4."""
    fit = fit_bgnbd_inputs(model_inputs(summarise(cdnow.table, CDNOW_END), "week"))
    _within(fit.params.as_dict(), PUBLISHED_BGNBD, 0.01)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.customers == 2357


def test_gamma_gamma_reproduces_fader_hardie_2013_on_cdnow(cdnow: Transactions) -> None:
    """Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value": p 6.25, q 3.74, v 15.44
    (lifetimes: 6.2502, 3.7451, 15.4476) on the 946 CDNOW customers with repeat purchases."""
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    fit = fit_gamma_gamma(inputs.x, inputs.m)
    _within(fit.params.as_dict(), PUBLISHED_GAMMA_GAMMA, 0.01)
    assert fit.customers == 946


def test_predictions_match_lifetimes_at_the_same_parameters(cdnow: Transactions) -> None:
    """P(alive), E[Y(t)] and E[M] equal lifetimes' (the reference implementation) to 1e-6."""
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    params = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    reference = lifetimes.BetaGeoFitter()
    reference.params_ = pd.Series(params.as_dict())
    x, t_x, T = inputs.x, inputs.t_x, inputs.T
    expected_alive = reference.conditional_probability_alive(x, t_x, T)
    assert np.allclose(probability_alive(params, x, t_x, T), expected_alive, atol=1e-9)
    expected_39 = reference.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T)
    assert np.allclose(expected_purchases(params, 39, x, t_x, T), expected_39, rtol=1e-6)
    spend = GammaGammaParams(p=6.25, q=3.74, v=15.44)
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = pd.Series(spend.as_dict())
    repeat = x > 0
    expected_m = gg.conditional_expected_average_profit(
        pd.Series(x[repeat]), pd.Series(inputs.m[repeat])
    )
    assert np.allclose(expected_spend(spend, x[repeat], inputs.m[repeat]), expected_m, rtol=1e-9)


def test_bgnbd_gradient_is_the_derivative_of_the_likelihood(cdnow: Transactions) -> None:
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    data = bgnbd._Data(inputs.x, inputs.t_x, inputs.T, None)
    for theta in (np.log([0.3, 4.0, 0.8, 2.4]), np.log([2.0, 0.5, 3.0, 0.7])):
        error = check_grad(
            lambda t: bgnbd._objective(t, data)[0], lambda t: bgnbd._objective(t, data)[1], theta
        )
        assert error < 1e-5


def test_gamma_gamma_gradient_is_the_derivative_of_the_likelihood(cdnow: Transactions) -> None:
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    data = gamma_gamma._Data(*gamma_gamma._prepared(inputs.x, inputs.m))
    for theta in (np.log([6.0, 3.7, 15.0]), np.log([1.0, 1.5, 100.0])):
        error = check_grad(
            lambda t: gamma_gamma._objective(t, data)[0],
            lambda t: gamma_gamma._objective(t, data)[1],
            theta,
        )
        assert error < 1e-4


def test_weights_give_the_same_fit_as_repeated_rows() -> None:
    x, t_x, T = simulate_bgnbd(400, r=0.5, alpha=5.0, a=0.8, b=2.5, seed=7)
    counts = np.random.default_rng(8).integers(1, 4, len(x))
    weighted = fit_bgnbd(x, t_x, T, weights=counts)
    repeated = fit_bgnbd(np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts))
    for name, value in weighted.params.as_dict().items():
        assert value == pytest.approx(repeated.params.as_dict()[name], rel=1e-3)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    truth = {"r": 0.6, "alpha": 4.0, "a": 0.9, "b": 3.0}
    fit = fit_bgnbd(*simulate_bgnbd(50_000, **truth, seed=11))
    for name, value in truth.items():
        assert fit.params.as_dict()[name] == pytest.approx(value, rel=0.15), name


def test_likelihood_is_maximal_at_the_fit(cdnow: Transactions) -> None:
    inputs = model_inputs(summarise(cdnow.table, CDNOW_END), "week")
    fit = fit_bgnbd(inputs.x, inputs.t_x, inputs.T)
    p = fit.params
    for nudged in (
        BgNbdParams(p.r * 1.05, p.alpha, p.a, p.b),
        BgNbdParams(p.r, p.alpha * 0.95, p.a, p.b),
        BgNbdParams(p.r, p.alpha, p.a * 1.05, p.b),
        BgNbdParams(p.r, p.alpha, p.a, p.b * 0.95),
    ):
        assert bgnbd.log_likelihood(nudged, inputs.x, inputs.t_x, inputs.T) < fit.log_likelihood


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([], [], [], "no customers"),
        ([0, 0], [0, 0], [5, 6], "no customer has a repeat purchase"),
        ([1, -1], [2, 0], [5, 6], "whole x"),
        ([1, 0], [7, 0], [5, 6], "t_x ≤ T"),
        ([1, 0], [0, 0], [5, 6], "t_x > 0"),
    ],
)
def test_bgnbd_refuses_unusable_data(
    x: list[float], t_x: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        fit_bgnbd(x, t_x, T)


def test_gamma_gamma_refuses_too_few_repeat_customers() -> None:
    with pytest.raises(InvalidInput, match="at least 3 customers"):
        fit_gamma_gamma([0, 1, 2, 0], [0.0, 10.0, 0.0, 5.0])


def test_expected_spend_of_a_one_time_buyer_is_the_population_mean() -> None:
    params = GammaGammaParams(p=6.25, q=3.74, v=15.44)
    assert expected_spend(params, [0], [123.0])[0] == pytest.approx(params.population_mean)
    many = expected_spend(params, [1000], [40.0])[0]
    assert many == pytest.approx(40.0, rel=0.01)  # a long history dominates the prior


def test_expected_purchases_grow_with_the_horizon_and_start_at_zero() -> None:
    params = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x, t_x, T = np.array([0.0, 2, 7]), np.array([0.0, 30.4, 35.0]), np.array([38.9, 38.9, 38.9])
    values = [expected_purchases(params, t, x, t_x, T) for t in (0, 1, 10, 52, 104)]
    assert np.all(values[0] == 0)
    assert all(np.all(later > earlier) for earlier, later in itertools.pairwise(values))
