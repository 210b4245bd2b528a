"""Audiences: a segment exported as pseudonymous viewer ids for one named campaign purpose.

Only viewers whose consent allows marketing are exported: the ``marketing`` scope, and not the
``non_personalised`` choice (a segment is built from the viewer's own behaviour, so it is
personalised targeting). Everyone else is left out and counted by reason:

* ``no_consent_record`` — no consent on file (privacy by default: no marketing);
* ``no_marketing_scope`` — a record without ``marketing``;
* ``non_personalised`` — the viewer chose non-personalised treatment.

Every export is recorded in ``audience_exports``: who, when, purpose, segment, as-of date, counts,
the file written and its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa

from livelens.crm.consent import ensure_tables
from livelens.crm.rfm import RfmTable, customers_in
from livelens.errors import InvalidInput

EXCLUSIONS: Final = ("no_consent_record", "no_marketing_scope", "non_personalised")


@dataclass(frozen=True, slots=True)
class AudienceExport:
    export_id: int
    segment: str
    purpose: str
    exported_by: str
    exported_at: datetime
    exported: int
    excluded: dict[str, int]
    destination: str
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "segment": self.segment,
            "purpose": self.purpose,
            "exported_by": self.exported_by,
            "exported_at": self.exported_at.isoformat(),
            "exported": self.exported,
            "excluded": sum(self.excluded.values()),
            "excluded_reasons": self.excluded,
            "destination": self.destination,
            "sha256": self.sha256,
        }


def select_audience(
    con: duckdb.DuckDBPyConnection, candidates: pa.Array
) -> tuple[list[str], dict[str, int]]:
    """The candidates that may be marketed to (sorted), and the others counted by reason."""
    ensure_tables(con)
    con.register("audience_candidates", pa.table({"viewer_id": candidates.cast(pa.string())}))
    try:
        rows = con.execute(
            """
            SELECT a.viewer_id,
                   CASE WHEN c.viewer_id IS NULL THEN 'no_consent_record'
                        WHEN NOT c.marketing THEN 'no_marketing_scope'
                        WHEN c.non_personalised THEN 'non_personalised' END AS reason
            FROM audience_candidates a LEFT JOIN viewer_consent c USING (viewer_id)
            ORDER BY a.viewer_id
            """
        ).fetchall()
    finally:
        con.unregister("audience_candidates")
    included = [viewer for viewer, reason in rows if reason is None]
    excluded = {reason: 0 for reason in EXCLUSIONS}
    for _, reason in rows:
        if reason is not None:
            excluded[reason] += 1
    return included, excluded


def export_audience(
    con: duckdb.DuckDBPyConnection,
    rfm: RfmTable,
    *,
    segment: str,
    purpose: str,
    exported_by: str,
    at: datetime,
    out: Path,
) -> AudienceExport:
    """Write the consenting members of ``segment`` to ``out`` (CSV ``viewer_id``) and record it."""
    for name, value in (("purpose", purpose), ("exported by (--by)", exported_by)):
        if not value.strip():
            msg = f"an audience export needs a non-empty {name}: say what it is for and who asks"
            raise InvalidInput(msg)
    included, excluded = select_audience(con, customers_in(rfm, segment))
    body = ("viewer_id\n" + "".join(f"{viewer}\n" for viewer in included)).encode()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(body)
    os.replace(partial, out)
    digest = hashlib.sha256(body).hexdigest()
    row = con.execute(
        "INSERT INTO audience_exports (exported_at, exported_by, purpose, segment, as_of, "
        "exported, excluded, excluded_reasons, destination, sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING export_id",
        [
            at,
            exported_by.strip(),
            purpose.strip(),
            segment,
            rfm.summary.as_of,
            len(included),
            sum(excluded.values()),
            json.dumps(excluded),
            str(out),
            digest,
        ],
    ).fetchall()
    return AudienceExport(
        export_id=int(row[0][0]),
        segment=segment,
        purpose=purpose.strip(),
        exported_by=exported_by.strip(),
        exported_at=at,
        exported=len(included),
        excluded=excluded,
        destination=str(out),
        sha256=digest,
    )


def list_exports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every recorded export, oldest first."""
    ensure_tables(con)
    cursor = con.execute(
        "SELECT export_id, exported_at, exported_by, purpose, segment, as_of, exported, excluded, "
        "excluded_reasons, destination, sha256 FROM audience_exports ORDER BY export_id"
    )
    names = [d[0] for d in cursor.description]
    records = []
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        record["exported_at"] = record["exported_at"].isoformat()
        record["as_of"] = record["as_of"].isoformat()
        record["excluded_reasons"] = json.loads(record["excluded_reasons"])
        records.append(record)
    return records
