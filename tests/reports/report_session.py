"""The small simulated session the report tests share, and the fixed generation time.

A module beside the tests (not conftest) so that test modules can import its names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from livelens.comments.analyze import CommentAnalyzer
from livelens.events.pseudonymise import Pseudonymiser
from livelens.events.reference import load_reference
from livelens.information.analysis import Analysis, analyze_session
from livelens.ingest import ingest
from livelens.sources.jsonl import JsonLinesFile
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
