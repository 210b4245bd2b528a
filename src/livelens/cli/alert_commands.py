"""``livelens alerts …``: anomaly alerts of stored sessions, delivered, listed, acknowledged."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from livelens.cli.app import DB_OPTION, cli
from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.intelligence.alert_scan import scan_session
from livelens.intelligence.alert_store import AlertStore, StoredAlert
from livelens.intelligence.alerts import Alert, AlertRule
from livelens.sinks.webhook import WebhookSink
from livelens.store.duckdb import DuckDBStore


@cli.group("alerts", short_help="Anomaly alerts: viewers, GMV and conversion out of their band.")
def alerts_group() -> None:
    """Score sessions against their room's expected curve; list and acknowledge the alerts."""


def _existing(db: Path) -> Path:
    if not db.exists():
        msg = f"store {db} does not exist; ingest a session first (`livelens ingest --db {db}`)"
        raise InvalidInput(msg)
    return db


def _line(alert: Alert, acked_by: str | None = None) -> str:
    state = alert.status if acked_by is None else f"{alert.status}, acked by {acked_by}"
    span = f"minutes {alert.opened_minute + 1}–{alert.last_minute + 1}"
    return f"{alert.alert_id}  {alert.metric:<10} {span:<16} [{state}]  {alert.message_zh}"


def _payload(alert: Alert) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(alert)
    return {
        "kind": "livelens.alert",
        **body,
        "message_zh": alert.message_zh,
        "message_en": alert.message_en,
    }


@alerts_group.command("scan")
@DB_OPTION
@click.option("--session", "session_id", required=True, help="The stored session to score.")
@click.option(
    "--z",
    type=click.FloatRange(min=0, min_open=True),
    default=3.0,
    show_default=True,
    help="Band half-width in standard deviations.",
)
@click.option("--webhook", help="POST each new alert here (signed; see docs/intelligence.md).")
@click.option(
    "--secret-env",
    default="LIVELENS_WEBHOOK_SECRET",
    show_default=True,
    help="Environment variable holding the webhook's signing secret.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def scan_command(
    db: Path, session_id: str, z: float, webhook: str | None, secret_env: str, as_json: bool
) -> None:
    """Score every minute of a session against its room's earlier sessions; store the alerts."""
    secret = os.environ.get(secret_env, "").encode()
    if webhook and not secret:
        msg = f"--webhook needs a signing secret: set the environment variable {secret_env}"
        raise InvalidInput(msg)
    with DuckDBStore(_existing(db)) as store:
        scan = scan_session(store, session_id, AlertRule(z=z))
        deliveries = []
        if webhook:
            sink = WebhookSink(webhook, secret, AlertStore(store.con))
            deliveries = [sink.deliver(alert.alert_id, _payload(alert)) for alert in scan.new]
    if as_json:
        out = {**msgspec.to_builtins(scan), "deliveries": msgspec.to_builtins(deliveries)}
        click.echo(msgspec.json.encode(out).decode())
        return
    basis = (
        f"{len(scan.history)} earlier sessions of {scan.room_id}"
        if scan.history
        else "the session itself (no earlier sessions)"
    )
    click.echo(f"{scan.session_id}: {scan.minutes_scored} minutes scored against {basis}")
    click.echo(f"alerts {len(scan.alerts)} (new {len(scan.new)})")
    for alert in scan.alerts:
        click.echo(_line(alert))
    for delivery in deliveries:
        note = f" ({delivery.last_error})" if delivery.last_error else ""
        click.echo(
            f"webhook {delivery.delivery_id}: {delivery.status} "
            f"after {delivery.attempts} attempt(s){note}"
        )


@alerts_group.command("list")
@DB_OPTION
@click.option("--session", "session_id", help="Only this session.")
@click.option("--unacked", is_flag=True, help="Only alerts nobody acknowledged.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array on stdout.")
def list_command(db: Path, session_id: str | None, unacked: bool, as_json: bool) -> None:
    """Stored alerts, oldest first (run `alerts scan` to score a session)."""
    with DuckDBStore(_existing(db)) as store:
        stored = AlertStore(store.con).alerts(session_id, unacknowledged=unacked)
    if as_json:
        click.echo(msgspec.json.encode([_stored(s) for s in stored]).decode())
        return
    if not stored:
        click.echo("no alerts")
    for item in stored:
        click.echo(_line(item.alert, item.acked_by))


def _stored(item: StoredAlert) -> dict[str, Any]:
    return {**_payload(item.alert), "acked_by": item.acked_by, "acked_at": item.acked_at}


@alerts_group.command("ack")
@DB_OPTION
@click.argument("alert_id")
@click.option("--by", "by", required=True, help="Who acknowledges it (recorded in the audit log).")
def ack_command(db: Path, alert_id: str, by: str) -> None:
    """Acknowledge an alert: it stays listed, marked as seen; the audit log records who and when."""
    at = datetime.now(UTC)
    with DuckDBStore(_existing(db)) as store:
        item = AlertStore(store.con).acknowledge(alert_id, by, at)
        details = {"metric": item.alert.metric, "session_id": item.alert.session_id}
        AuditLog(store).append(by, "alert.ack", alert_id, details, at=at)
    click.echo(_line(item.alert, item.acked_by))
