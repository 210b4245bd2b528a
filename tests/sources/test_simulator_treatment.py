"""The simulator's experiment knob: treated slices convert better by a known, recorded ratio,
through a generic lift or through real actions (a persona on air, a flash discount)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from livelens.errors import InvalidInput
from livelens.events.codec import encode_lines
from livelens.events.schema import Event, OrderPaid, PersonaSwitch, PromoEnd, PromoStart
from livelens.sources.simulation.config import DEFAULT_START
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


SLICES = ((120, 240), (240, 360), (480, 600))  # two touching slices, then a gap


def _events(config: SimulationConfig) -> list[Event]:
    return list(build_session(config).events())


def _second(event: Event) -> int:
    assert isinstance(event.ts, datetime)
    return int((event.ts - DEFAULT_START).total_seconds())


def test_persona_experiment_puts_each_arm_on_air_and_says_so_in_events() -> None:
    config = SimulationConfig(
        minutes=12, peak_viewers=200, seed=3, treatment=Treatment(windows_s=SLICES, kind="persona")
    )
    truth = build_session(config).truth
    switches = [(_second(e), e.persona_id) for e in _events(config) if isinstance(e, PersonaSwitch)]
    # Highest lift (p-xiaoxue 1.5) on air in the treatment slices, lowest (p-lingling 0.8) in
    # between; the random rotation is gone: a switch only where the arm changes.
    assert switches == [
        (0, "p-lingling"),
        (120, "p-xiaoxue"),
        (360, "p-lingling"),
        (480, "p-xiaoxue"),
        (600, "p-lingling"),
    ]
    assert [(t.persona_id, t.start_s, t.end_s) for t in truth.persona_turns] == [
        ("p-lingling", 0, 120),
        ("p-xiaoxue", 120, 360),
        ("p-lingling", 360, 480),
        ("p-xiaoxue", 480, 600),
        ("p-lingling", 600, 720),
    ]
    treatment = truth.treatment
    assert treatment is not None
    assert (treatment.kind, treatment.persona_id, treatment.control_persona_id) == (
        "persona",
        "p-xiaoxue",
        "p-lingling",
    )
    assert treatment.lift == pytest.approx(1.5 / 0.8)
    assert treatment.conversion_ratio == pytest.approx(1.5 / 0.8)  # uncapped at these lifts
    assert treatment.gmv_ratio == pytest.approx(1.5 / 0.8)  # prices do not change


def test_persona_experiment_keeps_the_flash_promos_and_the_event_stream_valid() -> None:
    plain = build_session(SimulationConfig(minutes=20, peak_viewers=100, seed=1)).truth
    config = SimulationConfig(
        minutes=20,
        peak_viewers=100,
        seed=1,
        treatment=Treatment(
            windows_s=((0, 300), (600, 900)),
            kind="persona",
            persona_id="p-aqiang",
            control_persona_id="p-xiaoxue",
        ),
    )
    truth = build_session(config).truth
    assert truth.promos == plain.promos  # they fall on both arms alike
    assert truth.treatment is not None
    assert truth.treatment.conversion_ratio == pytest.approx(1.0 / 1.5)


def test_discount_experiment_runs_its_own_promos_and_suppresses_the_random_ones() -> None:
    # The hot product sells often enough to see both prices (the seed picks the same one).
    product = build_session(SimulationConfig(minutes=12, seed=3)).truth.hot_product_id
    config = SimulationConfig(
        minutes=12,
        peak_viewers=600,
        seed=3,
        treatment=Treatment(windows_s=SLICES, kind="discount", discount_pct=25, product_id=product),
    )
    session = build_session(config)
    events = _events(config)
    starts = [e for e in events if isinstance(e, PromoStart)]
    ends = [e for e in events if isinstance(e, PromoEnd)]
    assert [(_second(e), e.product_id, e.discount_pct, e.duration_s) for e in starts] == [
        (120, product, 25.0, 120),
        (240, product, 25.0, 120),
        (480, product, 25.0, 120),
    ]
    assert [(_second(e), e.promo_id) for e in ends] == [
        (240, starts[0].promo_id),
        (360, starts[1].promo_id),
        (600, starts[2].promo_id),
    ]
    # At 240 the first promo ends before the second starts.
    order = [e.promo_id for e in events if isinstance(e, PromoStart | PromoEnd)]
    assert order.index(starts[0].promo_id, 1) < order.index(starts[1].promo_id)
    # Orders of the product pay the discounted price inside the slices only.
    list_price = {p.product_id: p for p in session.reference.products}[product]
    paid = {
        _second(e): e.amount_minor // e.quantity
        for e in events
        if isinstance(e, OrderPaid) and e.product_id == product
    }
    treated = {second for second in paid if any(a <= second < b for a, b in SLICES)}
    inside = {price for second, price in paid.items() if second in treated}
    outside = {price for second, price in paid.items() if second not in treated}
    assert inside
    assert outside
    assert max(inside) < min(outside)
    assert all(price >= list_price.floor_price_minor for price in inside)
    truth = session.truth
    assert [p.product_id for p in truth.promos] == [product] * 3
    assert truth.treatment is not None
    assert (truth.treatment.kind, truth.treatment.discount_pct) == ("discount", 25)
    assert truth.treatment.product_id == product
    assert truth.treatment.gmv_ratio < truth.treatment.conversion_ratio


def test_discount_on_every_product_lifts_conversion_by_the_discount_lift() -> None:
    config = SimulationConfig(
        minutes=20,
        peak_viewers=100,
        persona_lift=EVEN,
        discount_lift=1.6,
        treatment=Treatment(windows_s=((0, 300), (600, 1200)), kind="discount"),
    )
    truth = build_session(config).truth
    assert len(truth.promos) == 2 * 8  # one per product per slice
    assert truth.treatment is not None
    assert truth.treatment.lift == 1.6
    assert truth.treatment.conversion_ratio == pytest.approx(1.6)  # clicks shift nowhere
    assert truth.treatment.gmv_ratio < 1.6


def test_experiment_truth_round_trips_and_a_lift_experiment_file_keeps_its_fields(
    tmp_path: Path,
) -> None:
    windows = ((0, 120),)
    persona = SimulationConfig(
        minutes=4, peak_viewers=50, treatment=Treatment(windows_s=windows, kind="persona")
    )
    truth = write_session(persona, tmp_path / "p.jsonl")
    assert load_truth(tmp_path / "p.truth.json") == truth
    lift = SimulationConfig(minutes=4, peak_viewers=50, treatment=Treatment(windows, lift=1.2))
    write_session(lift, tmp_path / "l.jsonl")
    stored = json.loads((tmp_path / "l.truth.json").read_bytes())["treatment"]
    assert set(stored) == {"lift", "windows_s", "conversion_ratio", "gmv_ratio"}


def test_experiment_sessions_are_deterministic() -> None:
    config = SimulationConfig(
        minutes=7,
        peak_viewers=100,
        seed=9,
        treatment=Treatment(windows_s=SLICES[:2], kind="discount"),
    )
    first = encode_lines(_events(config))
    assert first == encode_lines(_events(config))
    other = SimulationConfig(
        minutes=7,
        peak_viewers=100,
        seed=9,
        treatment=Treatment(windows_s=SLICES[:2], kind="persona"),
    )
    assert first != encode_lines(_events(other))


@pytest.mark.parametrize(
    ("treatment", "needle"),
    [
        (Treatment(windows_s=((0, 30),), kind="persona", lift=1.5), "treatment.lift"),
        (Treatment(windows_s=((0, 30),), kind="bogus"), "treatment.kind"),  # type: ignore[arg-type]
        (Treatment(windows_s=((0, 30),), kind="persona", persona_id="p-x"), "persona_id"),
        (
            Treatment(
                windows_s=((0, 30),),
                kind="persona",
                persona_id="p-aqiang",
                control_persona_id="p-aqiang",
            ),
            "control_persona_id",
        ),
        (Treatment(windows_s=((0, 30),), kind="discount", discount_pct=0), "discount_pct"),
        (Treatment(windows_s=((0, 30),), kind="discount", product_id="sku-x"), "product_id"),
    ],
)
def test_invalid_experiment_is_rejected(treatment: Treatment, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        build_session(SimulationConfig(minutes=10, treatment=treatment))
