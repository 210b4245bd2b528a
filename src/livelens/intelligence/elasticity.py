"""Price response per product or category: the discount effect and the price elasticity.

The unit is one product-minute of one session. Orders in a minute are modelled as Poisson with
the product's clicks as the exposure (so the audience size, the peak and the pinned card's extra
impressions do not masquerade as a price effect), and a log-linear rate::

    log E[orders] = log(clicks) + promo·γ + log(live price)·β
                    + persona + pinned + concurrency + minute-of-session spline + product

``exp(γ)`` is the discount effect: the rate ratio of conversion per click while a flash discount
(``promo.start`` … ``promo.end``) runs. ``β`` is the price elasticity of conversion to the live
price set by ``price.change`` outside promos. Concurrency is the number of the session's *other*
products on promo or pinned. The fit is IRLS; the 95% intervals use a leverage-corrected robust
(HC3) sandwich, or the over-dispersed model variance where that is larger.

Orders follow their click by 8–76 s (click → cart → order), so clicks are counted over the minute
shifted ``ORDER_LAG_S`` earlier, and minutes whose window straddles a promo boundary are left out
of the fit. Where the data cannot carry an estimate, the result says so and why.

Pure: an events table (and the catalog) in, a result out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from livelens.events.reference import Product

FloatArray = npt.NDArray[np.float64]

Z95: Final = 1.959963984540054
ORDER_LAG_S: Final = 40  # mean click → order delay; clicks are counted this much earlier
_LAG_SPAN_S: Final = 80  # longest click → order delay: a window touching a boundary is mixed
MIN_ORDERS: Final = 20
MIN_PROMO_MINUTES: Final = 3
_KNOTS: Final = 3
# The event types the estimate reads; the rest of a session (comments, likes, viewers) is ignored,
# so a store read of only these types gives the same estimate as the whole session.
PRICE_RESPONSE_TYPES: Final = (
    "product.click",
    "order.paid",
    "price.change",
    "promo.start",
    "promo.end",
    "host.product_pin",
    "host.persona_switch",
)


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    """A point estimate with its 95% interval."""

    value: float
    low: float
    high: float


class PriceResponse(msgspec.Struct, frozen=True, kw_only=True):
    """What the data say about price for ``scope`` (a product id or ``category:<name>``).

    ``status`` is ``"ok"`` when the discount effect or the elasticity could be estimated, else
    ``"insufficient"`` with ``reason``; ``notes`` say which part is missing and why.
    """

    scope: str
    status: Literal["ok", "insufficient"]
    reason: str | None
    minutes: int
    orders: int
    price_changes: int
    promos: int
    discount_effect: Estimate | None = None  # rate ratio of conversion per click during a promo
    mean_discount_pct: float | None = None
    discount_elasticity: Estimate | None = None  # log(rate ratio) / log(1 - mean discount)
    price_elasticity: Estimate | None = None  # of conversion to the live price outside promos
    notes: tuple[str, ...] = ()

    def demand_ratio(self, discount_pct: float) -> Estimate | None:
        """Expected orders at ``discount_pct`` off over orders at no discount, with its interval,
        on the constant-elasticity curve through the observed mean discount."""
        if self.discount_elasticity is None:
            return None
        log_keep = float(np.log1p(-discount_pct / 100))
        points = sorted(
            float(np.exp(e * log_keep))
            for e in (
                self.discount_elasticity.value,
                self.discount_elasticity.low,
                self.discount_elasticity.high,
            )
        )
        value = float(np.exp(self.discount_elasticity.value * log_keep))
        return Estimate(value=value, low=points[0], high=points[2])


class _Panel(msgspec.Struct, kw_only=True):
    orders: list[float] = []
    clicks: list[float] = []
    promo: list[float] = []
    discount_pct: list[float] = []
    log_price: list[float] = []
    pinned: list[float] = []
    concurrency: list[float] = []
    minute_share: list[float] = []
    persona: list[str] = []
    product: list[str] = []


def _seconds(table: pa.Table, start_us: int) -> npt.NDArray[np.int64]:
    ts = table["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.asarray((ts - start_us) // 1_000_000, dtype=np.int64)


def _step(length: int, at: Sequence[int], values: Sequence[float], first: float) -> FloatArray:
    """A per-second step function: ``first`` until the first change, then each value onwards."""
    out = np.full(length, first, dtype=np.float64)
    for second, value in sorted(zip(at, values, strict=True)):
        out[max(second, 0) :] = value
    return out


def _session_panel(
    events: pa.Table, products: Sequence[Product], targets: set[str], panel: _Panel
) -> tuple[int, int]:
    """Append the session's product-minutes to ``panel``; return (price changes, promos). The
    minute grid starts at the session's first event of :data:`PRICE_RESPONSE_TYPES`."""
    events = events.filter(pc.is_in(events["type"], pa.array(PRICE_RESPONSE_TYPES)))
    if events.num_rows == 0:
        return 0, 0
    start_us = int(pc.min(events["ts"].cast(pa.int64())).as_py())
    activity = events.filter(pc.is_in(events["type"], pa.array(["product.click", "order.paid"])))
    if activity.num_rows == 0:
        return 0, 0
    # The grid ends with the last click or order: a late host action (an accepted price
    # suggestion long after the session) does not stretch it.
    seconds = int(_seconds(activity, start_us).max()) + 1
    minutes = seconds // 60
    if minutes < 2:
        return 0, 0
    ids = [p.product_id for p in products]
    index = {pid: i for i, pid in enumerate(ids)}
    kinds = events["type"].to_numpy(zero_copy_only=False)
    at = _seconds(events, start_us)
    product_col = events["product_id"].to_pylist()
    promo_on = np.zeros((seconds, len(ids)))
    promo_pct = np.zeros((seconds, len(ids)))
    pinned = np.zeros((seconds, len(ids)))
    orders = np.zeros((minutes, len(ids)))
    clicks = np.zeros((seconds, len(ids)))
    price_at: list[list[int]] = [[] for _ in ids]
    price_val: list[list[float]] = [[] for _ in ids]
    persona = np.full(seconds, "", dtype=object)
    open_promos: dict[str, tuple[int, int, float | None, float | None]] = {}
    closed: list[tuple[int, int, int, float | None, float | None]] = []
    pins: list[tuple[int, int]] = []
    promo_ids = events["promo_id"].to_pylist()
    pcts = events["discount_pct"].to_pylist()
    prices = events["price_minor"].to_pylist()
    personas = events["persona_id"].to_pylist()
    changes = promos = 0
    for row in np.argsort(at, kind="stable").tolist():
        kind, second, pid = kinds[row], int(at[row]), product_col[row]
        col = index.get(pid) if pid is not None else None
        if kind == "order.paid" and col is not None and second // 60 < minutes:
            orders[second // 60, col] += 1
        elif kind == "product.click" and col is not None and second < seconds:
            clicks[second, col] += 1
        elif kind == "price.change" and col is not None:
            price_at[col].append(second)
            price_val[col].append(float(prices[row]))
            changes += pid in targets
        elif kind == "promo.start" and col is not None:
            pct, price = pcts[row], prices[row]
            open_promos[promo_ids[row]] = (col, second, pct, price)
            promos += pid in targets
        elif kind == "promo.end" and promo_ids[row] in open_promos:
            col_, begin, pct, price = open_promos.pop(promo_ids[row])
            closed.append((col_, begin, second, pct, price))
        elif kind == "host.product_pin" and col is not None:
            pins.append((second, col))
        elif kind == "host.persona_switch":
            persona[second:] = personas[row]
    closed += [(c, begin, seconds, pct, price) for c, begin, pct, price in open_promos.values()]
    live = [
        _step(seconds, price_at[c], price_val[c], float(products[c].list_price_minor))
        for c in range(len(ids))
    ]
    for col_, begin, end, pct, price in closed:
        promo_on[begin:end, col_] = 1.0
        if pct is None and price is not None:  # a promo given as a price: its discount
            pct = 100.0 * (1.0 - price / live[col_][min(begin, seconds - 1)])
        promo_pct[begin:end, col_] = float(pct or 0.0)
    ends = [p[0] for p in pins[1:]] + ([seconds] if pins else [])
    for (second, col), nxt in zip(pins, ends, strict=True):
        pinned[second:nxt, col] = 1.0
    busy = np.clip(promo_on + pinned, 0.0, 1.0)
    for pid in sorted(targets & set(ids)):
        col = index[pid]
        for m in range(minutes):
            lo, hi = max(60 * m - ORDER_LAG_S, 0), max(60 * m + 60 - ORDER_LAG_S, 1)
            window = slice(max(60 * m - _LAG_SPAN_S, 0), 60 * m + 60)
            state = promo_on[window, col]
            exposure = float(clicks[lo:hi, col].sum())
            if exposure <= 0 or 0 < state.mean() < 1:
                continue
            panel.orders.append(float(orders[m, col]))
            panel.clicks.append(exposure)
            panel.promo.append(float(state[0]))
            panel.discount_pct.append(float(promo_pct[window, col].mean()))
            panel.log_price.append(float(np.log(live[col][lo:hi].mean())))
            panel.pinned.append(float(pinned[lo:hi, col].mean()))
            others = busy[lo:hi].sum(axis=1) - busy[lo:hi, col]
            panel.concurrency.append(float(others.mean()))
            panel.minute_share.append((m + 0.5) / minutes)
            panel.persona.append(str(persona[min(60 * m + 30, seconds - 1)]))
            panel.product.append(pid)
    return changes, promos


def _drop_silent_products(panel: _Panel) -> None:
    """Drop the minutes of products that sold nothing: they say nothing about a rate ratio and
    their fixed effect would run off to minus infinity."""
    sold = {p for p, y in zip(panel.product, panel.orders, strict=True) if y > 0}
    keep = [i for i, p in enumerate(panel.product) if p in sold]
    for field in msgspec.structs.fields(_Panel):
        column = getattr(panel, field.name)
        setattr(panel, field.name, [column[i] for i in keep])


def _dummies(labels: Sequence[str]) -> FloatArray:
    levels = sorted(set(labels))[1:]
    return np.array([[1.0 if x == level else 0.0 for level in levels] for x in labels]).reshape(
        len(labels), len(levels)
    )


def _design(panel: _Panel, with_price: bool) -> tuple[FloatArray, list[str]]:
    t = np.asarray(panel.minute_share)
    columns: list[FloatArray] = [np.ones_like(t), np.asarray(panel.promo)]
    names = ["intercept", "promo"]
    if with_price:
        columns.append(np.asarray(panel.log_price))
        names.append("log_price")
    columns += [np.asarray(panel.pinned), np.asarray(panel.concurrency), t]
    names += ["pinned", "concurrency", "minute"]
    for k in range(1, _KNOTS + 1):
        columns.append(np.maximum(t - k / (_KNOTS + 1), 0.0))
        names.append(f"minute_knot{k}")
    for prefix, labels in (("persona", panel.persona), ("product", panel.product)):
        block = _dummies(labels)
        columns += list(block.T)
        names += [f"{prefix}{i}" for i in range(block.shape[1])]
    x = np.column_stack(columns)
    keep: list[int] = []
    for i in range(x.shape[1]):  # in order: a control collinear with earlier columns is dropped
        if np.linalg.matrix_rank(x[:, [*keep, i]]) == len(keep) + 1:
            keep.append(i)
    return x[:, keep], [names[i] for i in keep]


def fit_poisson(
    x: FloatArray, y: FloatArray, offset: FloatArray, *, iterations: int = 50
) -> tuple[FloatArray, FloatArray]:
    """Poisson regression by IRLS; returns (coefficients, robust covariance).

    The covariance is the larger (per coefficient, through its diagonal scale) of the HC3
    sandwich and the Pearson-dispersion model covariance. Raises ``np.linalg.LinAlgError`` when
    the design is singular (exactly, or numerically: a variance that is not positive) or the fit
    does not converge.
    """
    if np.linalg.matrix_rank(x) < x.shape[1]:
        msg = "design matrix is rank deficient"
        raise np.linalg.LinAlgError(msg)
    beta = np.zeros(x.shape[1])
    beta[0] = float(np.log(max(y.sum(), 0.5) / np.exp(offset).sum()))
    deviance = np.inf
    for _ in range(iterations):
        eta = np.clip(x @ beta + offset, -30.0, 30.0)
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        weighted = x * mu[:, None]
        beta = np.asarray(np.linalg.solve(x.T @ weighted, weighted.T @ z), dtype=np.float64)
        mu = np.exp(np.clip(x @ beta + offset, -30.0, 30.0))
        logs = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        previous, deviance = deviance, float(2 * (logs - (y - mu)).sum())
        if abs(previous - deviance) <= 1e-10 * (abs(deviance) + 1.0):
            break
    else:
        msg = "Poisson IRLS did not converge"
        raise np.linalg.LinAlgError(msg)
    mu = np.exp(np.clip(x @ beta + offset, -30.0, 30.0))
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    leverage = np.clip(np.einsum("ij,jk,ik->i", x, bread, x) * mu, 0.0, 0.99)
    meat_w = (y - mu) ** 2 / (1.0 - leverage) ** 2
    sandwich = bread @ (x.T @ (x * meat_w[:, None])) @ bread
    dof = max(len(y) - x.shape[1], 1)
    dispersion = max(1.0, float(((y - mu) ** 2 / mu).sum() / dof))
    model = bread * dispersion
    if not np.all(np.diag(model) > 0) or not np.all(np.isfinite(sandwich)):
        msg = "the information matrix is numerically singular (no variance left to estimate)"
        raise np.linalg.LinAlgError(msg)
    scale = np.sqrt(np.maximum(np.diag(sandwich), np.diag(model)) / np.diag(model))
    return beta, model * np.outer(scale, scale)


def _interval(beta: FloatArray, cov: FloatArray, i: int) -> tuple[float, float, float]:
    se = float(np.sqrt(cov[i, i]))
    return float(beta[i]), float(beta[i]) - Z95 * se, float(beta[i]) + Z95 * se


def estimate_price_response(
    sessions: Sequence[pa.Table],
    products: Sequence[Product],
    *,
    product_id: str | None = None,
    category: str | None = None,
) -> PriceResponse:
    """The discount effect and price elasticity of one product, or pooled over a category.

    ``sessions`` are event tables, one per session (e.g. ``store.events(session_id)``).
    """
    if (product_id is None) == (category is None):
        msg = "name exactly one of product_id or category"
        raise ValueError(msg)
    targets = (
        {product_id}
        if product_id is not None
        else {p.product_id for p in products if p.category == category}
    )
    scope = product_id if product_id is not None else f"category:{category}"
    panel = _Panel()
    changes = promos = 0
    for events in sessions:
        if events.num_rows:
            found = _session_panel(events, products, targets, panel)
            changes, promos = changes + found[0], promos + found[1]
    _drop_silent_products(panel)
    y = np.asarray(panel.orders)
    base = {
        "scope": scope,
        "minutes": len(y),
        "orders": int(y.sum()),
        "price_changes": changes,
        "promos": promos,
    }

    def insufficient(reason: str) -> PriceResponse:
        return PriceResponse(status="insufficient", reason=reason, **base)  # type: ignore[arg-type]

    if not targets & {p.product_id for p in products}:
        return insufficient(f"no catalog product matches {scope}")
    if y.sum() < MIN_ORDERS:
        return insufficient(f"too few orders: {int(y.sum())} < {MIN_ORDERS}")
    promo = np.asarray(panel.promo)
    promo_minutes = int(promo.sum())
    live_prices = {round(v, 9) for v, p in zip(panel.log_price, panel.promo, strict=True) if not p}
    has_promo = promo_minutes >= MIN_PROMO_MINUTES
    has_price = len(live_prices) >= 2
    if not has_promo and not has_price:
        return insufficient(
            f"no price variation: {promo_minutes} clean promo minutes (need "
            f"{MIN_PROMO_MINUTES}) and {changes} price.change with one live price outside promos"
        )
    x, names = _design(panel, with_price=has_price)
    try:
        beta, cov = fit_poisson(x, y, np.log(np.asarray(panel.clicks)))
    except np.linalg.LinAlgError as error:
        return insufficient(f"the model cannot be fitted: {error}")
    notes: list[str] = []
    fields: dict[str, object] = {}
    if has_promo and "promo" in names:
        value, low, high = _interval(beta, cov, names.index("promo"))
        fields["discount_effect"] = Estimate(
            value=float(np.exp(value)), low=float(np.exp(low)), high=float(np.exp(high))
        )
        pct = float(np.asarray(panel.discount_pct)[promo > 0].mean())
        fields["mean_discount_pct"] = pct
        if pct > 0:
            keep = float(np.log1p(-pct / 100))
            ends = sorted((low / keep, high / keep))
            fields["discount_elasticity"] = Estimate(value=value / keep, low=ends[0], high=ends[1])
    else:
        notes.append(f"discount effect: {promo_minutes} clean promo minutes < {MIN_PROMO_MINUTES}")
    if has_price and "log_price" in names:
        value, low, high = _interval(beta, cov, names.index("log_price"))
        fields["price_elasticity"] = Estimate(value=value, low=low, high=high)
    else:
        notes.append(
            "price elasticity: one live price outside promos (no price.change to learn from)"
        )
    return PriceResponse(status="ok", reason=None, notes=tuple(notes), **base, **fields)  # type: ignore[arg-type]


def interval_width(response: PriceResponse) -> float:
    """The width of the discount elasticity's 95% interval; infinite without an estimate."""
    found = response.discount_elasticity
    return float("inf") if found is None else found.high - found.low


def best_price_response(
    sessions: Sequence[pa.Table],
    products: Sequence[Product],
    product_id: str,
    *,
    pooled: dict[str, PriceResponse] | None = None,
) -> PriceResponse:
    """The product's own price response, or its category's pooled one where that is tighter
    (narrower discount-elasticity interval). ``pooled``: category estimates already made, by
    category, reused and filled in (one estimate per category when asked for many products)."""
    product = next((p for p in products if p.product_id == product_id), None)
    own = estimate_price_response(sessions, products, product_id=product_id)
    if product is None:
        return own
    cache = {} if pooled is None else pooled
    if product.category not in cache:
        cache[product.category] = estimate_price_response(
            sessions, products, category=product.category
        )
    category = cache[product.category]
    return category if interval_width(category) < interval_width(own) else own
