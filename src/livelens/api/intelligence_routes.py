"""Business intelligence over the API: live nowcasts per product, daily demand forecasts from the
store's orders, price suggestions with the price response behind them, and accepting a
suggestion (managers; stored as a ``price.change`` and audited) — the library functions that
``livelens forecast …`` and ``livelens price suggest`` call."""

from typing import Annotated, Final, TypedDict

import msgspec
from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from livelens.api.auth import Authenticator
from livelens.api.errors import ApiError, ErrorBody, error_responses
from livelens.api.hub import LiveHub
from livelens.api.routes import answers
from livelens.api.tokens import TokenInfo, require
from livelens.errors import InvalidInput
from livelens.intelligence.daily_outlook import DailyOutlook, daily_outlook, read_daily_series
from livelens.intelligence.elasticity import PriceResponse
from livelens.intelligence.leadlag_scan import LeadLagScan
from livelens.intelligence.leadlag_store import read_scan_inputs, run_scan
from livelens.intelligence.nowcast import Nowcast, nowcast_products
from livelens.intelligence.price_advice import (
    ACCEPT_ACTION,
    PriceAdvice,
    PriceInputs,
    acceptance,
    advise,
    read_price_inputs,
)
from livelens.intelligence.price_guardrails import DEFAULT_MAX_DISCOUNT_PCT
from livelens.intelligence.pricing import PriceSuggestion
from livelens.intelligence.series import analyzer_classifier
from livelens.sources.base import SourceBatch

ACCEPTING_ROLES: Final = ("manager", "admin")  # operators run the room; managers set prices
MAX_ID: Final = 256
MAX_DISCOUNT_HELP: Final = "Largest discount off the reference price, in percent"
NO_SIGNALS: Final = (
    "the store has no external signals overlapping its sales in time; import them with "
    "`livelens signals import`"
)


class SessionNowcasts(TypedDict):
    session_id: str
    minutes: int  # session minutes so far, the last one still filling while live
    from_minute: int  # the first forecast minute: the minutes before it are the data
    nowcasts: list[Nowcast]  # per product and horizon (5, 15, 30 minutes)


class SignalScan(TypedDict):
    scan: LeadLagScan | None  # None: nothing to scan, ``unavailable`` says why
    unavailable: str | None


class Accepted(TypedDict):
    event_id: str  # the price.change stored
    price_minor: int
    audit_action: str


class AcceptedAdvice(TypedDict):
    response: PriceResponse
    suggestion: PriceSuggestion
    accepted: Accepted


class AcceptIn(BaseModel):
    session: str = Field(
        min_length=1, max_length=MAX_ID, description="The session whose room the price is for"
    )
    max_discount_pct: float = Field(
        default=DEFAULT_MAX_DISCOUNT_PCT, ge=0, le=90, description=MAX_DISCOUNT_HELP
    )
    price_minor: int | None = Field(
        default=None,
        ge=0,
        description="The suggested price you reviewed: refused (409) if the suggestion is now "
        "another price",
    )


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), 200, media_type="application/json")


def _require_manager(who: TokenInfo) -> None:
    require(who, "ingest")
    if who.role not in ACCEPTING_ROLES:
        msg = (
            f"accepting a price suggestion needs the role {' or '.join(ACCEPTING_ROLES)}; "
            f"token {who.token_id} has the role {who.role}"
        )
        raise ApiError(403, "forbidden", msg)


