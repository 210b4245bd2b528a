"""``livelens alerts scan|list|ack`` over a store holding three sessions of one room."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from livelens.cli import cli
from livelens.governance.audit import AuditLog
from livelens.sources.simulation.config import DEFAULT_START, SimulationConfig
from livelens.sources.simulator import write_session
from livelens.store.duckdb import DuckDBStore


def stopped(line: str, start: datetime, end: datetime) -> bool:
    record = json.loads(line)
    return record["type"] == "order.paid" and start <= datetime.fromisoformat(record["ts"]) < end


def test_scan_list_ack(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "room.duckdb"
    for day, seed in enumerate((1, 2, 3)):
        config = SimulationConfig(
            minutes=30,
            peak_viewers=300,
            seed=seed,
            session_id=f"day-{day}",
            start=DEFAULT_START + timedelta(days=day),
        )
        out = tmp_path / f"day-{day}.jsonl"
        write_session(config, out)
        if day == 2:  # sales stop for minutes 10–20: conversion falls out of its band
            stop = (config.start + timedelta(minutes=10), config.start + timedelta(minutes=20))
            out.write_text(
                "".join(
                    line for line in out.read_text().splitlines(True) if not stopped(line, *stop)
                )
            )
        ingested = runner.invoke(cli, ["ingest", str(out), "--db", str(db)])
        assert ingested.exit_code == 0, ingested.output

    scanned = runner.invoke(
        cli, ["alerts", "scan", "--db", str(db), "--session", "day-2", "--json"]
    )
    assert scanned.exit_code == 0, scanned.output
    scan = json.loads(scanned.output)
    assert scan["history"] == ["day-0", "day-1"]  # the room's earlier sessions only
    assert scan["minutes_scored"] == 29
    assert len(scan["new"]) == len(scan["alerts"])
    again = json.loads(
        runner.invoke(
            cli, ["alerts", "scan", "--db", str(db), "--session", "day-2", "--json"]
        ).output
    )
    assert again["alerts"] == scan["alerts"]
    assert again["new"] == []  # idempotent: nothing new the second time

    first = runner.invoke(cli, ["alerts", "scan", "--db", str(db), "--session", "day-0"])
    assert first.exit_code == 0, first.output
    assert "the session itself (no earlier sessions)" in first.output

    assert [(a["metric"], a["direction"]) for a in scan["alerts"]].count(
        ("conversion", "below")
    ) == 1
    stop = next(a for a in scan["alerts"] if a["direction"] == "below")
    assert 10 <= stop["opened_minute"] <= 15
    assert stop["last_minute"] >= 19
    listed = json.loads(runner.invoke(cli, ["alerts", "list", "--db", str(db), "--json"]).output)
    assert stop["alert_id"] in {a["alert_id"] for a in listed}
    alert_id = stop["alert_id"]
    acked = runner.invoke(cli, ["alerts", "ack", alert_id, "--db", str(db), "--by", "ops-lead"])
    assert acked.exit_code == 0, acked.output
    assert "acked by ops-lead" in acked.output
    unacked = json.loads(
        runner.invoke(cli, ["alerts", "list", "--db", str(db), "--unacked", "--json"]).output
    )
    assert alert_id not in {a["alert_id"] for a in unacked}
    with DuckDBStore(db) as store:
        entries = AuditLog(store).entries()
    assert [(e.actor, e.action, e.subject) for e in entries if e.action == "alert.ack"] == [
        ("ops-lead", "alert.ack", alert_id)
    ]

    missing = runner.invoke(cli, ["alerts", "ack", "al_nope", "--db", str(db), "--by", "x"])
    assert missing.exit_code != 0
    assert "no alert 'al_nope'" in missing.output
    unknown = runner.invoke(cli, ["alerts", "scan", "--db", str(db), "--session", "nope"])
    assert unknown.exit_code != 0
    assert "not in the store" in unknown.output
    hook = runner.invoke(
        cli,
        [
            "alerts",
            "scan",
            "--db",
            str(db),
            "--session",
            "day-2",
            "--webhook",
            "http://127.0.0.1:9/",
        ],
        env={"LIVELENS_WEBHOOK_SECRET": ""},
    )
    assert hook.exit_code != 0
    assert "signing secret" in hook.output
