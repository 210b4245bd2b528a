"""Executing a recommendation: the events its action puts in the live, and its measured window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from livelens.events.codec import encode_event
from livelens.events.schema import PersonaSwitch, ProductPin, PromoStart
from livelens.knowledge.execution import EXECUTION_SOURCE, execution_events
from livelens.knowledge.outcomes import action_window, measure_recommendation, window_complete
from livelens.knowledge.recommender import Recommendation
from livelens.knowledge.uplift import measure_outcome
from livelens.testing import make_recommendation

AT = datetime(2026, 11, 11, 12, 14, 30, tzinfo=UTC)


def _recommendation(action: str, target: dict[str, Any], duration_s: int = 300) -> Recommendation:
    return make_recommendation(
        action,
        12,
        recommendation_id=f"s1:{action}:12",
        session_id="s1",
        room_id="r1",
        action=action,
        target=target,
        duration_s=duration_s,
    )


def test_a_flash_discount_is_a_promo_of_its_product_percent_and_price() -> None:
    target = {"product": "p1", "persona": "host-a", "percent": 15.0, "price_minor": 8_500}
    (event,) = execution_events(_recommendation("flash_discount", target), "douyin", AT)
    assert event == PromoStart(
        event_id=f"{EXECUTION_SOURCE}:s1:flash_discount:12",
        ts=AT,
        room_id="r1",
        session_id="s1",
        platform="douyin",
        promo_id="s1:flash_discount:12",
        product_id="p1",
        discount_pct=15.0,
        price_minor=8_500,
        duration_s=300,
    )
    assert b'"type":"promo.start"' in encode_event(event)


def test_a_pin_and_a_persona_switch_are_their_events_and_the_rest_have_none() -> None:
    (pin,) = execution_events(_recommendation("pin_product", {"product": "p2"}), "sim", AT)
    assert isinstance(pin, ProductPin)
    assert (pin.product_id, pin.ts, pin.session_id) == ("p2", AT, "s1")
    (switch,) = execution_events(_recommendation("switch_persona", {"persona": "b"}), "sim", AT)
    assert isinstance(switch, PersonaSwitch)
    assert switch.persona_id == "b"
    for action, target in (
        ("coupon_drop", {"amount_minor": 500}),
        ("lucky_bag", {"amount_minor": 500}),
        ("script_cue", {}),
    ):
        assert execution_events(_recommendation(action, target), "sim", AT) == []


@pytest.mark.parametrize(
    ("duration_s", "window", "complete_at"),
    [(300, (13, 5), 18), (60, (13, 1), 14), (30, (13, 1), 14), (600, (13, 10), 23)],
)
def test_the_window_starts_the_minute_after_and_is_measured_once_complete(
    duration_s: int, window: tuple[int, int], complete_at: int
) -> None:
    recommendation = _recommendation("pin_product", {"product": "p2"}, duration_s)
    assert action_window(recommendation) == window
    assert not window_complete(recommendation, complete_at - 1)
    assert window_complete(recommendation, complete_at)


def test_the_measure_is_the_ledgers_before_after_on_the_window() -> None:
    gmv = [100.0 + 7 * (i % 3) for i in range(13)] + [160.0, 150.0, 170.0, 155.0, 165.0] + [90.0]
    recommendation = _recommendation("flash_discount", {"product": "p1"})
    found = measure_recommendation(recommendation, gmv)
    assert found == measure_outcome(gmv, 13, 5)
    assert found is not None
    assert found.effect == pytest.approx(160.0 / (sum(gmv[3:13]) / 10) - 1)
