"""The simulator's experiment knob: treated slices convert better by a known, recorded ratio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livelens.errors import InvalidInput
from livelens.events.schema import OrderPaid
from livelens.sources.simulator import (
    SimulationConfig,
    Treatment,
    build_session,
    load_truth,
    write_session,
)

EVEN = {"p-xiaoxue": 1.0, "p-aqiang": 1.0, "p-lingling": 1.0}


def test_without_treatment_the_truth_file_has_no_treatment_key(tmp_path: Path) -> None:
    truth = write_session(SimulationConfig(minutes=5, peak_viewers=50), tmp_path / "s.jsonl")
    assert truth.treatment is None
    assert b"treatment" not in (tmp_path / "s.truth.json").read_bytes()


def test_uncapped_treatment_ratio_is_the_lift(tmp_path: Path) -> None:
    config = SimulationConfig(
        minutes=20,
        peak_viewers=100,
        persona_lift=EVEN,
        discount_lift=1.5,
        treatment=Treatment(windows_s=((0, 300), (600, 900)), lift=1.4),
    )
    truth = write_session(config, tmp_path / "s.jsonl")
    assert truth.treatment is not None
    assert truth.treatment.conversion_ratio == pytest.approx(1.4)
    assert truth.treatment.gmv_ratio == pytest.approx(1.4)
    assert load_truth(tmp_path / "s.truth.json") == truth


def test_capped_step_rates_lower_the_true_ratio() -> None:
    config = SimulationConfig(
        minutes=20,
        peak_viewers=100,
        persona_lift={"p-xiaoxue": 3.0},
        treatment=Treatment(windows_s=((0, 600),), lift=2.0),
    )
    truth = build_session(config).truth
    assert truth.treatment is not None
    assert 1.0 < truth.treatment.conversion_ratio < 2.0


def test_treatment_raises_orders_in_treated_seconds_only() -> None:
    minutes = 60
    windows = tuple((start, start + 300) for start in range(0, minutes * 60, 600))
    rates = []
    for lift in (1.0, 3.0):
        config = SimulationConfig(
            minutes=minutes,
            peak_viewers=1000,
            seed=5,
            persona_lift=EVEN,
            discount_lift=1.0,
            treatment=Treatment(windows_s=windows, lift=lift),
        )
        run = build_session(config).run(funnel_only=True)
        run.simulate_outcomes()
        treated = np.zeros(minutes * 60, dtype=bool)
        for start, end in windows:
            treated[start + 120 : end] = True  # past the funnel's carry-over
        control = np.zeros(minutes * 60, dtype=bool)
        for _start, end in windows:
            control[end + 120 : end + 300] = True
        rates.append((run.orders_by_second[treated].mean(), run.orders_by_second[control].mean()))
    (t_off, c_off), (t_on, c_on) = rates
    # True ratio 3.0 on, 1.0 off; the spans are fixed, so compare the two sessions' gaps.
    assert (t_on / c_on) / (t_off / c_off) > 1.8
    assert 0.5 < t_off / c_off < 2.0


def test_tallies_match_the_events() -> None:
    session = build_session(SimulationConfig(minutes=5, peak_viewers=200, seed=2))
    run = session.run()
    paid = [e for batch in run.batches() for e in batch if isinstance(e, OrderPaid)]
    assert run.orders_by_second.sum() == len(paid) == run.orders
    assert run.gmv_minor_by_second.sum() == sum(e.amount_minor for e in paid)
    again = session.run()
    again.simulate_outcomes()
    assert again.orders_by_second.tolist() == run.orders_by_second.tolist()


@pytest.mark.parametrize(
    ("treatment", "needle"),
    [
        (Treatment(windows_s=((0, 30),), lift=0.0), "treatment.lift"),
        (Treatment(windows_s=((0, 700),), lift=1.2), "treatment.windows_s"),
        (Treatment(windows_s=((300, 400), (100, 200)), lift=1.2), "treatment.windows_s"),
    ],
)
def test_invalid_treatment_is_rejected(treatment: Treatment, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        build_session(SimulationConfig(minutes=10, treatment=treatment))
