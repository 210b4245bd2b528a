"""Viewer consent scopes, kept in the store beside the events they govern.

A viewer (a store pseudonym ``v_…``) may hold any of the scopes in :data:`SCOPES`. Privacy by
default: a viewer without a consent record holds none. An import replaces each listed viewer's
scopes (an empty list withdraws them all) and stamps when and from which file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import duckdb
import pyarrow as pa

from livelens.errors import InvalidInput

SCOPES: Final = ("analytics", "marketing", "personalisation", "non_personalised")
_SPLIT: Final = re.compile(r"[;|,\s]+")

DDL: Final = """
CREATE TABLE IF NOT EXISTS viewer_consent (
    viewer_id VARCHAR PRIMARY KEY,
    analytics BOOLEAN NOT NULL, marketing BOOLEAN NOT NULL,
    personalisation BOOLEAN NOT NULL, non_personalised BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL, source VARCHAR NOT NULL);
CREATE SEQUENCE IF NOT EXISTS audience_export_seq;
CREATE TABLE IF NOT EXISTS audience_exports (
    export_id BIGINT DEFAULT nextval('audience_export_seq') PRIMARY KEY,
    exported_at TIMESTAMPTZ NOT NULL, exported_by VARCHAR NOT NULL, purpose VARCHAR NOT NULL,
    segment VARCHAR NOT NULL, as_of DATE NOT NULL, exported BIGINT NOT NULL,
    excluded BIGINT NOT NULL, excluded_reasons JSON NOT NULL, destination VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the consent and audience-export tables in a store if they are missing."""
    con.execute(DDL).fetchall()


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    viewer_id: str
    scopes: frozenset[str]


def parse_consent_csv(text: str, source: str) -> list[ConsentRecord]:
    """Records from CSV text with a ``viewer_id,scopes`` header; scopes split by ``;``, ``|`` or
    spaces (a comma works when the field is quoted). Later rows for a viewer win."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["viewer_id", "scopes"]:
        msg = f"{source}:1: expected the header 'viewer_id,scopes', got {header!r}"
        raise InvalidInput(msg)
    records: dict[str, ConsentRecord] = {}
    for line, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip():
            continue
        viewer = row[0].strip()
        if not viewer.startswith("v_"):
            msg = (
                f"{source}:{line}: viewer id {viewer!r} is not a store pseudonym (v_…); consent "
                "is recorded against the pseudonymous ids that `livelens ingest` stores"
            )
            raise InvalidInput(msg)
        scopes = frozenset(s for s in _SPLIT.split(",".join(row[1:]).strip().lower()) if s)
        unknown = sorted(scopes - set(SCOPES))
        if unknown:
            msg = (
                f"{source}:{line}: unknown scope(s) {unknown}; expected some of {', '.join(SCOPES)}"
            )
            raise InvalidInput(msg)
        records[viewer] = ConsentRecord(viewer, scopes)
    return list(records.values())


def import_consent(
    con: duckdb.DuckDBPyConnection, records: list[ConsentRecord], *, at: datetime, source: str
) -> dict[str, int]:
    """Store the records (replacing earlier ones); return viewers imported and per-scope holders."""
    ensure_tables(con)
    columns: dict[str, Any] = {"viewer_id": pa.array([r.viewer_id for r in records], pa.string())}
    for scope in SCOPES:
        columns[scope] = pa.array([scope in r.scopes for r in records], pa.bool_())
    columns["updated_at"] = pa.array([at] * len(records), pa.timestamp("us", tz="UTC"))
    columns["source"] = pa.array([source] * len(records), pa.string())
    con.register("incoming_consent", pa.table(columns))
    try:
        con.execute(
            "INSERT OR REPLACE INTO viewer_consent BY NAME SELECT * FROM incoming_consent"
        ).fetchall()
    finally:
        con.unregister("incoming_consent")
    counts = {"viewers": len(records)}
    counts |= {scope: sum(scope in r.scopes for r in records) for scope in SCOPES}
    return counts


def consent_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Viewers with a consent record and how many hold each scope."""
    ensure_tables(con)
    sums = ", ".join(f"count(*) FILTER (WHERE {scope})" for scope in SCOPES)
    row = con.execute(f"SELECT count(*), {sums} FROM viewer_consent").fetchall()[0]  # noqa: S608
    return dict(zip(("viewers", *SCOPES), (int(n) for n in row), strict=True))
