"""The uplift ledger (table ``recommendation_ledger``): every recommendation with its fate and,
once executed and measured, its outcome; per playbook, the running estimate from
:mod:`livelens.knowledge.uplift`.

Switchback experiments that tested a playbook's action add their causal outcome (table
``experiment_outcomes``, one per session and playbook: recording it again replaces it, so a
re-analysis, say with CUPED, supersedes the first; the audit log keeps both). The estimate pools
the before/after outcomes of the playbook's executed recommendations with its experiments'
outcomes, each weighted by its precision.

Fates: ``pending`` (just made), ``accepted`` or ``rejected`` (by a manager), ``auto_executed``
(under an autonomy level the manager set), ``expired`` (its window passed untouched). Only
executed recommendations (accepted, auto_executed) are measured.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final, Literal

import msgspec

from livelens.errors import InvalidInput, NotFound
from livelens.knowledge.recommender import Recommendation
from livelens.knowledge.uplift import (
    MIN_WORTHWHILE,
    SWITCHBACK,
    Outcome,
    UpliftEstimate,
    estimate_uplift,
)

Fate = Literal["pending", "accepted", "rejected", "auto_executed", "expired"]
FATES: Final = ("pending", "accepted", "rejected", "auto_executed", "expired")
EXECUTED: Final = ("accepted", "auto_executed")

_DDL: Final = """
CREATE TABLE IF NOT EXISTS recommendation_ledger (
    recommendation_id VARCHAR PRIMARY KEY, session_id VARCHAR NOT NULL, room_id VARCHAR NOT NULL,
    playbook_id VARCHAR NOT NULL, playbook VARCHAR NOT NULL, minute INTEGER NOT NULL,
    doc JSON NOT NULL, fate VARCHAR NOT NULL, fate_by VARCHAR, fate_at TIMESTAMPTZ,
    outcome JSON
);
CREATE TABLE IF NOT EXISTS experiment_outcomes (
    session_id VARCHAR NOT NULL, playbook_id VARCHAR NOT NULL, outcome JSON NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL, recorded_by VARCHAR NOT NULL,
    PRIMARY KEY (session_id, playbook_id)
)
"""


class Entry(msgspec.Struct, kw_only=True, frozen=True):
    recommendation: Recommendation
    fate: str
    fate_by: str | None
    fate_at: datetime | None
    outcome: Outcome | None


class ExperimentOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """A switchback experiment's outcome, recorded for the playbook whose action it tested."""

    session_id: str
    playbook_id: str
    outcome: Outcome
    recorded_at: datetime
    recorded_by: str


