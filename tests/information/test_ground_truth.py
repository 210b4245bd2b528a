"""Detected insights against the simulator's ground truth, across seeds.

Each seed plants a different hot product (chosen per seed) and a different 15-minute interaction
peak; persona lifts are the defaults (1.5 / 1.0 / 0.8). Measured when this test was written, over
the six seeds below: top product 6/6, peak window 6/6 exact, best persona 6/6, full persona order
5/6 (seed 0 swaps the two weaker personas, lifts 1.0 and 0.8). The assertions leave one seed of
slack only for the full persona order, the weakest signal.
"""

from __future__ import annotations

from typing import Any

import pytest

from livelens.events.columns import events_to_table
from livelens.information.analysis import Analysis, analyze_session
from livelens.sources.simulator import GroundTruth, SimulationConfig, build_session

SEEDS = range(6)


def _peak_for(seed: int) -> tuple[int, int]:
    start = 5 + (seed * 7) % 40
    return start, start + 15


@pytest.fixture(scope="module")
def analysed() -> list[tuple[GroundTruth, Analysis]]:
    out = []
    for seed in SEEDS:
        config = SimulationConfig(
            minutes=60, peak_viewers=2000, seed=seed, peak_window=_peak_for(seed)
        )
        session = build_session(config)
        table = events_to_table(list(session.events())).sort_by("ts")
        out.append((session.truth, analyze_session(table)))
    return out


def _insight(analysis: Analysis, kind: str) -> Any:
    found = [i for i in analysis.insights if i.kind == kind]
    assert found, f"no {kind} insight in {analysis.session_id}"
    return found[0]


def test_top_product_is_the_planted_hot_product(
    analysed: list[tuple[GroundTruth, Analysis]],
) -> None:
    hits = [_insight(a, "top_product").subject == t.hot_product_id for t, a in analysed]
    assert sum(hits) == len(SEEDS), hits


def test_peak_window_is_the_planted_one(analysed: list[tuple[GroundTruth, Analysis]]) -> None:
    for truth, analysis in analysed:
        evidence = _insight(analysis, "peak_window").evidence
        found = range(evidence["start_minute"], evidence["end_minute"])
        planted = range(truth.peak_window.start_minute, truth.peak_window.end_minute)
        overlap = len(set(found) & set(planted))
        assert overlap >= 0.8 * len(planted), (analysis.session_id, found, planted)


def test_persona_ranking_follows_the_planted_lifts(
    analysed: list[tuple[GroundTruth, Analysis]],
) -> None:
    best, order = 0, 0
    for truth, analysis in analysed:
        ranked = _insight(analysis, "persona_ranking").evidence["personas"]
        planted = sorted(truth.persona_lift, key=lambda p: -truth.persona_lift[p])
        best += ranked[0] == planted[0]
        order += ranked == planted
    assert best == len(SEEDS)
    assert order >= len(SEEDS) - 1
