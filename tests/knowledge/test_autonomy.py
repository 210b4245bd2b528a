"""Room autonomy levels in a real DuckDB file: suggest by default, set by someone, kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from livelens.errors import InvalidInput
from livelens.knowledge.autonomy import AutonomyStore
from livelens.store.duckdb import DuckDBStore

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_room_suggests_until_set_and_the_level_survives_a_restart(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        levels = AutonomyStore(store.con)
        fresh = levels.get("room-1")
        assert (fresh.level, fresh.set_by, fresh.set_at) == ("suggest", None, None)
        set_ = levels.set("room-1", "auto", "manager-li", AT)
        assert (set_.level, set_.set_by, set_.set_at) == ("auto", "manager-li", AT)
        assert levels.get("room-2").level == "suggest"  # per room
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        kept = AutonomyStore(store.con).get("room-1")
        assert (kept.level, kept.set_by, kept.set_at) == ("auto", "manager-li", AT)
        assert kept.set_at is not None
        assert kept.set_at.tzinfo is not None
        back = AutonomyStore(store.con).set("room-1", "suggest", "manager-wang", AT)
        assert (back.level, back.set_by) == ("suggest", "manager-wang")


@pytest.mark.parametrize("level", ["full_auto", "AUTO", "", "auto_undo"])
def test_an_unknown_level_is_refused_with_the_levels_named(tmp_path: Path, level: str) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        levels = AutonomyStore(store.con)
        with pytest.raises(InvalidInput, match="expected one of suggest, auto"):
            levels.set("room-1", level, "manager-li", AT)
        assert levels.get("room-1").level == "suggest"
