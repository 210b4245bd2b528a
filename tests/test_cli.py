"""The command line: one line per command in --help, one-line errors, the pinned --json shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelens.cli import EXIT_QUARANTINED, cli
from livelens.testing import event_record, jsonl

COMMANDS = (
    "alerts",
    "analyze",
    "audit",
    "comments",
    "crm",
    "demo",
    "experiment",
    "export",
    "forecast",
    "ingest",
    "label",
    "ledger",
    "models",
    "playbooks",
    "price",
    "privacy",
    "qa",
    "quarantine",
    "recommend",
    "report",
    "rooms",
    "run",
    "serve",
    "sessions",
    "signals",
    "simulate",
    "token",
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livelens", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command_on_one_line() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == list(COMMANDS)
    assert all(not line.rstrip().endswith("...") for line in listed)


@pytest.mark.parametrize("workers", ["1", "2"])  # 2: worker processes prepare the file
def test_ingest_json_summary_is_one_object(tmp_path: Path, workers: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl([event_record("comment"), event_record("like")]) + b"{oops\n")
    args = ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--json"]
    result = CliRunner().invoke(cli, [*args, "--workers", workers])
    assert result.exit_code == EXIT_QUARANTINED
    assert json.loads(result.stdout) == {
        "accepted": 2,
        "duplicates": 0,
        "quarantined": {"malformed_json": 1},
    }


def test_clean_ingest_exits_zero_and_reingest_counts_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl([event_record("comment"), event_record("like")]))
    args = ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--json"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert json.loads(second.stdout) == {"accepted": 0, "duplicates": 2, "quarantined": {}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.jsonl", "--db", "{tmp}/s.duckdb"], "missing.jsonl does not exist"),
        (["ingest", "{tmp}/events.txt", "--db", "{tmp}/s.duckdb"], "pass --format"),
        (
            [
                "ingest",
                "{tmp}/events.jsonl",
                "--db",
                "{tmp}/s.duckdb",
                "--catalog",
                "{tmp}/no.json",
            ],
            "catalog file",
        ),
        (
            ["ingest", "{tmp}/events.jsonl", "--db", "{tmp}/s.duckdb", "--workspace", "../x"],
            "workspace name",
        ),
        (["ingest", "{tmp}", "--format", "jsonl", "--db", "{tmp}/s.duckdb"], "Is a directory"),
        (["run", "--source", "simulator", "--db", "{tmp}/s.duckdb", "--speed", "0"], "--speed"),
        (["analyze", "--db", "{tmp}/s.duckdb", "--session", "nope"], "has no events"),
    ],
)
def test_errors_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "events.txt").write_text("x")
    (tmp_path / "events.jsonl").write_bytes(jsonl([event_record("like")]))
    result = _run(*(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("livelens: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "ingest", "missing.jsonl", "--db", str(tmp_path / "s.duckdb"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_sessions_and_export(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl([event_record("comment"), event_record("like")]))
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(path), "--db", db]).exit_code == 0
    listed = runner.invoke(cli, ["sessions", "--db", db, "--json"])
    (session,) = json.loads(listed.stdout)
    assert session["session_id"] == "session-1"
    assert session["by_type"] == {"comment": 1, "like": 1}
    out = tmp_path / "out.parquet"
    exported = runner.invoke(cli, ["export", "--db", db, "--out", str(out)])
    assert exported.exit_code == 0
    assert "wrote 2 events" in exported.stdout
    assert out.stat().st_size > 0


def test_run_the_simulator_live_prints_each_minute_and_resumes(tmp_path: Path) -> None:
    db = str(tmp_path / "live.duckdb")
    args = ["run", "--source", "simulator", "--db", db, "--speed", "2000", "--minutes", "3"]
    args += ["--peak-viewers", "60", "--seed", "4"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    minutes = [line for line in first.output.splitlines() if "分钟" in line]
    assert all(line.startswith("[sim-4] ") for line in minutes)
    assert len(minutes) == 3
    assert "第2分钟" in first.output
    assert "0 duplicates, 0 quarantined" in first.output
    again = CliRunner().invoke(cli, args)  # resumes after the last checkpoint: nothing is new
    assert again.exit_code == 0, again.output
    assert "resuming live from" in again.output
    assert "0 events stored" in again.output


def test_run_follows_a_file_until_idle(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(jsonl([event_record("comment"), event_record("like")]))
    db = str(tmp_path / "live.duckdb")
    result = CliRunner().invoke(
        cli, ["run", "--source", str(path), "--db", db, "--idle-timeout", "0.2"]
    )
    assert result.exit_code == 0, result.output
    assert "2 events stored" in result.output
    assert "[session-1]" in result.output
