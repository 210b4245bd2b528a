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
from typing import Final, NamedTuple, NoReturn

import numpy as np

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
class Treatment:
    """An experiment run inside the session: while it is on, conversion is multiplied by ``lift``.

    ``windows_s`` are the treated spans, ``(start_s, end_s)`` in seconds from the session start
    with the end exclusive (a switchback schedule's treatment slices). As with the persona and
    discount lifts, the cart rate per click and the order rate per cart each take ``sqrt(lift)``,
    so conversion per click takes ``lift`` wherever no step rate reaches its cap.
    """

    windows_s: tuple[tuple[int, int], ...]
    lift: float


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
    treatment: Treatment | None = None  # None: no experiment, the session is as without the knob


class SeedStreams(NamedTuple):
    """Independent random streams, so that one part's draws never shift another's.

    With them, a session without the reviews corpus has the same events as one with it, apart from
    the opinion texts, and the host's plan does not change when the audience logic does.
    """

    hot_product: np.random.SeedSequence
    plan: np.random.SeedSequence
    opinions: np.random.SeedSequence
    audience: np.random.SeedSequence
    run: np.random.SeedSequence


def seed_streams(seed: int) -> SeedStreams:
    return SeedStreams(*np.random.SeedSequence(seed).spawn(len(SeedStreams._fields)))


def generator(seed: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated config with every default resolved."""

    config: SimulationConfig
    session_id: str
    seconds: int
    peak_window: tuple[int, int]  # minutes from the start, end exclusive
    persona_lift: Mapping[str, float]  # every persona, in registry order
    hot_product_id: str
    seeds: SeedStreams


def default_peak_window(minutes: int) -> tuple[int, int]:
    start = round(minutes * _PEAK_START_SHARE)
    end = max(round(minutes * _PEAK_END_SHARE), start + 1)
    return (start, end) if end <= minutes else (minutes - 1, minutes)


def _reject(parameter: str, given: object, allowed: str) -> NoReturn:
    msg = f"simulation parameter {parameter}={given!r} is invalid: {allowed}"
    raise InvalidInput(msg)


def _check_int(parameter: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _reject(parameter, value, f"expected an integer from {low:,} to {high:,}")
    return value


def _check_lift(parameter: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_LIFT:
        _reject(parameter, value, f"expected a multiplier above 0 and at most {MAX_LIFT}")
    return float(value)


def _check_id(parameter: str, value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_LENGTH or value.strip() != value:
        _reject(parameter, value, f"expected a non-empty id of at most {_MAX_ID_LENGTH} characters")
    return value


def _check_peak_window(given: object, minutes: int) -> tuple[int, int]:
    allowed = f"expected (start_minute, end_minute) with 0 <= start < end <= minutes ({minutes})"
    if not isinstance(given, tuple | list) or len(given) != 2:
        _reject("peak_window", given, allowed)
    start, end = given
    for minute in (start, end):
        if isinstance(minute, bool) or not isinstance(minute, int):
            _reject("peak_window", given, allowed)
    if not 0 <= start < end <= minutes:
        _reject("peak_window", given, allowed)
    return (start, end)


def _check_treatment(treatment: object, seconds: int) -> None:
    if not isinstance(treatment, Treatment):
        _reject("treatment", treatment, "expected a Treatment(windows_s, lift) or None")
    _check_lift("treatment.lift", treatment.lift)
    allowed = f"expected (start_s, end_s) spans with 0 <= start < end <= {seconds}, in order"
    previous_end = 0
    for window in treatment.windows_s:
        if not isinstance(window, tuple | list) or len(window) != 2:
            _reject("treatment.windows_s", window, allowed)
        start, end = window
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)):
            _reject("treatment.windows_s", window, allowed)
        if not previous_end <= start < end <= seconds:
            _reject("treatment.windows_s", window, allowed)
        previous_end = end


def resolve_scenario(
    config: SimulationConfig,
    product_ids: Sequence[str],
    persona_ids: Sequence[str],
) -> Scenario:
    """Validate ``config`` against the catalog and persona registry; fill in the defaults.

    Raises :class:`~livelens.errors.InvalidInput` naming the parameter, the value given and what
    is allowed.
    """
    minutes = _check_int("minutes", config.minutes, 1, MAX_MINUTES)
    _check_int("peak_viewers", config.peak_viewers, 1, MAX_PEAK_VIEWERS)
    seeds = seed_streams(_check_int("seed", config.seed, 0, 2**63 - 1))
    _check_id("room_id", config.room_id)
    session_id = _check_id(
        "session_id", f"sim-{config.seed}" if config.session_id is None else config.session_id
    )
    if not isinstance(config.start, datetime) or config.start.utcoffset() is None:
        _reject("start", config.start, "expected a timezone-aware datetime")
    _check_lift("discount_lift", config.discount_lift)
    if config.treatment is not None:
        _check_treatment(config.treatment, minutes * 60)

    peak_window = (
        default_peak_window(minutes)
        if config.peak_window is None
        else _check_peak_window(config.peak_window, minutes)
    )

    given_lift = DEFAULT_PERSONA_LIFT if config.persona_lift is None else config.persona_lift
    if not isinstance(given_lift, Mapping):
        _reject("persona_lift", given_lift, "expected a mapping of persona id to multiplier")
    unknown = sorted(set(given_lift) - set(persona_ids))
    if unknown:
        _reject(
            "persona_lift",
            dict(given_lift),
            f"unknown persona ids {unknown}; known: {list(persona_ids)}",
        )
    persona_lift = {
        persona_id: _check_lift(f"persona_lift[{persona_id!r}]", given_lift.get(persona_id, 1.0))
        for persona_id in persona_ids
    }

    if config.hot_product_id is None:
        hot_product_id = product_ids[int(generator(seeds.hot_product).integers(len(product_ids)))]
    else:
        hot_product_id = config.hot_product_id
    if hot_product_id not in product_ids:
        _reject("hot_product_id", config.hot_product_id, f"expected one of {list(product_ids)}")
    return Scenario(
        config=config,
        session_id=session_id,
        seconds=minutes * 60,
        peak_window=(peak_window[0], peak_window[1]),
        persona_lift=MappingProxyType(persona_lift),
        hot_product_id=hot_product_id,
        seeds=seeds,
    )
