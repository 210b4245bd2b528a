"""``livelens report``: both formats from the suffix, one-line errors for the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_session import StoredSession

from livelens.cli import cli
from livelens.governance.labels import check_file


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livelens", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("name", "magic"), [("review.html", b"<!DOCTYPE html>"), ("r.PDF", b"%PDF-")]
)
def test_writes_the_format_its_suffix_names(
    stored_session: StoredSession, tmp_path: Path, name: str, magic: bytes
) -> None:
    out = tmp_path / "nested" / name
    args = ["report", "--db", str(stored_session.db), "--session", "sim-3", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)
    assert result.output.startswith(f"wrote {out} (")
    assert [p.name for p in out.parent.iterdir()] == [name]  # no partial file left behind
    label = check_file(out)  # the implicit AI label (AIGC record) travels with the report
    assert label.valid, label.problems
    assert label.record is not None
    assert label.record.content_producer == "livelens"


@pytest.mark.parametrize(
    ("out", "session", "message"),
    [
        (
            "{tmp}/review.docx",
            "sim-3",
            "the suffix '.docx' is not a report format; use one of .html, .pdf",
        ),
        ("{tmp}/review", "sim-3", "the suffix '(none)' is not a report format"),
        ("{tmp}/review.html", "nope", "session 'nope' is not in"),
    ],
)
def test_errors_are_one_line(
    stored_session: StoredSession, tmp_path: Path, out: str, session: str, message: str
) -> None:
    target = out.format(tmp=tmp_path)
    result = _run("report", "--db", str(stored_session.db), "--session", session, "--out", target)
    assert result.returncode == 1
    assert result.stderr.startswith("livelens: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert not Path(target).exists()


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "missing.duckdb"
    result = _run("report", "--db", str(db), "--session", "s", "--out", str(tmp_path / "r.html"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert not db.exists()
