"""How far the recommender may act on its own in a room (table ``room_autonomy``).

* ``suggest`` (the default for every room) — a new recommendation waits in the uplift ledger as
  ``pending`` until a person accepts or rejects it, or its window passes (``expired``);
* ``auto`` — a new recommendation is executed at once: the ledger records it as
  ``auto_executed``, by ``autonomy:auto``.

Managers set the level per room (``PUT /api/rooms/{room_id}/autonomy``, audited as
``autonomy.set``); it applies to the recommendations made from then on, not to earlier ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, get_args

import msgspec

from livelens.errors import InvalidInput

Level = Literal["suggest", "auto"]
LEVELS: Final[tuple[str, ...]] = get_args(Level)
DEFAULT_LEVEL: Final[Level] = "suggest"
AUTO_ACTOR: Final = "autonomy:auto"  # fate_by of what the room's autonomy executed

_DDL: Final = """
CREATE TABLE IF NOT EXISTS room_autonomy (
    room_id VARCHAR PRIMARY KEY, level VARCHAR NOT NULL, set_by VARCHAR NOT NULL,
    set_at TIMESTAMPTZ NOT NULL
)
"""


class RoomAutonomy(msgspec.Struct, kw_only=True, frozen=True):
    room_id: str
    level: Level
    set_by: str | None  # None: never set, the default applies
    set_at: datetime | None


class AutonomyStore:
    """Autonomy levels on a DuckDB connection (``DuckDBStore.con``)."""

    def __init__(self, con: Any) -> None:
        self.con = con
        con.execute(_DDL)

    def get(self, room_id: str) -> RoomAutonomy:
        row = self.con.execute(
            "SELECT level, set_by, set_at FROM room_autonomy WHERE room_id = ?", [room_id]
        ).fetchone()
        if row is None:
            return RoomAutonomy(room_id=room_id, level=DEFAULT_LEVEL, set_by=None, set_at=None)
        level, by, at = row
        return RoomAutonomy(room_id=room_id, level=level, set_by=by, set_at=at)

    def set(self, room_id: str, level: str, by: str, at: datetime) -> RoomAutonomy:
        if level not in LEVELS:
            msg = f"autonomy level {level!r}: expected one of {', '.join(LEVELS)}"
            raise InvalidInput(msg)
        self.con.execute(
            "INSERT OR REPLACE INTO room_autonomy VALUES (?, ?, ?, ?)", [room_id, level, by, at]
        )
        return self.get(room_id)
