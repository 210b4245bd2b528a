"""The knobs of a simulated session, their defaults and their validation.

The effect sizes (persona lift, discount lift, the peak window, the hot product) are knobs because
they are the ground truth that detectors, forecasts and reports are tested against: a test sets
them, simulates, and checks that the analysis finds them again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, NoReturn

import numpy as np
import numpy.typing as npt

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


TreatmentKind = Literal["lift", "persona", "discount"]
TREATMENT_KINDS: Final[tuple[TreatmentKind, ...]] = ("lift", "persona", "discount")
DEFAULT_EXPERIMENT_DISCOUNT_PCT: Final = 20


@dataclass(frozen=True, slots=True)
class Treatment:
    """An experiment run inside the session; ``windows_s`` are its treated spans.

    ``windows_s`` are ``(start_s, end_s)`` in seconds from the session start with the end
    exclusive (a switchback schedule's treatment slices). What the treatment is depends on
    ``kind``:

    * ``"lift"`` (the default): conversion is multiplied by ``lift`` in the treated spans. As
      with the persona and discount lifts, the cart rate per click and the order rate per cart
      each take ``sqrt(lift)``, so conversion per click takes ``lift`` wherever no step rate
      reaches its cap.
    * ``"persona"``: persona ``persona_id`` is on air in the treated spans and
      ``control_persona_id`` everywhere else, switched by ``host.persona_switch`` events; the
      effect is the personas' own ``persona_lift``. Defaults: the persona with the highest lift
      and, of the others, the one with the lowest (registry order breaks ties).
    * ``"discount"``: a flash discount of ``discount_pct`` percent on ``product_id`` (``None``:
      every product) runs in each treated span, announced by ``promo.start`` / ``promo.end``;
      the effect is the session's ``discount_lift`` and the lower price paid.

    ``lift`` must stay 1.0 for the persona and discount kinds: their effect comes from the
    simulator's own mechanisms, not from a separate multiplier.
    """

    windows_s: tuple[tuple[int, int], ...]
    lift: float = 1.0
    kind: TreatmentKind = "lift"
    persona_id: str | None = None
    control_persona_id: str | None = None
    discount_pct: int = DEFAULT_EXPERIMENT_DISCOUNT_PCT
    product_id: str | None = None


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


def cumulative_shares(shares: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The cumulative distribution of ``shares``, as ``Generator.choice`` computes it."""
    cdf = np.asarray(shares, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf


def draw_categories(
    rng: np.random.Generator, cdf: npt.NDArray[np.float64], count: int
) -> npt.NDArray[np.int64]:
    """``rng.choice(len(cdf), size=count, p=shares)`` for ``cdf = cumulative_shares(shares)``:
    the same draws and results, without ``choice``'s checks of ``p``, which cost ten times the
    draw in the engine's every simulated second."""
    return np.searchsorted(cdf, rng.random(count), side="right").astype(np.int64, copy=False)


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
    # The config's treatment with its defaults resolved (the personas of a persona experiment).
    treatment: Treatment | None = None


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


def _check_treatment(treatment: object, seconds: int) -> Treatment:
    if not isinstance(treatment, Treatment):
        _reject("treatment", treatment, "expected a Treatment(windows_s, ...) or None")
    if treatment.kind not in TREATMENT_KINDS:
        _reject("treatment.kind", treatment.kind, f"expected one of {list(TREATMENT_KINDS)}")
    _check_lift("treatment.lift", treatment.lift)
    if treatment.kind != "lift" and treatment.lift != 1.0:
        _reject(
            "treatment.lift",
            treatment.lift,
            f"a {treatment.kind} experiment's effect is the simulator's own; leave lift at 1.0",
        )
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
    return treatment


def _resolve_treatment(
    treatment: Treatment,
    persona_lift: Mapping[str, float],
    product_ids: Sequence[str],
) -> Treatment:
    """Check the kind's own fields; fill in a persona experiment's default personas."""
    if treatment.kind == "discount":
        _check_int("treatment.discount_pct", treatment.discount_pct, 1, 90)
        if treatment.product_id is not None and treatment.product_id not in product_ids:
            _reject(
                "treatment.product_id",
                treatment.product_id,
                f"expected None (every product) or one of {list(product_ids)}",
            )
        return treatment
    if treatment.kind != "persona":
        return treatment
    known = list(persona_lift)
    for parameter, given in (
        ("treatment.persona_id", treatment.persona_id),
        ("treatment.control_persona_id", treatment.control_persona_id),
    ):
        if given is not None and given not in persona_lift:
            _reject(parameter, given, f"expected None (the default) or one of {known}")
    on_air = treatment.persona_id or max(known, key=lambda p: persona_lift[p])
    others = [p for p in known if p != on_air]
    control = treatment.control_persona_id or min(others, key=lambda p: persona_lift[p])
    if control == on_air:
        _reject(
            "treatment.control_persona_id",
            control,
            "expected a persona other than treatment.persona_id",
        )
    return dataclasses.replace(treatment, persona_id=on_air, control_persona_id=control)


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
    treatment = (
        None if config.treatment is None else _check_treatment(config.treatment, minutes * 60)
    )

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
    if treatment is not None:
        treatment = _resolve_treatment(treatment, persona_lift, product_ids)
    return Scenario(
        config=config,
        session_id=session_id,
        seconds=minutes * 60,
        peak_window=(peak_window[0], peak_window[1]),
        persona_lift=MappingProxyType(persona_lift),
        hot_product_id=hot_product_id,
        seeds=seeds,
        treatment=treatment,
    )
