"""The small simulated session the report tests share, and the fixed generation time.

A module beside the tests (not conftest) so that test modules can import its names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from livelens.comments.analyze import CommentAnalyzer
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.reference import load_reference
from livelens.information.analysis import Analysis, analyze_session
from livelens.ingest import ingest
from livelens.sources.jsonl import JsonLinesFile
from livelens.sources.simulation.config import DEFAULT_START
from livelens.sources.simulator import SimulationConfig, session_paths, write_session
from livelens.store.duckdb import DuckDBStore

GENERATED_AT = datetime(2026, 11, 12, 9, 30, 15, tzinfo=UTC)


@dataclass(frozen=True)
class StoredSession:
    db: Path
    session_id: str
    names: dict[str, str]
    analysis: Analysis  # computed independently of the report, to check it against


def store_simulated_session(folder: Path) -> StoredSession:
    """Simulate 20 minutes with 300 peak viewers (seed 3), ingest it with its catalog."""
    events_path, db = folder / "session.jsonl", folder / "store.duckdb"
    truth = write_session(SimulationConfig(minutes=20, peak_viewers=300, seed=3), events_path)
    with DuckDBStore(db) as store:
        store.put_reference(load_reference(session_paths(events_path)[1]))
        ingest(
            [JsonLinesFile(events_path)],
            store,
            Pseudonymiser(b"report-test-key-0123456789abcdef"),
            now=GENERATED_AT,
        )
        events, names = store.events(truth.session_id), store.display_names()
    analysis = analyze_session(events, names, CommentAnalyzer(names.values()).intents)
    return StoredSession(db=db, session_id=truth.session_id, names=names, analysis=analysis)


@dataclass(frozen=True)
class StoredRoom:
    db: Path
    first: str  # the room's first session: no history
    second: str  # a day later: scored against the first


def store_room_sessions(folder: Path) -> StoredRoom:
    """Two sessions of one room a day apart (20 and 30 minutes, 200 peak viewers, seeds 1 and 2)
    in one store with the catalog: the second has a history, alerts and recommendations."""
    db = folder / "room.duckdb"
    with DuckDBStore(db) as store:
        for day, (seed, minutes) in enumerate([(1, 20), (2, 30)]):
            path = folder / f"day-{day}.jsonl"
            config = SimulationConfig(
                minutes=minutes,
                peak_viewers=200,
                seed=seed,
                session_id=f"day-{day}",
                start=DEFAULT_START + timedelta(days=day),
            )
            write_session(config, path)
            if day == 0:
                store.put_reference(load_reference(session_paths(path)[1]))
            key = Pseudonymiser(b"report-test-key-0123456789abcdef")
            ingest([JsonLinesFile(path)], store, key, now=GENERATED_AT)
    return StoredRoom(db=db, first="day-0", second="day-1")
