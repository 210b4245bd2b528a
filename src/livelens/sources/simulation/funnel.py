"""Pending funnel steps (impression → click → cart → order → refund) as a calendar queue.

A step is decided when the step before it happens and is kept until its second comes, in a bucket
per due second. A step is only scheduled when it falls before the viewer's leave second, so a
viewer never clicks, buys or carts after leaving; the queue holds only the steps in flight
(seconds to minutes of them), whatever the size of the room.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

Stage = Literal["click", "cart", "order", "refund"]
STAGES: tuple[Stage, ...] = ("click", "cart", "order", "refund")


@dataclass(frozen=True, slots=True)
class Steps:
    """Parallel columns, one row per pending step; unused columns hold zeros."""

    viewer: IntArray
    product: IntArray
    leave_s: IntArray
    quantity: IntArray
    order_number: IntArray
    amount_minor: IntArray

    def __len__(self) -> int:
        return len(self.viewer)

    def take(self, rows: IntArray | slice) -> Steps:
        # Spelled out, not a loop over fields(): the engine takes steps several times a second.
        return Steps(
            self.viewer[rows],
            self.product[rows],
            self.leave_s[rows],
            self.quantity[rows],
            self.order_number[rows],
            self.amount_minor[rows],
        )

    @staticmethod
    def concat(parts: list[Steps]) -> Steps:
        if len(parts) == 1:
            return parts[0]
        return Steps(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Steps)))

    @staticmethod
    def of(
        viewer: IntArray,
        product: IntArray,
        leave_s: IntArray,
        quantity: IntArray | None = None,
        order_number: IntArray | None = None,
        amount_minor: IntArray | None = None,
    ) -> Steps:
        zeros = np.zeros(len(viewer), dtype=np.int64)
        return Steps(
            viewer,
            product,
            leave_s,
            zeros if quantity is None else quantity,
            zeros if order_number is None else order_number,
            zeros if amount_minor is None else amount_minor,
        )


class FunnelQueue:
    """Steps by due second. ``schedule`` files a batch; ``pop`` hands back one second's steps."""

    def __init__(self) -> None:
        self._due: defaultdict[int, list[tuple[Stage, Steps]]] = defaultdict(list)

    def __len__(self) -> int:
        return sum(len(steps) for batches in self._due.values() for _, steps in batches)

    def schedule(self, stage: Stage, due_s: IntArray, steps: Steps) -> None:
        if len(due_s) == 0:
            return
        order = np.argsort(due_s, kind="stable")
        due_sorted = due_s[order]
        steps = steps.take(order)
        seconds, starts = np.unique(due_sorted, return_index=True)
        ends = [*starts[1:].tolist(), len(due_sorted)]
        for second, start, end in zip(seconds.tolist(), starts.tolist(), ends, strict=True):
            self._due[second].append((stage, steps.take(slice(start, end))))

    def pop(self, second: int) -> dict[Stage, Steps]:
        batches = self._due.pop(second, None)
        if not batches:
            return {}
        grouped: defaultdict[Stage, list[Steps]] = defaultdict(list)
        for stage, steps in batches:
            grouped[stage].append(steps)
        return {stage: Steps.concat(parts) for stage, parts in grouped.items()}
