"""By default the store never holds a raw platform user id or nickname: proven on real data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
from click.testing import CliRunner

from livelens.cli import EXIT_QUARANTINED, cli

IDENTITY_COLUMNS = ("uid", "uname", "username", "user_name")
TOKEN = re.compile(r"u_[0-9a-f]{12}")


def _raw_identities(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found.update(row[c] for c in IDENTITY_COLUMNS if row.get(c))
    return found


def _stored_strings(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    values: set[str] = set()
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    for table in tables:
        columns = con.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE table_name = ? AND data_type IN ('VARCHAR', 'JSON')",
            [table],
        ).fetchall()
        for (column,) in columns:
            rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()  # noqa: S608
            values.update(str(v) for (v,) in rows if v is not None)
    con.close()
    return values


def test_real_recording_leaves_no_raw_id_or_nickname_in_the_store(
    tmp_path: Path, shared_data: Path
) -> None:
    folder = shared_data / "live" / "bilibili-2021-12-30"
    db = tmp_path / "bili.duckdb"
    result = CliRunner().invoke(
        cli, ["ingest", str(folder), "--format", "bilibili-tidy", "--db", str(db), "--json"]
    )
    assert result.exit_code == EXIT_QUARANTINED, result.output
    assert json.loads(result.stdout)["accepted"] > 80_000
    identities = _raw_identities(folder)
    assert len(identities) > 10_000
    stored = _stored_strings(db)
    assert not identities & stored
    # Also inside longer texts (quarantined raw lines, JSON documents). The prepared copy's
    # identities all have one shape (u_ + 12 hex), so a token scan finds every occurrence.
    assert all(TOKEN.fullmatch(i) for i in identities)
    embedded = {m for text in stored if len(text) > 14 for m in TOKEN.findall(text)}
    assert not identities & embedded
    viewer_ids = (
        duckdb.connect(str(db), read_only=True)
        .execute(
            "SELECT count(DISTINCT viewer_id), count(*) FILTER (viewer_id NOT LIKE 'v_%') "
            "FROM events WHERE viewer_id IS NOT NULL"
        )
        .fetchall()
    )
    assert viewer_ids[0][0] > 10_000
    assert viewer_ids[0][1] == 0
