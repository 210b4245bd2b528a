"""An experiment staged in the host's plan: who is on air and which discount runs, slice by slice.

A persona or a discount experiment (:class:`~livelens.sources.simulation.config.Treatment`) is a
change to the run of show, not a multiplier. The plan is drawn as always (so every draw a seed
makes stays what it was) and then restaged: in a persona experiment the treatment persona hosts
the treated spans and the control persona the rest, with a ``host.persona_switch`` wherever the
host changes; in a discount experiment each treated span gets its own flash discount
(``promo.start`` at the span's start, ``promo.end`` at its end, unless the span runs to the end of
the session), on one product or on every product. The effect then comes from the simulator's own
mechanisms, the persona lift and the discount lift (with the lower price paid), set per second by
:func:`~livelens.sources.simulation.world.build_world`.

While an experiment runs, the plan's own moves that would confound it are suppressed: a persona
experiment drops the random persona rotation (the experiment alone decides who hosts), a discount
experiment drops the random flash promos (a discount in a control slice would treat it). The
other moves stay, falling on both arms alike: a persona experiment keeps the flash promos, a
discount experiment the persona rotation, and both keep the pins and price cuts.

An experiment's discounts are run inside the room and do not buy the platform's promotion slot, so
unlike the plan's flash promos they leave the traffic target alone (:func:`promoted_seconds`): the
treatment changes conversion and price, never the audience, and the truth is a conversion ratio.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from livelens.errors import InvalidInput
from livelens.sources.simulation.catalog import ProductSpec
from livelens.sources.simulation.config import Treatment
from livelens.sources.simulation.schedule import (
    HostAction,
    HostActionKind,
    HostPlan,
    PersonaSegment,
    Promo,
    with_discounts,
)

BoolArray = npt.NDArray[np.bool_]


def treated_seconds(windows_s: Sequence[tuple[int, int]], seconds: int) -> BoolArray:
    treated = np.zeros(seconds, dtype=np.bool_)
    for start_s, end_s in windows_s:
        treated[start_s:end_s] = True
    return treated


def stage_experiment(
    plan: HostPlan,
    treatment: Treatment | None,
    specs: Sequence[ProductSpec],
    persona_ids: Sequence[str],
    session_id: str,
) -> HostPlan:
    """``plan`` with a persona or discount experiment staged in it; unchanged for other kinds.

    ``treatment`` is resolved (:func:`~livelens.sources.simulation.config.resolve_scenario`
    fills in a persona experiment's personas).
    """
    if treatment is None:
        return plan
    if treatment.kind == "persona":
        if treatment.persona_id is None or treatment.control_persona_id is None:
            msg = "a persona experiment's personas are unresolved; pass scenario.treatment"
            raise InvalidInput(msg)
        return _stage_personas(
            plan,
            treated_seconds(treatment.windows_s, len(plan.persona_by_second)),
            persona_ids.index(treatment.persona_id),
            persona_ids.index(treatment.control_persona_id),
        )
    if treatment.kind == "discount":
        product_ids = [spec.product.product_id for spec in specs]
        products = (
            range(len(specs))
            if treatment.product_id is None
            else (product_ids.index(treatment.product_id),)
        )
        return _stage_discounts(plan, treatment, products, specs, session_id)
    return plan


def arm_plans(
    plan: HostPlan,
    treatment: Treatment,
    specs: Sequence[ProductSpec],
    persona_ids: Sequence[str],
    session_id: str,
) -> tuple[HostPlan, HostPlan]:
    """The plan with the experiment's treatment on for the whole session, and with it off.

    The true effect compares the two (see ``build_world``); everything the experiment does not
    touch (pins, price cuts, the moves it leaves alone) is the same in both.
    """
    seconds = len(plan.persona_by_second)
    on, off = (
        stage_experiment(
            plan, dataclasses.replace(treatment, windows_s=windows), specs, persona_ids, session_id
        )
        for windows in (((0, seconds),), ())
    )
    return on, off


def promoted_seconds(plan: HostPlan, treatment: Treatment | None) -> BoolArray:
    """The seconds whose flash promo raises the platform's traffic: the plan's own promos only."""
    if treatment is not None and treatment.kind == "discount":
        return np.zeros(len(plan.promo_by_second), dtype=np.bool_)
    return np.asarray(plan.promo_by_second >= 0, dtype=np.bool_)


def _stage_personas(plan: HostPlan, treated: BoolArray, on_air: int, control: int) -> HostPlan:
    persona_by_second = np.where(treated, on_air, control).astype(np.int64)
    changes = np.flatnonzero(np.diff(persona_by_second)) + 1
    starts = [0, *changes.tolist()]
    ends = [*changes.tolist(), len(persona_by_second)]
    segments = tuple(
        PersonaSegment(int(persona_by_second[start]), start, end)
        for start, end in zip(starts, ends, strict=True)
    )
    first = {s.start_s: [HostAction(s.start_s, "persona", s.persona_index)] for s in segments}
    return dataclasses.replace(
        plan,
        persona_by_second=persona_by_second,
        persona_segments=segments,
        actions=_restaged(plan, {"persona"}, first, {}),
    )


def _stage_discounts(
    plan: HostPlan,
    treatment: Treatment,
    products: Sequence[int],
    specs: Sequence[ProductSpec],
    session_id: str,
) -> HostPlan:
    seconds = len(plan.promo_by_second)
    promos: list[Promo] = []
    promo_by_second = np.full(seconds, -1, dtype=np.int64)
    starts: defaultdict[int, list[HostAction]] = defaultdict(list)
    ends: defaultdict[int, list[HostAction]] = defaultdict(list)
    for start_s, end_s in treatment.windows_s:
        first = len(promos)
        for product in products:
            index = len(promos)
            promos.append(
                Promo(
                    promo_id=f"{session_id}-exp-{index + 1}",
                    product_index=product,
                    discount_pct=treatment.discount_pct,
                    start_s=start_s,
                    end_s=end_s,
                )
            )
            starts[start_s].append(HostAction(start_s, "promo_start", index))
            if end_s < seconds:  # a discount that runs to the end ends with the stream
                ends[end_s].append(HostAction(end_s, "promo_end", index))
        promo_by_second[start_s:end_s] = first
    return dataclasses.replace(
        plan,
        promo_by_second=promo_by_second,
        paid_price_by_second=with_discounts(plan.live_price_by_second, promos, specs),
        promos=tuple(promos),
        actions=_restaged(plan, {"promo_start", "promo_end"}, ends, starts),
    )


def _restaged(
    plan: HostPlan,
    dropped: set[HostActionKind],
    before: dict[int, list[HostAction]],
    after: dict[int, list[HostAction]],
) -> dict[int, tuple[HostAction, ...]]:
    """The plan's actions less the ``dropped`` kinds, with ``before`` put ahead of each second's
    remaining actions and ``after`` behind them (a promo ends before the next one starts)."""
    seconds = sorted({*plan.actions, *before, *after})
    restaged: dict[int, tuple[HostAction, ...]] = {}
    for second in seconds:
        kept = [a for a in plan.actions.get(second, ()) if a.kind not in dropped]
        found = (*before.get(second, ()), *kept, *after.get(second, ()))
        if found:
            restaged[second] = found
    return restaged
