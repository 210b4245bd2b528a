"""``livelens experiment design|analyze`` over a real store holding a simulated switchback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from livelens.cli import cli
from livelens.knowledge.experiments.switchback import load_schedule
from livelens.sources.simulator import SimulationConfig, Treatment, write_session


def test_design_prints_a_schedule_that_loads() -> None:
    result = CliRunner().invoke(
        cli, ["experiment", "design", "--minutes", "60", "--slice-minutes", "10", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    schedule = load_schedule(result.output.encode())
    assert [s.start_minute for s in schedule.slices] == [0, 10, 20, 30, 40, 50]
    assert json.loads(result.output)["washout_minutes"] == 2


def test_analyze_reports_effect_srm_and_sequential_status(tmp_path: Path) -> None:
    runner = CliRunner()
    design = tmp_path / "design.json"
    args = ["experiment", "design", "--minutes", "30", "--slice-minutes", "5"]
    result = runner.invoke(cli, [*args, "--seed", "2", "--out", str(design)])
    assert result.exit_code == 0, result.output
    schedule = load_schedule(design.read_bytes())
    events = tmp_path / "s.jsonl"
    treatment = Treatment(windows_s=schedule.treated_windows_s(), lift=2.0)
    write_session(SimulationConfig(minutes=30, peak_viewers=300, treatment=treatment), events)
    db = tmp_path / "s.duckdb"
    result = runner.invoke(cli, ["ingest", str(events), "--db", str(db)])
    assert result.exit_code == 0, result.output

    result = runner.invoke(
        cli,
        [
            "experiment",
            "analyze",
            "--db",
            str(db),
            "--session",
            "sim-0",
            "--design",
            str(design),
            "--start",
            "2026-11-11T20:00:00+08:00",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    effect = report["effect"]
    assert effect["metric"] == "orders"
    assert effect["slices_treatment"] == effect["slices_control"] == 3
    assert effect["mean_treatment"] > effect["mean_control"]
    low, high = effect["relative_ci"]
    assert low < effect["relative_effect"] < high
    assert report["sample_ratio"]["mismatch"] is False
    assert report["sequential"]["looks"] == 2

    gmv = runner.invoke(
        cli,
        [
            *("experiment", "analyze", "--db", str(db), "--session", "sim-0"),
            *("--design", str(design), "--metric", "gmv", "--pre-session", "sim-0"),
        ],
    )
    assert gmv.exit_code == 0, gmv.output
    assert json.loads(gmv.output)["effect"]["cuped"]["variance_reduction"] > 0.99


def test_unknown_session_is_a_one_line_error(tmp_path: Path) -> None:
    design = tmp_path / "design.json"
    runner = CliRunner()
    runner.invoke(
        cli, ["experiment", "design", "--minutes", "30", "--seed", "1", "--out", str(design)]
    )
    events = tmp_path / "s.jsonl"
    write_session(SimulationConfig(minutes=2, peak_viewers=20), events)
    db = tmp_path / "s.duckdb"
    runner.invoke(cli, ["ingest", str(events), "--db", str(db)])
    result = runner.invoke(
        cli,
        ["experiment", "analyze", "--db", str(db), "--session", "nope", "--design", str(design)],
    )
    assert result.exit_code != 0
    assert "session 'nope' has no events" in result.output


def test_analyze_with_playbook_records_the_effect_in_the_ledger(tmp_path: Path) -> None:
    runner = CliRunner()
    design = tmp_path / "design.json"
    args = ["experiment", "design", "--minutes", "30", "--slice-minutes", "5"]
    assert runner.invoke(cli, [*args, "--seed", "3", "--out", str(design)]).exit_code == 0
    schedule = load_schedule(design.read_bytes())
    events = tmp_path / "s.jsonl"
    treatment = Treatment(windows_s=schedule.treated_windows_s(), kind="discount")
    write_session(SimulationConfig(minutes=30, peak_viewers=600, treatment=treatment), events)
    db = tmp_path / "s.duckdb"
    assert runner.invoke(cli, ["ingest", str(events), "--db", str(db)]).exit_code == 0
    analyze = [
        *("experiment", "analyze", "--db", str(db), "--session", "sim-0"),
        *("--design", str(design), "--start", "2026-11-11T20:00:00+08:00"),
        *("--playbook", "peak-flash-discount", "--by", "analyst"),
    ]

    refused = runner.invoke(cli, analyze)  # orders per minute cannot pool with GMV outcomes
    assert refused.exit_code != 0
    assert "analyse with --metric gmv" in refused.output

    result = runner.invoke(cli, [*analyze, "--metric", "gmv"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    effect, ledger = report["effect"], report["ledger"]
    assert ledger["replaced"] is False
    assert ledger["outcome"]["design"] == "switchback experiment"
    assert ledger["outcome"]["effect"] == effect["relative_effect"]
    assert ledger["outcome"]["se"] == effect["relative_standard_error"] > 0
    assert ledger["outcome"]["window_minutes"] == ledger["outcome"]["pre_minutes"] == 9

    again = runner.invoke(cli, [*analyze, "--metric", "gmv"])
    assert json.loads(again.output)["ledger"]["replaced"] is True  # one outcome per session

    shown = runner.invoke(cli, ["ledger", "estimates", "--db", str(db), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    estimate = json.loads(shown.output)["peak-flash-discount"]
    assert estimate["outcomes"] == 1
    assert estimate["designs"] == {"switchback experiment": 1}
    assert estimate["low"] < estimate["mean"] < estimate["high"]
    text = runner.invoke(cli, ["ledger", "estimates", "--db", str(db)]).output
    assert "1 switchback experiment" in text
    listed = runner.invoke(cli, ["ledger", "list", "--db", str(db), "--session", "sim-0"]).output
    measured = f"{effect['relative_effect']:+.1%} ±{1.96 * effect['relative_standard_error']:.1%}"
    assert listed.splitlines()[-1].split() == [
        "sim-0:peak-flash-discount",
        "experiment",
        "outcome",
        *measured.split(),
        "(by",
        "analyst)",
    ]

    log = runner.invoke(cli, ["audit", "log", "--db", str(db), "--json"])
    assert log.exit_code == 0, log.output
    entries = [json.loads(line) for line in log.output.splitlines()]
    recorded = [e for e in entries if e["action"] == "experiment.outcome"]
    assert [(e["actor"], e["subject"], e["details"]["replaced"]) for e in recorded] == [
        ("analyst", "sim-0", False),
        ("analyst", "sim-0", True),
    ]