class Ledger:
    def __init__(self, con: Any) -> None:
        self.con = con
        con.execute(_DDL)

    def record(self, recommendations: list[Recommendation]) -> int:
        """Add recommendations not yet in the ledger (as pending); returns how many were new."""
        if not recommendations:  # DuckDB's executemany refuses an empty parameter list
            return 0
        before = self._count()
        self.con.executemany(
            "INSERT OR IGNORE INTO recommendation_ledger (recommendation_id, session_id, room_id, "
            "playbook_id, playbook, minute, doc, fate) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
            [
                (
                    r.recommendation_id,
                    r.session_id,
                    r.room_id,
                    r.playbook.split("@")[0],
                    r.playbook,
                    r.minute,
                    msgspec.json.encode(r).decode(),
                )
                for r in recommendations
            ],
        )
        return self._count() - before

    def _count(self) -> int:
        (n,) = self.con.execute("SELECT count(*) FROM recommendation_ledger").fetchone()
        return int(n)

    def set_fate(self, recommendation_id: str, fate: str, by: str, at: datetime) -> Entry:
        if fate not in FATES or fate == "pending":
            msg = f"fate {fate!r}: expected one of {', '.join(FATES[1:])}"
            raise InvalidInput(msg)
        current = self.entry(recommendation_id)
        if current.fate != "pending":
            msg = (
                f"recommendation {recommendation_id} is already {current.fate} "
                f"(by {current.fate_by}); a fate is set once"
            )
            raise InvalidInput(msg)
        self.con.execute(
            "UPDATE recommendation_ledger SET fate = ?, fate_by = ?, fate_at = ? "
            "WHERE recommendation_id = ?",
            [fate, by, at, recommendation_id],
        )
        return self.entry(recommendation_id)

    def set_outcome(self, recommendation_id: str, outcome: Outcome) -> None:
        self.con.execute(
            "UPDATE recommendation_ledger SET outcome = ? WHERE recommendation_id = ?",
            [msgspec.json.encode(outcome).decode(), recommendation_id],
        )

    def entry(self, recommendation_id: str) -> Entry:
        found = self.entries(recommendation_id=recommendation_id)
        if not found:
            msg = (
                f"no recommendation {recommendation_id!r} in the ledger; "
                "`livelens ledger list` shows them"
            )
            raise NotFound(msg)
        return found[0]

    def entries(
        self, session_id: str | None = None, *, recommendation_id: str | None = None
    ) -> list[Entry]:
        rows = self.con.execute(
            "SELECT doc, fate, fate_by, fate_at, outcome FROM recommendation_ledger "
            "WHERE (? IS NULL OR session_id = ?) AND (? IS NULL OR recommendation_id = ?) "
            "ORDER BY session_id, minute, playbook",
            [session_id, session_id, recommendation_id, recommendation_id],
        ).fetchall()
        return [
            Entry(
                recommendation=msgspec.json.decode(doc, type=Recommendation),
                fate=fate,
                fate_by=by,
                fate_at=at,
                outcome=None if outcome is None else msgspec.json.decode(outcome, type=Outcome),
            )
            for doc, fate, by, at, outcome in rows
        ]

    def record_experiment(
        self, session_id: str, playbook_id: str, outcome: Outcome, by: str, at: datetime
    ) -> bool:
        """Record a switchback's ``outcome`` for ``playbook_id`` (an id, without ``@version``);
        returns whether it replaced an earlier outcome of the same session and playbook."""
        if not playbook_id or "@" in playbook_id:
            msg = f"playbook {playbook_id!r}: expected a playbook id without @version"
            raise InvalidInput(msg)
        if outcome.design != SWITCHBACK:
            msg = f"an experiment outcome must have design {SWITCHBACK!r}, got {outcome.design!r}"
            raise InvalidInput(msg)
        replaced = bool(
            self.con.execute(
                "DELETE FROM experiment_outcomes WHERE session_id = ? AND playbook_id = ? "
                "RETURNING session_id",
                [session_id, playbook_id],
            ).fetchall()
        )
        self.con.execute(
            "INSERT INTO experiment_outcomes (session_id, playbook_id, outcome, recorded_at, "
            "recorded_by) VALUES (?, ?, ?, ?, ?)",
            [session_id, playbook_id, msgspec.json.encode(outcome).decode(), at, by],
        )
        return replaced

    def experiments(self, playbook_id: str | None = None) -> list[ExperimentOutcome]:
        rows = self.con.execute(
            "SELECT session_id, playbook_id, outcome, recorded_at, recorded_by "
            "FROM experiment_outcomes WHERE (? IS NULL OR playbook_id = ?) "
            "ORDER BY playbook_id, session_id",
            [playbook_id, playbook_id],
        ).fetchall()
        return [
            ExperimentOutcome(
                session_id=session_id,
                playbook_id=pid,
                outcome=msgspec.json.decode(outcome, type=Outcome),
                recorded_at=at,
                recorded_by=by,
            )
            for session_id, pid, outcome, at, by in rows
        ]

    def estimates(
        self, min_worthwhile: float = MIN_WORTHWHILE, *, sessions: Collection[str] | None = None
    ) -> dict[str, UpliftEstimate]:
        """Per playbook id: the running uplift estimate over its measured outcomes (executed
        recommendations' and switchback experiments'), flagged for retirement when it hurts or
        rules out a gain of ``min_worthwhile``. ``sessions``: only the outcomes measured in
        these sessions (a replay reads those before the session it replays, as its live did)."""
        outcomes: dict[str, list[Outcome]] = {}
        for entry in self.entries():
            if sessions is not None and entry.recommendation.session_id not in sessions:
                continue
            if entry.outcome is not None and entry.fate in EXECUTED:
                playbook_id = entry.recommendation.playbook.split("@")[0]
                outcomes.setdefault(playbook_id, []).append(entry.outcome)
        for experiment in self.experiments():
            if sessions is None or experiment.session_id in sessions:
                outcomes.setdefault(experiment.playbook_id, []).append(experiment.outcome)
        return {
            pid: estimate_uplift(pid, found, min_worthwhile)
            for pid, found in sorted(outcomes.items())
        }
