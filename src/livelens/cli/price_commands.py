"""``livelens price …``: guarded price suggestions (主动价格调整建议) and accepting them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from livelens.cli.app import DB_OPTION, cli
from livelens.errors import InvalidInput
from livelens.events.columns import events_to_table
from livelens.governance.audit import AuditLog
from livelens.intelligence.elasticity import PriceResponse
from livelens.intelligence.price_advice import (
    ACCEPT_ACTION,
    PriceInputs,
    acceptance,
    advise,
    read_price_inputs,
)
from livelens.intelligence.price_guardrails import DEFAULT_MAX_DISCOUNT_PCT
from livelens.intelligence.pricing import PriceSuggestion
from livelens.store.duckdb import DuckDBStore


@cli.group("price", short_help="Price elasticity and guarded price suggestions.")
def price_group() -> None:
    """Price response per product and price suggestions that pass every guardrail."""


def _money(minor: float) -> str:
    return f"¥{minor / 100:,.2f}"


def _render(response: PriceResponse, suggestion: PriceSuggestion) -> list[str]:
    lines = [f"product          {suggestion.product_id}   as of {suggestion.as_of.isoformat()}"]
    effect = response.discount_effect
    if effect is not None:
        lines.append(
            f"discount effect  ×{effect.value:.2f} conversion per click "
            f"(95% {effect.low:.2f}–{effect.high:.2f}; {response.scope}, "
            f"{response.promos} promos, mean {response.mean_discount_pct or 0:.0f}% off)"
        )
    else:
        lines.append(f"discount effect  none: {response.reason or '; '.join(response.notes)}")
    lines.append(f"status           {suggestion.status}: {suggestion.reason}")
    lines.append(f"current price    {_money(suggestion.current_price_minor)}")
    if suggestion.blocked_by:
        lines.append(f"blocked by       {', '.join(suggestion.blocked_by)}")
    if suggestion.status == "suggested" and suggestion.price_minor is not None:
        ref = suggestion.reference_price_minor
        shown = f" (划线 {_money(ref)})" if ref is not None else ""
        lines.append(
            f"suggested price  {_money(suggestion.price_minor)}{shown}  "
            f"{suggestion.discount_pct:g}% off"
        )
    for label, est in (
        ("expected units", suggestion.expected_units),
        ("Δ GMV", suggestion.delta_gmv_minor),
        ("Δ margin", suggestion.delta_margin_minor),
    ):
        if est is not None:
            scale = 1 if label == "expected units" else 100
            lines.append(
                f"{label:<16} {est.value / scale:,.1f}  (95% {est.low / scale:,.1f} … "
                f"{est.high / scale:,.1f}) over {suggestion.horizon_minutes} min"
            )
    base = suggestion.baseline_units
    if base is not None:
        lines.append(
            f"baseline         {base.value:,.1f} units (95% {base.low:,.1f} … {base.high:,.1f}) "
            f"over {suggestion.horizon_minutes} min at the current price, "
            f"from the {suggestion.baseline}"
        )
    if suggestion.stock_left is not None:
        lines.append(f"stock left       {suggestion.stock_left:,} units")
    lines.append(f"cost basis       {_money(suggestion.cost_minor)} — {suggestion.cost_basis}")
    if suggestion.history_sessions:
        lines.append(f"price history    sessions {', '.join(suggestion.history_sessions)}")
    lines.extend(f"note             {note}" for note in suggestion.notes)
    for check in suggestion.checks:
        lines.append(f"  [{'pass' if check.passed else 'FAIL'}] {check.name:<24} {check.detail}")
    return lines


@price_group.command("suggest")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The stored session id.")
@click.option("--product", "product_id", required=True, help="The catalog product id.")
@click.option(
    "--max-discount",
    default=DEFAULT_MAX_DISCOUNT_PCT,
    show_default=True,
    type=click.FloatRange(0, 90),
    help="Largest discount off the reference price, in percent.",
)
@click.option(
    "--accept",
    "accept_by",
    default=None,
    help="Accept it as this user: store the price.change and audit it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def suggest_command(
    db: Path,
    session_id: str,
    product_id: str,
    max_discount: float,
    accept_by: str | None,
    as_json: bool,
) -> None:
    """Suggest a guarded price for a product, with ΔGMV, Δmargin and each guardrail check."""
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    with DuckDBStore(db) as store:
        inputs = read_price_inputs(store, session_id, product_id)
        advice = advise(inputs, max_discount_pct=max_discount)
        response, suggestion = advice.response, advice.suggestion
        out: dict[str, Any] = {"response": response, "suggestion": suggestion}
        if accept_by is not None:
            out["accepted"] = _accept(store, inputs, suggestion, accept_by)
    if as_json:
        click.echo(msgspec.json.encode(out).decode())
        return
    for line in _render(response, suggestion):
        click.echo(line)
    if "accepted" in out:
        accepted = out["accepted"]
        click.echo(f"accepted         {accepted['event_id']} (audit seq {accepted['audit_seq']})")


def _accept(
    store: DuckDBStore, inputs: PriceInputs, suggestion: PriceSuggestion, by: str
) -> dict[str, Any]:
    """Store the suggestion as a ``price.change`` and audit it, in one transaction."""
    at = datetime.now(UTC)
    event, details = acceptance(inputs, suggestion, at)
    store.begin()
    try:
        store.append_events(events_to_table([event]))
        store.refresh_sessions([inputs.summary.session_id])
        entry = AuditLog(store).append(by, ACCEPT_ACTION, suggestion.product_id, details, at=at)
    except Exception:
        store.rollback()
        raise
    store.commit()
    return {"event_id": event.event_id, "audit_seq": entry.seq}
