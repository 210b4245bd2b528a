"""Switchback designs: balanced blocks, seeded, washout minutes left out, JSON round trip."""

from __future__ import annotations

import pytest

from livelens.errors import InvalidInput
from livelens.knowledge.experiments.switchback import (
    design_switchback,
    dump_schedule,
    load_schedule,
)


def test_each_block_of_two_has_one_slice_per_arm() -> None:
    schedule = design_switchback(120, 10, 2, seed=7)
    assert len(schedule.slices) == 12
    for block in range(6):
        arms = sorted(s.arm for s in schedule.slices if s.block == block)
        assert arms == ["control", "treatment"]


def test_same_seed_same_schedule_other_seeds_differ() -> None:
    first = design_switchback(120, 10, 2, seed=3)
    assert design_switchback(120, 10, 2, seed=3) == first
    others = {tuple(s.arm for s in design_switchback(120, 10, 2, seed=s).slices) for s in range(20)}
    assert len(others) > 10


def test_leftover_minutes_join_the_last_slice_and_washout_is_not_measured() -> None:
    schedule = design_switchback(65, 10, 3, seed=1)
    last = schedule.slices[-1]
    assert (last.start_minute, last.end_minute) == (50, 65)
    assert list(last.measured_minutes) == list(range(53, 65))
    arms = schedule.arm_by_minute()
    assert arms[0:3] == [None, None, None]
    assert arms[3] == schedule.slices[0].arm
    assert sum(arm is None for arm in arms) == 6 * 3


def test_treated_windows_are_the_treatment_slices_in_seconds() -> None:
    schedule = design_switchback(40, 5, 2, seed=2)
    windows = schedule.treated_windows_s()
    treated = [s for s in schedule.slices if s.arm == "treatment"]
    assert windows == tuple((s.start_minute * 60, s.end_minute * 60) for s in treated)
    assert len(windows) == 4


def test_odd_slice_count_keeps_arms_within_one() -> None:
    for seed in range(10):
        schedule = design_switchback(50, 10, 2, seed=seed)
        treated = sum(s.arm == "treatment" for s in schedule.slices)
        assert treated in (2, 3)


def test_json_round_trip() -> None:
    schedule = design_switchback(90, 15, 3, seed=11, block_size=4)
    assert load_schedule(dump_schedule(schedule)) == schedule


@pytest.mark.parametrize(
    ("minutes", "slice_minutes", "washout", "block_size", "needle"),
    [
        (0, 10, 2, 2, "minutes=0"),
        (60, 10, 10, 2, "washout_minutes=10"),
        (60, 40, 2, 2, "at least two whole slices"),
        (60, 10, 2, 3, "block_size=3"),
    ],
)
def test_invalid_designs_say_what_is_wrong(
    minutes: int, slice_minutes: int, washout: int, block_size: int, needle: str
) -> None:
    with pytest.raises(InvalidInput, match=needle):
        design_switchback(minutes, slice_minutes, washout, seed=0, block_size=block_size)


def test_load_rejects_slices_that_do_not_tile_the_session() -> None:
    data = dump_schedule(design_switchback(60, 10, 2, seed=0)).replace(
        b'"end_minute": 10', b'"end_minute": 9'
    )
    with pytest.raises(InvalidInput, match="tile"):
        load_schedule(data, "d.json")
    with pytest.raises(InvalidInput, match="not a switchback schedule"):
        load_schedule(b"{}", "d.json")
