"""The licence registry and the violations found, kept in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from livelens.errors import InvalidInput, NotFound
from livelens.governance.licences import Licence
from livelens.governance.violations import Violation
from livelens.store.duckdb import DuckDBStore

_DDL: Final = """
CREATE TABLE IF NOT EXISTS licences (
    licence_id VARCHAR PRIMARY KEY, talent_id VARCHAR NOT NULL, document JSON NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS licence_violations (
    detected_at TIMESTAMPTZ NOT NULL, on_air_at TIMESTAMPTZ NOT NULL, session_id VARCHAR NOT NULL,
    room_id VARCHAR NOT NULL, persona_id VARCHAR NOT NULL, licence_id VARCHAR,
    source VARCHAR NOT NULL, problems VARCHAR[] NOT NULL, document JSON NOT NULL
);
"""


def decode_licences(data: bytes, where: str) -> list[Licence]:
    """One licence object or a list of them, validated; errors name ``where``."""
    try:
        decoded = msgspec.json.decode(data, type=Licence | list[Licence])
    except (msgspec.MsgspecError, ValueError) as error:
        msg = f"{where}: not a valid licence: {error}"
        raise InvalidInput(msg) from None
    return decoded if isinstance(decoded, list) else [decoded]


class LicenceRegistry:
    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        store.con.execute(_DDL)

    def put(self, licence: Licence) -> None:
        self.store.con.execute(
            "INSERT OR REPLACE INTO licences VALUES (?, ?, ?, ?)",
            [
                licence.licence_id,
                licence.talent_id,
                msgspec.json.encode(licence).decode(),
                licence.revoked_at,
            ],
        )

    def licences(self) -> dict[str, Licence]:
        rows = self.store.con.execute(
            "SELECT document FROM licences ORDER BY licence_id"
        ).fetchall()
        decoded = (msgspec.json.decode(row[0], type=Licence) for row in rows)
        return {licence.licence_id: licence for licence in decoded}

    def revoke(self, licence_id: str, *, at: datetime, reason: str) -> Licence:
        licence = self.licences().get(licence_id)
        if licence is None:
            msg = f"no licence {licence_id!r} in the registry"
            raise NotFound(msg)
        if not reason.strip():
            msg = "a revocation needs a reason (it is kept with the licence)"
            raise InvalidInput(msg)
        revoked = msgspec.structs.replace(licence, revoked_at=at, revocation_reason=reason)
        self.put(revoked)
        return revoked

    def record(self, violations: list[Violation]) -> None:
        for v in violations:
            self.store.con.execute(
                "INSERT INTO licence_violations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    v.detected_at,
                    v.at,
                    v.session_id,
                    v.room_id,
                    v.persona_id,
                    v.licence_id,
                    v.source,
                    v.problems,
                    msgspec.json.encode(v).decode(),
                ],
            )

    def violations(self, session_id: str | None = None) -> list[Violation]:
        rows = self.store.con.execute(
            "SELECT document FROM licence_violations "
            "WHERE ? IS NULL OR session_id = ? ORDER BY detected_at, on_air_at",
            [session_id, session_id],
        ).fetchall()
        return [msgspec.json.decode(row[0], type=Violation) for row in rows]
