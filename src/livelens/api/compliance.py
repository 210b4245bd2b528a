"""The likeness-licence gate of a running service: on the stream, on the clock, and on request.

It holds the registry's licences, the personas and the catalog in memory (reloaded when they
change), checks every new persona-on-air segment of the sessions a batch touched, checks the
personas on air against revocations every few seconds, and answers the API's go-live requests.
Violations are stored and returned to the hub, which shows them as insights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from livelens.engine.live import LiveEngine
from livelens.events.reference import Persona, Product
from livelens.governance.licence_registry import LicenceRegistry
from livelens.governance.licences import Appearance, Licence, licence_problems
from livelens.governance.violations import LicenceMonitor, SessionView, Violation
from livelens.store.duckdb import DuckDBStore


class ComplianceGate:
    def __init__(self, store: DuckDBStore, clock: Callable[[], datetime]) -> None:
        self.registry = LicenceRegistry(store)
        self.store, self.clock = store, clock
        self.monitor = LicenceMonitor()
        self.licences: dict[str, Licence] = {}
        self.personas: dict[str, Persona] = {}
        self.products: dict[str, Product] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read licences, personas and products (after any of them changed)."""
        reference = self.store.reference()
        self.personas = {p.persona_id: p for p in reference.personas}
        self.products = {p.product_id: p for p in reference.products}
        self.licences = self.registry.licences()

    def put(self, licence: Licence) -> None:
        self.registry.put(licence)
        self.reload()

    def revoke(self, licence_id: str, reason: str) -> Licence:
        revoked = self.registry.revoke(licence_id, at=self.clock(), reason=reason)
        self.reload()
        return revoked

    def problems(self, appearance: Appearance) -> list[str]:
        return licence_problems(appearance, self.personas, self.licences)

    def on_batch(
        self, engine: LiveEngine, sessions: Iterable[str], *, record: bool = True
    ) -> list[Violation]:
        now = self.clock()
        found = []
        for session_id in sessions:
            found += self.monitor.check_segments(
                view(engine, session_id), self.personas, self.licences, self.products, now
            )
        if record:
            self.registry.record(found)
        return found

    def on_tick(self, engine: LiveEngine, live_sessions: Iterable[str]) -> list[Violation]:
        views = [view(engine, s) for s in live_sessions]
        found = self.monitor.check_revocations(views, self.personas, self.licences, self.clock())
        self.registry.record(found)
        return found


def view(engine: LiveEngine, session_id: str) -> SessionView:
    state = engine.sessions[session_id]
    return SessionView(
        session_id=session_id,
        room_id=state.room_id,
        platform=state.platform,
        personas=list(state.personas),
        pins=list(state.pins),
    )
