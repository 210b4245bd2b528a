"""The session simulator: a realistic AI-host live-commerce session, as typed events.

Detectors, forecasts and reports need sessions whose truth is known: which product is hot, when
the interaction peak is, how much each persona and each flash discount lifts conversion. The
simulator takes those effect sizes as parameters, produces a session that shows them (personas
taking turns, pinned products, price cuts and flash discounts, an audience that rises, peaks and
decays, Chinese comments with known concerns, a click → cart → order funnel per viewer) and writes
the truth beside the events.

It streams: memory grows with the viewers present, not with the events written, so the same code
makes a 10-viewer room and a million-viewer room. The same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

from livelens.errors import InvalidInput
from livelens.events.codec import encode_lines
from livelens.events.reference import ReferenceData, dump_reference
from livelens.events.schema import Event
from livelens.sources.simulation.audience import concurrency_target
from livelens.sources.simulation.catalog import PERSONAS, catalog_specs, click_appeal
from livelens.sources.simulation.comments import build_comment_bank, load_opinions
from livelens.sources.simulation.config import (
    SimulationConfig,
    Treatment,
    generator,
    resolve_scenario,
)
from livelens.sources.simulation.engine import SessionRun
from livelens.sources.simulation.experiment import promoted_seconds, stage_experiment
from livelens.sources.simulation.schedule import plan_host
from livelens.sources.simulation.truth import (
    GroundTruth,
    PeakWindow,
    PersonaTurn,
    PromoWindow,
    TreatmentTruth,
    dump_truth,
    load_truth,
)
from livelens.sources.simulation.world import World, build_world

__all__ = [
    "GroundTruth",
    "SimulatedSession",
    "SimulationConfig",
    "Treatment",
    "build_session",
    "load_truth",
    "session_paths",
    "write_session",
]

_WRITE_BUFFER_BYTES: Final = 4 << 20


class SimulatedSession:
    """A planned session: its catalog, its truth, and its events on demand (re-run each time)."""

    def __init__(self, world: World, reference: ReferenceData, truth: GroundTruth) -> None:
        self._world = world
        self.reference = reference
        self.truth = truth  # the parameters and schedules; see :meth:`summarise` for the tallies

    @property
    def config(self) -> SimulationConfig:
        return self._world.scenario.config

    def run(self, *, funnel_only: bool = False) -> SessionRun:
        """A fresh pass over the session; the same events every time.

        ``funnel_only`` leaves out the interactions that never feed the funnel (see
        :meth:`SessionRun.simulate_outcomes`); its events are not the session's.
        """
        return SessionRun(
            self._world, generator(self._world.scenario.seeds.run), funnel_only=funnel_only
        )

    def events(self) -> Iterator[Event]:
        """Every event of the session, in non-decreasing time order."""
        for batch in self.run().batches():
            yield from batch

    def summarise(self, run: SessionRun) -> GroundTruth:
        """The ground truth completed with the tallies of what ``run`` has produced."""
        return msgspec.structs.replace(
            self.truth,
            event_counts=run.event_counts(),
            comment_concerns=run.concern_counts(),
            max_online=run.max_online,
            orders=run.orders,
            gmv_minor=run.gmv_minor,
        )


def build_session(config: SimulationConfig) -> SimulatedSession:
    """Validate ``config`` and plan the session; nothing is simulated until events are asked for.

    Raises :class:`~livelens.errors.InvalidInput` for a parameter outside what is allowed.
    """
    scenario = resolve_scenario(
        config,
        product_ids=[spec.product.product_id for spec in catalog_specs(1)],
        persona_ids=[persona.persona_id for persona in PERSONAS],
    )
    seeds = scenario.seeds
    specs = catalog_specs(config.peak_viewers)
    product_ids = [spec.product.product_id for spec in specs]
    hot_index = product_ids.index(scenario.hot_product_id)
    persona_ids = [persona.persona_id for persona in PERSONAS]
    plan = plan_host(
        scenario.seconds, specs, len(PERSONAS), scenario.session_id, generator(seeds.plan)
    )
    plan = stage_experiment(plan, scenario.treatment, specs, persona_ids, scenario.session_id)
    opinions = load_opinions(config.reviews_path, generator(seeds.opinions))
    start_min, end_min = scenario.peak_window
    target = concurrency_target(
        scenario.seconds,
        config.peak_viewers,
        (start_min * 60, end_min * 60),
        promoted_seconds(plan, scenario.treatment),
        generator(seeds.audience),
    )
    world = build_world(
        scenario,
        specs,
        PERSONAS,
        plan,
        build_comment_bank(specs, opinions),
        target,
        click_appeal(specs, hot_index),
    )
    truth = GroundTruth(
        session_id=scenario.session_id,
        room_id=config.room_id,
        seed=config.seed,
        minutes=config.minutes,
        peak_viewers=config.peak_viewers,
        start=config.start,
        hot_product_id=scenario.hot_product_id,
        peak_window=PeakWindow(start_minute=start_min, end_minute=end_min),
        persona_lift=dict(scenario.persona_lift),
        discount_lift=float(config.discount_lift),
        persona_turns=[
            PersonaTurn(
                persona_id=PERSONAS[turn.persona_index].persona_id,
                start_s=turn.start_s,
                end_s=turn.end_s,
            )
            for turn in plan.persona_segments
        ],
        promos=[
            PromoWindow(
                promo_id=promo.promo_id,
                product_id=product_ids[promo.product_index],
                discount_pct=promo.discount_pct,
                start_s=promo.start_s,
                end_s=promo.end_s,
            )
            for promo in plan.promos
        ],
        treatment=None if scenario.treatment is None else _treatment_truth(world, product_ids),
    )
    reference = ReferenceData(products=[spec.product for spec in specs], personas=list(PERSONAS))
    return SimulatedSession(world, reference, truth)


def _treatment_truth(world: World, product_ids: list[str]) -> TreatmentTruth:
    scenario = world.scenario
    treatment = scenario.treatment
    if treatment is None:
        msg = "a session without an experiment has no treatment truth"
        raise InvalidInput(msg)
    nominal = treatment.lift
    if treatment.kind == "discount":
        nominal = scenario.config.discount_lift
    elif treatment.persona_id is not None and treatment.control_persona_id is not None:
        lift = scenario.persona_lift
        nominal = lift[treatment.persona_id] / lift[treatment.control_persona_id]
    return TreatmentTruth(
        lift=float(nominal),
        windows_s=[(start_s, end_s) for start_s, end_s in treatment.windows_s],
        conversion_ratio=world.conversion_ratio,
        gmv_ratio=world.gmv_ratio,
        kind=treatment.kind,
        persona_id=treatment.persona_id if treatment.kind == "persona" else None,
        control_persona_id=treatment.control_persona_id if treatment.kind == "persona" else None,
        discount_pct=treatment.discount_pct if treatment.kind == "discount" else None,
        product_id=treatment.product_id if treatment.kind == "discount" else None,
    )


def session_paths(out: Path) -> tuple[Path, Path]:
    """Where the ground truth and the catalog of the events at ``out`` go: beside it."""
    return out.with_name(f"{out.stem}.truth.json"), out.with_name(f"{out.stem}.catalog.json")


def write_session(config: SimulationConfig, out: Path) -> GroundTruth:
    """Simulate into ``out`` (JSON Lines) plus ``<stem>.truth.json`` and ``<stem>.catalog.json``."""
    session = build_session(config)
    truth_path, catalog_path = session_paths(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    run = session.run()
    with out.open("wb", buffering=_WRITE_BUFFER_BYTES) as handle:
        for batch in run.batches():
            handle.write(encode_lines(batch))
    truth = session.summarise(run)
    truth_path.write_bytes(dump_truth(truth))
    catalog_path.write_bytes(dump_reference(session.reference))
    return truth
