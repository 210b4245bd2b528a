"""What the knobs and the plan imply for each second: how often viewers act, how well each
product converts. Computed once per session, so that the engine's per-second work is lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from livelens.events.reference import Persona
from livelens.sources.simulation.catalog import ProductSpec
from livelens.sources.simulation.comments import CommentBank
from livelens.sources.simulation.config import Scenario
from livelens.sources.simulation.experiment import arm_plans
from livelens.sources.simulation.schedule import HostPlan

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Actions per present viewer per minute outside the peak window and promos.
COMMENTS_PER_MIN: Final = 0.05
LIKE_BATCHES_PER_MIN: Final = 0.2
GIFTS_PER_MIN: Final = 0.005
FOLLOWS_PER_MIN: Final = 0.01
SHARES_PER_MIN: Final = 0.004
IMPRESSIONS_PER_MIN: Final = 1.0
PEAK_INTERACTION_BOOST: Final = 3.0  # comments and likes per viewer inside the peak window
PROMO_COMMENT_BOOST: Final = 1.3
PINNED_SHARE_OF_COMMENTS: Final = 0.7
PINNED_IMPRESSION_WEIGHT: Final = 3.0  # the pinned product's card vs. any other product's
BASE_CLICK_THROUGH: Final = 0.04  # per impression, times the product's appeal
PROMO_CLICK_BOOST: Final = 1.5
BASE_CART_RATE: Final = 0.3  # per click; times sqrt(lift), as is the order rate per cart
BASE_ORDER_RATE: Final = 0.5
MAX_STEP_RATE: Final = 0.9


@dataclass(frozen=True, slots=True)
class World:
    """Everything a run reads and never changes: the plan and the per-second rates it implies."""

    scenario: Scenario
    specs: tuple[ProductSpec, ...]
    personas: tuple[Persona, ...]
    plan: HostPlan
    bank: CommentBank
    target: FloatArray  # concurrency the audience is steered towards, per second
    in_peak: npt.NDArray[np.bool_]
    comment_rate: FloatArray  # per present viewer per second
    like_rate: FloatArray
    impression_rate: FloatArray  # per present viewer per second
    click_through: FloatArray  # (seconds, products)
    cart_rate: FloatArray
    order_rate: FloatArray
    # The experiment's true effect (see truth.TreatmentTruth); 1.0 without one.
    conversion_ratio: float = 1.0
    gmv_ratio: float = 1.0


def build_world(
    scenario: Scenario,
    specs: tuple[ProductSpec, ...],
    personas: tuple[Persona, ...],
    plan: HostPlan,
    bank: CommentBank,
    target: FloatArray,
    appeal: FloatArray,
) -> World:
    seconds = scenario.seconds
    t = np.arange(seconds)
    start_min, end_min = scenario.peak_window
    in_peak = (t >= start_min * 60) & (t < end_min * 60)
    promo_active = plan.promo_by_second >= 0
    interaction = np.where(in_peak, PEAK_INTERACTION_BOOST, 1.0)
    promo_chatter = np.where(promo_active, PROMO_COMMENT_BOOST, 1.0)

    lift, click_through = _lift_and_click_through(scenario, personas, plan, appeal)
    ratios = (1.0, 1.0)
    treatment = scenario.treatment
    if treatment is not None and treatment.kind == "lift":
        ratios = _treatment_ratios(
            target,
            plan,
            (lift * treatment.lift, click_through, plan.paid_price_by_second),
            (lift, click_through, plan.paid_price_by_second),
        )
        for start_s, end_s in treatment.windows_s:
            lift[start_s:end_s, :] *= treatment.lift
    elif treatment is not None:
        persona_ids = [persona.persona_id for persona in personas]
        arms = arm_plans(plan, treatment, specs, persona_ids, scenario.session_id)
        on, off = (
            (*_lift_and_click_through(scenario, personas, arm, appeal), arm.paid_price_by_second)
            for arm in arms
        )
        ratios = _treatment_ratios(target, plan, on, off)
    step_lift = np.sqrt(lift)
    return World(
        scenario=scenario,
        specs=specs,
        personas=personas,
        plan=plan,
        bank=bank,
        target=target,
        in_peak=in_peak,
        comment_rate=COMMENTS_PER_MIN / 60 * interaction * promo_chatter,
        like_rate=LIKE_BATCHES_PER_MIN / 60 * interaction,
        impression_rate=_impression_rate(plan.pinned_by_second, click_through),
        click_through=click_through,
        cart_rate=np.minimum(BASE_CART_RATE * step_lift, MAX_STEP_RATE),
        order_rate=np.minimum(BASE_ORDER_RATE * step_lift, MAX_STEP_RATE),
        conversion_ratio=ratios[0],
        gmv_ratio=ratios[1],
    )


def _lift_and_click_through(
    scenario: Scenario, personas: tuple[Persona, ...], plan: HostPlan, appeal: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Conversion lift (the persona on air, the flash discounts) and click-through per impression,
    per second and product, as ``plan`` implies them."""
    lift_of_persona = np.array([scenario.persona_lift[p.persona_id] for p in personas])
    lift = np.repeat(lift_of_persona[plan.persona_by_second][:, None], len(appeal), axis=1)
    click_through = np.repeat((BASE_CLICK_THROUGH * appeal)[None, :], scenario.seconds, axis=0)
    for promo in plan.promos:
        window = slice(promo.start_s, promo.end_s)
        lift[window, promo.product_index] *= scenario.config.discount_lift
        click_through[window, promo.product_index] *= PROMO_CLICK_BOOST
    return lift, np.minimum(click_through, MAX_STEP_RATE)


