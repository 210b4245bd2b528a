"""The ground truth of a simulated session: what an analysis of its events should find.

Written as ``<stem>.truth.json`` beside the events. The effect sizes and schedules are known
before the session runs; the counts are known once its events have all been produced.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec

from livelens.errors import InvalidInput


class PeakWindow(msgspec.Struct, kw_only=True, frozen=True):
    """Minutes from the session start; ``end_minute`` is exclusive."""

    start_minute: int
    end_minute: int


class PersonaTurn(msgspec.Struct, kw_only=True, frozen=True):
    persona_id: str
    start_s: int  # seconds from the session start; end exclusive
    end_s: int


class PromoWindow(msgspec.Struct, kw_only=True, frozen=True):
    promo_id: str
    product_id: str
    discount_pct: int
    start_s: int  # seconds from the session start; the discount holds until end_s, exclusive
    end_s: int


class TreatmentTruth(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """The experiment's known effect, from the simulator's own parameters.

    ``conversion_ratio`` is expected orders with the treatment on in every second, over the same
    with it off in every second, each (second, product) weighted by its expected clicks under
    that arm; ``gmv_ratio`` weights by the price paid too (a discount's lower price included).
    With no capped step rate, ``conversion_ratio`` is ``lift``: the treatment's ``lift`` for the
    ``"lift"`` kind, the two personas' lift ratio for ``"persona"``, the session's
    ``discount_lift`` for ``"discount"`` on every product (on one product, clicks it draws from
    the others count too). Since no treatment moves the audience, they are the true ratios of
    orders (GMV) per minute in treatment over control slices.

    A ``"lift"`` experiment's file keeps the fields it had before the kinds: the kind's own
    fields are left out at their defaults.
    """

    lift: float
    windows_s: list[tuple[int, int]]
    conversion_ratio: float
    gmv_ratio: float
    kind: str = "lift"  # "lift", "persona" or "discount" (config.Treatment.kind)
    persona_id: str | None = None  # persona: on air in the treated slices
    control_persona_id: str | None = None  # persona: on air in the control slices
    discount_pct: int | None = None  # discount: off the live price in the treated slices
    product_id: str | None = None  # discount: the product discounted; None: every product


class GroundTruth(msgspec.Struct, kw_only=True, frozen=True):
    session_id: str
    room_id: str
    platform: str = "sim"
    seed: int
    minutes: int
    peak_viewers: int
    start: datetime
    hot_product_id: str
    peak_window: PeakWindow
    persona_lift: dict[str, float]
    discount_lift: float
    persona_turns: list[PersonaTurn] = []
    promos: list[PromoWindow] = []
    # Known after the run:
    event_counts: dict[str, int] = {}
    comment_concerns: dict[str, int] = {}  # comments per concern (livelens...comments.CONCERNS)
    max_online: int = 0
    orders: int = 0
    gmv_minor: int = 0  # paid orders, before refunds
    currency: str = "CNY"
    treatment: TreatmentTruth | None = None  # left out of the file when there is no experiment


def dump_truth(truth: GroundTruth) -> bytes:
    if truth.treatment is None:  # the file of a session without an experiment stays as it was
        fields = msgspec.to_builtins(truth)
        del fields["treatment"]
        return msgspec.json.format(msgspec.json.encode(fields), indent=2)
    return msgspec.json.format(msgspec.json.encode(truth), indent=2)


def load_truth(path: Path) -> GroundTruth:
    """Read a ``*.truth.json`` file written by the simulator."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=GroundTruth)
    except FileNotFoundError:
        msg = f"ground-truth file {path} does not exist; the simulator writes <stem>.truth.json"
        raise InvalidInput(msg) from None
    except msgspec.MsgspecError as error:
        msg = f"{path}: not a simulator ground-truth file: {error}"
        raise InvalidInput(msg) from None
