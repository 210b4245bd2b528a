"""The knobs of a simulated session, their defaults and their validation.

The effect sizes (persona lift, discount lift, the peak window, the hot product) are knobs because
they are the ground truth that detectors, forecasts and reports are tested against: a test sets
them, simulates, and checks that the analysis finds them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Final

from livelens.errors import InvalidInput

MAX_MINUTES: Final = 24 * 60
MAX_PEAK_VIEWERS: Final = 10_000_000
MAX_LIFT: Final = 10.0
_MAX_ID_LENGTH: Final = 200  # room and session ids; event ids add a counter to the session id

DEFAULT_START: Final = datetime(2026, 11, 11, 20, 0, tzinfo=timezone(timedelta(hours=8)))
DEFAULT_PERSONA_LIFT: Final[Mapping[str, float]] = MappingProxyType(
    {"p-xiaoxue": 1.5, "p-aqiang": 1.0, "p-lingling": 0.8}
)
# The default peak window is minutes 10-25 of a 60-minute session, scaled to other lengths.
_PEAK_START_SHARE: Final = 10 / 60
_PEAK_END_SHARE: Final = 25 / 60


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One simulated live session. ``None`` means "derive a sensible default from the rest"."""

    minutes: int = 60
    peak_viewers: int = 2000
    seed: int = 0
    room_id: str = "sim-room-1"
    session_id: str | None = None
    start: datetime = DEFAULT_START
    persona_lift: Mapping[str, float] | None = None
    discount_lift: float = 1.8
    peak_window: tuple[int, int] | None = None
    hot_product_id: str | None = None
    reviews_path: Path | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated config with every default resolved."""

    config: SimulationConfig
    session_id: str
    seconds: int
    peak_window: tuple[int, int]  # minutes from the start, end exclusive
    persona_lift: Mapping[str, float]  # every persona, in registry order
    hot_product_id: str


def default_peak_window(minutes: int) -> tuple[int, int]:
    start = round(minutes * _PEAK_START_SHARE)
    end = max(round(minutes * _PEAK_END_SHARE), start + 1)
    return (start, end) if end <= minutes else (minutes - 1, minutes)


def _fail(parameter: str, given: object, allowed: str) -> InvalidInput:
    return InvalidInput(f"simulation parameter {parameter}={given!r} is invalid: {allowed}")


def _check_int(parameter: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(parameter, value, f"expected an integer from {low:,} to {high:,}")
    return value


def _check_lift(parameter: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_LIFT:
        raise _fail(parameter, value, f"expected a multiplier above 0 and at most {MAX_LIFT}")
    return float(value)


def _check_id(parameter: str, value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_LENGTH or value.strip() != value:
        raise _fail(
            parameter, value, f"expected a non-empty id of at most {_MAX_ID_LENGTH} characters"
        )
    return value


def resolve_scenario(
    config: SimulationConfig,
    product_ids: Sequence[str],
    persona_ids: Sequence[str],
    default_hot_product_id: str,
) -> Scenario:
    """Validate ``config`` against the catalog and persona registry; fill in the defaults.

    Raises :class:`~livelens.errors.InvalidInput` naming the parameter, the value given and what
    is allowed.
    """
    minutes = _check_int("minutes", config.minutes, 1, MAX_MINUTES)
    _check_int("peak_viewers", config.peak_viewers, 1, MAX_PEAK_VIEWERS)
    _check_int("seed", config.seed, 0, 2**63 - 1)
    _check_id("room_id", config.room_id)
    session_id = _check_id(
        "session_id", f"sim-{config.seed}" if config.session_id is None else config.session_id
    )
    if not isinstance(config.start, datetime) or config.start.utcoffset() is None:
        raise _fail("start", config.start, "expected a timezone-aware datetime")
    _check_lift("discount_lift", config.discount_lift)

    peak_window = (
        default_peak_window(minutes) if config.peak_window is None else tuple(config.peak_window)
    )
    if (
        len(peak_window) != 2
        or not all(isinstance(m, int) and not isinstance(m, bool) for m in peak_window)
        or not 0 <= peak_window[0] < peak_window[1] <= minutes
    ):
        raise _fail(
            "peak_window",
            config.peak_window,
            f"expected (start_minute, end_minute) with 0 <= start < end <= minutes ({minutes})",
        )

    given_lift = DEFAULT_PERSONA_LIFT if config.persona_lift is None else config.persona_lift
    unknown = sorted(set(given_lift) - set(persona_ids))
    if unknown:
        raise _fail(
            "persona_lift",
            dict(given_lift),
            f"unknown persona ids {unknown}; known: {list(persona_ids)}",
        )
    persona_lift = {
        persona_id: _check_lift(f"persona_lift[{persona_id!r}]", given_lift.get(persona_id, 1.0))
        for persona_id in persona_ids
    }

    hot_product_id = (
        default_hot_product_id if config.hot_product_id is None else config.hot_product_id
    )
    if hot_product_id not in product_ids:
        raise _fail("hot_product_id", config.hot_product_id, f"expected one of {list(product_ids)}")
    return Scenario(
        config=config,
        session_id=session_id,
        seconds=minutes * 60,
        peak_window=(peak_window[0], peak_window[1]),
        persona_lift=MappingProxyType(persona_lift),
        hot_product_id=hot_product_id,
    )
