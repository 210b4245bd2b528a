"""What the review says about decisions: anomaly alerts, prices, demand nowcasts and the
playbooks' recommendations with their outcomes — each read from the store by calling the
intelligence and knowledge modules that make them, never recomputed here.

Each module holds a section's data (a msgspec Struct that can be served as JSON) and the
function that reads it; :func:`livelens.reports.collect.load_review` calls them, and
:mod:`livelens.reports.sections` renders them. A section the data cannot support carries the
reason in ``unavailable`` instead of failing the report.
"""

from __future__ import annotations

from livelens.store.duckdb import DuckDBStore


def has_table(store: DuckDBStore, name: str) -> bool:
    """Whether the store holds table ``name`` (a report reads a table only where it exists, so
    that writing a report creates none)."""
    found = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])
