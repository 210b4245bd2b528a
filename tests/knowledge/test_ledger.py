"""The recommendation ledger's bookkeeping at its edges, and its pooling of both designs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import msgspec
import pytest

from livelens.errors import InvalidInput
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.recommender import Recommendation
from livelens.knowledge.uplift import (
    BEFORE_AFTER,
    PRIOR_SD,
    SWITCHBACK,
    Outcome,
    UpliftEstimate,
    estimate_uplift,
)
from livelens.testing import make_recommendation


def test_recording_nothing_adds_nothing() -> None:
    con = duckdb.connect()
    ledger = Ledger(con)
    assert ledger.record([]) == 0
    assert con.execute("SELECT count(*) FROM recommendation_ledger").fetchone() == (0,)


NOW = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def outcome(effect: float, se: float, design: str) -> Outcome:
    return Outcome(
        metric="gmv_per_minute",
        effect=effect,
        se=se,
        window_minutes=10,
        pre_minutes=10,
        design=design,
    )


def recommendation(playbook_id: str, minute: int) -> Recommendation:
    return make_recommendation(playbook_id, minute, start=NOW)


def test_estimates_pool_before_after_and_switchback_outcomes_by_precision() -> None:
    ledger = Ledger(duckdb.connect())
    before_after = [outcome(0.20, 0.10, BEFORE_AFTER), outcome(0.10, 0.10, BEFORE_AFTER)]
    made = [recommendation("discount", minute) for minute in range(len(before_after))]
    ledger.record(made)
    for r, measured in zip(made, before_after, strict=True):
        ledger.set_fate(r.recommendation_id, "accepted", "mgr", NOW)
        ledger.set_outcome(r.recommendation_id, measured)
    switchback = outcome(0.05, 0.02, SWITCHBACK)
    assert ledger.record_experiment("exp-1", "discount", switchback, "analyst", NOW) is False

    estimate = ledger.estimates()["discount"]

    # The same normal-normal pooling as estimate_uplift over all three: the switchback's
    # smaller error weighs it 25 times as much as each before/after outcome.
    expected = estimate_uplift("discount", [*before_after, switchback])
    assert estimate == expected
    assert estimate.outcomes == 3
    assert estimate.designs == {BEFORE_AFTER: 2, SWITCHBACK: 1}
    precision = 1 / PRIOR_SD**2 + 2 / 0.10**2 + 1 / 0.02**2
    assert estimate.mean == pytest.approx((0.30 / 0.10**2 + 0.05 / 0.02**2) / precision)
    assert estimate.mean < 0.07  # pulled toward the experiment, away from the before/after mean


def test_an_experiment_alone_makes_an_estimate_and_rerecording_replaces_it() -> None:
    ledger = Ledger(duckdb.connect())
    ledger.record_experiment("exp-1", "pin-hot", outcome(0.30, 0.05, SWITCHBACK), "a", NOW)
    later = NOW + timedelta(hours=1)
    again = outcome(0.10, 0.05, SWITCHBACK)
    assert ledger.record_experiment("exp-1", "pin-hot", again, "b", later) is True
    ledger.record_experiment("exp-2", "pin-hot", outcome(0.12, 0.05, SWITCHBACK), "a", NOW)

    recorded = ledger.experiments("pin-hot")
    assert [(e.session_id, e.outcome.effect, e.recorded_by) for e in recorded] == [
        ("exp-1", 0.10, "b"),
        ("exp-2", 0.12, "a"),
    ]
    assert recorded[0].recorded_at == later
    estimate = ledger.estimates()["pin-hot"]
    assert (estimate.outcomes, estimate.designs) == (2, {SWITCHBACK: 2})


def test_unexecuted_recommendations_do_not_count_but_experiments_do() -> None:
    ledger = Ledger(duckdb.connect())
    r = recommendation("discount", 1)
    ledger.record([r])
    ledger.set_outcome(r.recommendation_id, outcome(0.5, 0.1, BEFORE_AFTER))  # still pending
    assert ledger.estimates() == {}
    ledger.record_experiment("exp-1", "discount", outcome(0.05, 0.02, SWITCHBACK), "a", NOW)
    assert ledger.estimates()["discount"].designs == {SWITCHBACK: 1}


@pytest.mark.parametrize(
    ("playbook_id", "design", "needle"),
    [
        ("discount@v2", SWITCHBACK, "without @version"),
        ("", SWITCHBACK, "without @version"),
        ("discount", BEFORE_AFTER, "must have design"),
    ],
)
def test_invalid_experiment_outcomes_are_refused(
    playbook_id: str, design: str, needle: str
) -> None:
    ledger = Ledger(duckdb.connect())
    with pytest.raises(InvalidInput, match=needle):
        ledger.record_experiment("exp-1", playbook_id, outcome(0.1, 0.05, design), "a", NOW)
    assert ledger.experiments() == []


def test_old_estimates_without_designs_still_decode() -> None:
    old = b'{"playbook_id":"p","outcomes":1,"mean":0.1,"low":0.0,"high":0.2,"retire":false}'
    assert msgspec.json.decode(old, type=UpliftEstimate).designs == {}