def _conversion(lift: FloatArray) -> FloatArray:
    step_lift = np.sqrt(lift)
    cart = np.minimum(BASE_CART_RATE * step_lift, MAX_STEP_RATE)
    return np.asarray(cart * np.minimum(BASE_ORDER_RATE * step_lift, MAX_STEP_RATE))


Arm = tuple[FloatArray, FloatArray, IntArray]  # lift, click-through, price paid


def _treatment_ratios(target: FloatArray, plan: HostPlan, on: Arm, off: Arm) -> tuple[float, float]:
    """Expected orders (and GMV) with the treatment on everywhere, over the same with it off.

    Each arm's (second, product) is weighted by its expected clicks: the audience (the target
    concurrency, which no treatment moves) times a constant number of clicks per viewer-second
    (:func:`_impression_rate`), shared among the products by impression share × click-through.
    A discount that lifts one product's click-through draws clicks to it from the others. For
    the ``"lift"`` kind the ratio is the lift exactly unless a step rate hits ``MAX_STEP_RATE``.
    """
    expected = []
    for lift, click_through, price_minor in (on, off):
        weight = _impression_share(plan.pinned_by_second, click_through.shape[1]) * click_through
        clicks = target[:, None] * weight / weight.sum(axis=1, keepdims=True)
        orders = clicks * _conversion(lift)
        expected.append((float(orders.sum()), float((orders * price_minor).sum())))
    (orders_on, gmv_on), (orders_off, gmv_off) = expected
    return orders_on / orders_off, gmv_on / gmv_off


def pinned_impression_share(products: int) -> float:
    return PINNED_IMPRESSION_WEIGHT / (PINNED_IMPRESSION_WEIGHT + products - 1)


def _impression_share(pinned_by_second: IntArray, products: int) -> FloatArray:
    """Each product's share of impressions, per second: the pinned card gets the most."""
    seconds = len(pinned_by_second)
    share = np.full((seconds, products), (1 - pinned_impression_share(products)) / (products - 1))
    share[np.arange(seconds), pinned_by_second] = pinned_impression_share(products)
    return share


def _impression_rate(pinned_by_second: IntArray, click_through: FloatArray) -> FloatArray:
    """Impressions per viewer-second, set so that clicks per viewer-second stay constant.

    A viewer's attention is the budget: while an appealing product is pinned they click it more
    and look at fewer other cards. Without this, whichever persona happened to host while the
    hot product was pinned would look like the better seller.
    """
    share = _impression_share(pinned_by_second, click_through.shape[1])
    clicks_per_impression = (share * click_through).sum(axis=1)
    mean = float(clicks_per_impression.mean())
    return np.asarray(IMPRESSIONS_PER_MIN / 60 * mean / clicks_per_impression, dtype=np.float64)
