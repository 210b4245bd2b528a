"""Switchback designs: a session cut into time slices, each randomised to treatment or control.

Slices are randomised in blocks (by default pairs of neighbouring slices, one of each arm), so
both arms see the same share of the session's slow drift (the rise, the peak, the decay) and the
arms stay balanced. The first ``washout_minutes`` of every slice are measured by neither arm:
orders there may come from funnels that began under the previous slice's arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import msgspec
import numpy as np

from livelens.errors import InvalidInput

Arm = Literal["treatment", "control"]
ARMS: Final[tuple[Arm, Arm]] = ("treatment", "control")
MAX_MINUTES: Final = 24 * 60


class Slice(msgspec.Struct, kw_only=True, frozen=True):
    """Minutes from the session start; ``end_minute`` is exclusive."""

    index: int
    block: int
    arm: Arm
    start_minute: int
    end_minute: int
    washout_minutes: int

    @property
    def measured_minutes(self) -> range:
        """The minutes that count for the slice's arm: after the washout, to the slice's end."""
        return range(
            min(self.start_minute + self.washout_minutes, self.end_minute), self.end_minute
        )


class SwitchbackSchedule(msgspec.Struct, kw_only=True, frozen=True):
    minutes: int
    slice_minutes: int
    washout_minutes: int
    block_size: int
    seed: int
    slices: list[Slice]

    def arm_by_minute(self) -> list[Arm | None]:
        """Each minute's arm, or ``None`` for a washout minute."""
        arms: list[Arm | None] = [None] * self.minutes
        for item in self.slices:
            for minute in item.measured_minutes:
                arms[minute] = item.arm
        return arms

    def treated_windows_s(self) -> tuple[tuple[int, int], ...]:
        """The treatment slices as ``(start_s, end_s)`` spans, washout included (it is treated)."""
        return tuple(
            (item.start_minute * 60, item.end_minute * 60)
            for item in self.slices
            if item.arm == "treatment"
        )


@dataclass(frozen=True, slots=True)
class _Limits:
    minutes: int
    slice_minutes: int
    washout_minutes: int
    block_size: int


def _check(limits: _Limits, seed: int) -> None:
    def reject(name: str, value: int, allowed: str) -> None:
        msg = f"switchback {name}={value!r} is invalid: {allowed}"
        raise InvalidInput(msg)

    if not 1 <= limits.minutes <= MAX_MINUTES:
        reject("minutes", limits.minutes, f"expected 1 to {MAX_MINUTES}")
    if not 1 <= limits.slice_minutes <= limits.minutes:
        reject("slice_minutes", limits.slice_minutes, f"expected 1 to minutes ({limits.minutes})")
    if not 0 <= limits.washout_minutes < limits.slice_minutes:
        reject(
            "washout_minutes",
            limits.washout_minutes,
            f"expected 0 up to below slice_minutes ({limits.slice_minutes})",
        )
    if limits.block_size < 2 or limits.block_size % 2:
        reject("block_size", limits.block_size, "expected an even number of slices, 2 or more")
    if limits.minutes // limits.slice_minutes < 2:
        reject(
            "slice_minutes",
            limits.slice_minutes,
            f"expected at least two whole slices in {limits.minutes} minutes; use shorter slices",
        )
    if seed < 0:
        reject("seed", seed, "expected a non-negative integer")


def design_switchback(
    minutes: int,
    slice_minutes: int,
    washout_minutes: int,
    seed: int,
    block_size: int = 2,
) -> SwitchbackSchedule:
    """Cut ``minutes`` into whole slices and randomise them, half of each block to each arm.

    Minutes left over after the last whole slice join it. A last, incomplete block is
    randomised with as even a split as its size allows. The same seed gives the same schedule.
    Raises :class:`~livelens.errors.InvalidInput` for a parameter outside what is allowed.
    """
    _check(_Limits(minutes, slice_minutes, washout_minutes, block_size), seed)
    count = minutes // slice_minutes
    rng = np.random.Generator(np.random.PCG64(seed))
    arms: list[Arm] = []
    for first in range(0, count, block_size):
        size = min(block_size, count - first)
        block = [ARMS[i % 2] for i in range(size)]
        if size % 2:  # an odd last block: which arm gets the extra slice is random too
            block[-1] = ARMS[int(rng.integers(2))]
        arms.extend(block[int(i)] for i in rng.permutation(size))
    slices = [
        Slice(
            index=i,
            block=i // block_size,
            arm=arm,
            start_minute=i * slice_minutes,
            end_minute=minutes if i == count - 1 else (i + 1) * slice_minutes,
            washout_minutes=washout_minutes,
        )
        for i, arm in enumerate(arms)
    ]
    return SwitchbackSchedule(
        minutes=minutes,
        slice_minutes=slice_minutes,
        washout_minutes=washout_minutes,
        block_size=block_size,
        seed=seed,
        slices=slices,
    )


def dump_schedule(schedule: SwitchbackSchedule) -> bytes:
    return msgspec.json.format(msgspec.json.encode(schedule), indent=2)


def load_schedule(data: bytes, where: str = "design") -> SwitchbackSchedule:
    """Read a schedule written by :func:`dump_schedule`; ``where`` names the source in errors."""
    try:
        schedule = msgspec.json.decode(data, type=SwitchbackSchedule)
    except msgspec.MsgspecError as error:
        msg = (
            f"{where}: not a switchback schedule ({error});"
            " write one with `livelens experiment design`"
        )
        raise InvalidInput(msg) from None
    if not schedule.slices or schedule.slices[0].start_minute != 0:
        msg = f"{where}: the first slice must start at minute 0"
        raise InvalidInput(msg)
    ends = [item.start_minute for item in schedule.slices[1:]] + [schedule.minutes]
    for item, end in zip(schedule.slices, ends, strict=True):
        if item.end_minute != end or item.start_minute >= item.end_minute:
            msg = (
                f"{where}: slice {item.index} spans {item.start_minute}-{item.end_minute};"
                f" slices must tile minutes 0-{schedule.minutes} in order"
            )
            raise InvalidInput(msg)
    return schedule