def intelligence_routes(hub: LiveHub, authenticated: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api", responses=error_responses(401))
    Caller = Annotated[TokenInfo, Depends(authenticated)]

    def price_inputs(session_id: str, product_id: str) -> PriceInputs:
        with hub.lock:
            hub.summarise_sessions()
            return read_price_inputs(hub.store, session_id, product_id)

    @router.get(
        "/sessions/{session_id}/nowcasts",
        summary="Orders and GMV per product for the next 5, 15 and 30 minutes, with intervals",
        responses={**answers(SessionNowcasts), **error_responses(404, 422)},
    )
    async def nowcasts(
        session_id: str,
        minute: Annotated[
            int | None,
            Query(
                ge=0,
                description="The first minute to forecast (session minute index); the minutes "
                "before it are the data. Default: the session's last minute, which is still "
                "filling while the session is live",
            ),
        ] = None,
    ) -> Response:
        """80% and 95% prediction intervals (negative binomial orders; GMV at the product's
        recent order value), as ``livelens forecast nowcast`` gives them."""

        def forecast() -> SessionNowcasts:
            metrics = hub.metrics(session_id)
            start = max(metrics.minutes - 1, 0) if minute is None else minute
            if start > metrics.minutes:
                msg = (
                    f"minute {start} is after session {session_id}, which has "
                    f"{metrics.minutes} minute(s); give ?minute= from 0 to {metrics.minutes}"
                )
                raise InvalidInput(msg)
            return {
                "session_id": session_id,
                "minutes": metrics.minutes,
                "from_minute": start,
                "nowcasts": nowcast_products(metrics, as_of_minute=start),
            }

        return _json(await run_in_threadpool(forecast))

    @router.get(
        "/forecast/daily",
        summary="Daily demand of a product or category: forecast, baseline, optional backtest",
        responses={**answers(DailyOutlook), **error_responses(404, 422)},
    )
    async def forecast_daily(
        product: Annotated[
            str | None, Query(min_length=1, max_length=MAX_ID, description="A product id")
        ] = None,
        category: Annotated[
            str | None, Query(min_length=1, max_length=MAX_ID, description="A catalog category")
        ] = None,
        horizon: Annotated[int, Query(ge=1, le=366, description="Days ahead")] = 14,
        timezone: Annotated[
            str,
            Query(min_length=1, max_length=MAX_ID, description="The calendar days' IANA time zone"),
        ] = "UTC",
        backtest: Annotated[
            bool, Query(description="Add a rolling-origin backtest (MASE, coverage)")
        ] = False,
    ) -> Response:
        """Units ordered per day from the store's ``order.paid`` events; the ETS + calendar
        forecast with 80%/95% intervals and the seasonal naive baseline, as ``livelens forecast
        daily`` gives them. Under two weeks of orders: ``status`` insufficient and the reason."""

        def outlook() -> DailyOutlook:
            with hub.lock:
                series = read_daily_series(
                    hub.store, product_id=product, category=category, timezone=timezone
                )
            return daily_outlook(series, horizon=horizon, with_backtest=backtest)

        return _json(await run_in_threadpool(outlook))

    @router.get(
        "/products/{product_id}/price-suggestion",
        summary="The product's price response and a guarded price suggestion for a session",
        responses={**answers(PriceAdvice), **error_responses(404, 422)},
    )
    async def price_suggestion(
        product_id: str,
        session: Annotated[
            str,
            Query(min_length=1, max_length=MAX_ID, description="The session to suggest a price in"),
        ],
        max_discount_pct: Annotated[
            float, Query(ge=0, le=90, description=MAX_DISCOUNT_HELP)
        ] = DEFAULT_MAX_DISCOUNT_PCT,
    ) -> Response:
        """The discount effect and elasticity over every stored session (or why the data cannot
        support them), and the price for the next 15 minutes with ΔGMV, Δmargin and each
        guardrail check, as ``livelens price suggest --json`` gives them."""

        def suggest() -> PriceAdvice:
            return advise(price_inputs(session, product_id), max_discount_pct=max_discount_pct)

        return _json(await run_in_threadpool(suggest))

    @router.post(
        "/products/{product_id}/price-suggestion/accept",
        summary="Accept the price suggestion (managers): store the price.change, audit it",
        responses={
            **answers(AcceptedAdvice),
            **error_responses(403, 404, 422),
            409: {
                "model": ErrorBody,
                "description": "The suggestion is now another price than the one reviewed "
                "(suggestion_changed)",
            },
        },
    )
    async def accept_price(
        product_id: str, payload: Annotated[AcceptIn, Body()], who: Caller
    ) -> Response:
        """The suggestion is made again as ``GET …/price-suggestion`` makes it and, if it is a
        ``suggested`` cut, stored as a ``price.change`` now — the live engine and the AI host's
        answers follow it — and audited as ``price.suggestion.accept``, as ``livelens price
        suggest --accept`` does. A ``hold`` or ``withheld`` suggestion changes no price: 422."""
        _require_manager(who)

        def accept() -> AcceptedAdvice:
            inputs = price_inputs(payload.session, product_id)
            advice = advise(inputs, max_discount_pct=payload.max_discount_pct)
            suggestion = advice.suggestion
            if payload.price_minor is not None and suggestion.price_minor != payload.price_minor:
                msg = (
                    f"the suggestion for {product_id} is now {suggestion.price_minor} "
                    f"({suggestion.status}: {suggestion.reason}), not the {payload.price_minor} "
                    "reviewed; review it again"
                )
                raise ApiError(409, "suggestion_changed", msg, msgspec.to_builtins(suggestion))
            event, details = acceptance(inputs, suggestion, hub.clock())
            result = hub.ingest(SourceBatch(f"api:{who.token_id}", [event]))
            if result.rejections:
                rejection = result.rejections[0]
                raise ApiError(422, "invalid_records", f"{rejection.reason}: {rejection.detail}")
            hub.record(who.token_id, ACCEPT_ACTION, product_id, details)
            accepted: Accepted = {
                "event_id": str(event.event_id),
                "price_minor": event.price_minor,
                "audit_action": ACCEPT_ACTION,
            }
            return {"response": advice.response, "suggestion": suggestion, "accepted": accepted}

        return _json(await run_in_threadpool(accept))

    @router.get(
        "/signals/scan",
        summary="Lead-lag of every external signal against the products and categories it "
        "concerns, false discoveries controlled",
        responses={**answers(SignalScan), **error_responses(422)},
    )
    async def signals_scan(
        alpha: Annotated[
            float, Query(gt=0, lt=1, description="False discovery rate (Benjamini-Hochberg)")
        ] = 0.05,
        max_lag_hours: Annotated[int, Query(ge=0, le=72, description="Longest lead tried")] = 6,
        comments: Annotated[
            bool, Query(description="Also test comment sentiment and concern shares")
        ] = True,
    ) -> Response:
        """Every matched trend word and every competitor category against the catalog's products
        and categories (clicks, orders, GMV, comment shares), as ``livelens signals scan --json``
        gives it: the tests run, those skipped by reason, and the findings with q ≤ alpha. A
        store without external signals overlapping its sales: ``scan`` null and the reason."""

        def scan() -> SignalScan:
            with hub.lock:  # only the reads: the live goes on while the scan runs
                inputs = read_scan_inputs(hub.store, comments=comments)
            if inputs is None:
                return {"scan": None, "unavailable": NO_SIGNALS}
            classify = analyzer_classifier(hub.analyzer) if comments else None
            found = run_scan(inputs, alpha=alpha, max_lag=max_lag_hours, classify=classify)
            return {"scan": found, "unavailable": None}

        return _json(await run_in_threadpool(scan))

    return router
