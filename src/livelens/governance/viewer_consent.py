"""One viewer's consent: read it, change it (audited), and decide what it allows.

The scopes and the ``viewer_consent`` table are CRM's (:mod:`livelens.crm.consent`, which imports
them in bulk from a platform's CSV); this module is the per-viewer side used by the privacy
commands and by any code that personalises:

=================== ==========================================================================
use                 allowed when the viewer's record holds
=================== ==========================================================================
``analytics``       ``analytics``
``marketing``       ``marketing`` and not ``non_personalised`` (a segment is personalised)
``personalisation`` ``personalisation`` and not ``non_personalised``
=================== ==========================================================================

``non_personalised`` is the viewer's choice of the non-personalised experience the recommendation
rules require platforms to offer: it overrides the other scopes for every personalised use.
A viewer without a record is allowed nothing (privacy by default). Recording both
``personalisation`` and ``non_personalised`` at once is refused as contradictory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, Literal

import msgspec
import pyarrow as pa

from livelens.crm.consent import SCOPES, ConsentRecord, ensure_tables, import_consent
from livelens.errors import InvalidInput
from livelens.governance.audit import AuditLog
from livelens.governance.subjects import check_pseudonym, subject_hash
from livelens.store.duckdb import DuckDBStore

Use = Literal["analytics", "marketing", "personalisation"]
USES: Final[tuple[Use, ...]] = ("analytics", "marketing", "personalisation")
_SPLIT: Final = re.compile(r"[;|,\s]+")


class ConsentChange(msgspec.Struct, frozen=True):
    """A consent record written by :func:`set_consent`, with what it replaced."""

    viewer_id: str
    scopes: list[str]
    previous: list[str] | None  # None: the viewer had no record
    allows: dict[str, bool]
    audit_seq: int


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from ``"analytics,marketing"`` (``;``, ``|`` or spaces also split); ``""`` or
    ``"none"`` is the empty set (consent withdrawn)."""
    scopes = frozenset(s for s in _SPLIT.split(text.strip().lower()) if s) - {"none"}
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        msg = f"unknown consent scope(s) {unknown}; expected some of {', '.join(SCOPES)} or none"
        raise InvalidInput(msg)
    if {"personalisation", "non_personalised"} <= scopes:
        msg = (
            "scopes personalisation and non_personalised contradict each other: "
            "non_personalised is the viewer's refusal of personalised treatment; record one"
        )
        raise InvalidInput(msg)
    return scopes


def allows(scopes: Iterable[str] | None, use: Use) -> bool:
    """Whether a viewer holding ``scopes`` (None: no record) may be used for ``use``."""
    if scopes is None:
        return False
    held = frozenset(scopes)
    if use == "analytics":
        return "analytics" in held
    return use in held and "non_personalised" not in held


def consent_of(store: DuckDBStore, viewer_id: str) -> frozenset[str] | None:
    """The scopes a viewer pseudonym holds, or None when there is no consent record."""
    ensure_tables(store.con)
    columns = ", ".join(SCOPES)
    rows = store.con.execute(
        f"SELECT {columns} FROM viewer_consent WHERE viewer_id = ?",  # noqa: S608 - fixed names
        [viewer_id],
    ).fetchall()
    if not rows:
        return None
    return frozenset(scope for scope, held in zip(SCOPES, rows[0], strict=True) if held)


def allowed_viewers(store: DuckDBStore, viewers: Sequence[str], use: Use) -> list[str]:
    """The viewers (in the given order, once each) whose consent allows ``use``."""
    ensure_tables(store.con)
    unique = list(dict.fromkeys(viewers))
    store.con.register("consent_candidates", pa.table({"viewer_id": pa.array(unique, pa.string())}))
    try:
        rows = store.con.execute(
            f"SELECT a.viewer_id, {', '.join('c.' + s for s in SCOPES)} "  # noqa: S608 - fixed
            "FROM consent_candidates a JOIN viewer_consent c USING (viewer_id)"
        ).fetchall()
    finally:
        store.con.unregister("consent_candidates")
    held = {row[0]: {s for s, on in zip(SCOPES, row[1:], strict=True) if on} for row in rows}
    return [viewer for viewer in unique if allows(held.get(viewer), use)]


def set_consent(
    store: DuckDBStore,
    viewer_id: str,
    scopes: frozenset[str],
    *,
    at: datetime,
    actor: str,
    source: str,
) -> ConsentChange:
    """Replace one viewer's consent record and audit it (``consent.change``).

    The audit entry's subject is the viewer's :func:`subject_hash`, never the pseudonym itself, so
    a later deletion of the viewer leaves no pseudonym in the append-only log.
    """
    check_pseudonym(viewer_id)
    scopes = parse_scopes(",".join(scopes))
    previous = consent_of(store, viewer_id)
    store.begin()
    try:
        import_consent(store.con, [ConsentRecord(viewer_id, scopes)], at=at, source=source)
        ordered: list[str] = [s for s in SCOPES if s in scopes]
        before: list[str] | None = (
            None if previous is None else [s for s in SCOPES if s in previous]
        )
        details = {"scopes": ordered, "previous": before, "source": source}
        entry = AuditLog(store).append(
            actor, "consent.change", subject_hash([viewer_id]), details, at=at
        )
        store.commit()
    except BaseException:
        store.rollback()
        raise
    return ConsentChange(
        viewer_id=viewer_id,
        scopes=ordered,
        previous=before,
        allows={use: allows(scopes, use) for use in USES},
        audit_seq=entry.seq,
    )
