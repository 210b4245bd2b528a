"""The go-live gate on the event stream: every persona on air is checked against its licence.

The live engine keeps each session's persona and pinned-product timelines. The monitor cuts them
into segments (a persona on air while one product is pinned) and checks each new segment once:
the persona's licence must cover the room, the platform, the pinned product's category and brand,
and the time. A revocation takes effect while live: :meth:`LicenceMonitor.check_revocations`
(called every few seconds) flags a persona still on air whose licence is now revoked. Pure apart
from the clock value passed in.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import msgspec

from livelens.engine.windows import MICROS
from livelens.events.reference import Persona, Product
from livelens.governance.licences import Appearance, Licence, describe, licence_problems
from livelens.information.insight import Insight

KIND = "licence_violation"


class Violation(msgspec.Struct, kw_only=True):
    detected_at: datetime  # wall clock
    at: datetime  # event time of the appearance (or of the revocation check)
    session_id: str
    room_id: str
    platform: str
    persona_id: str
    licence_id: str | None
    product_id: str | None
    source: str  # "event": seen in the stream; "revocation": revoked while on air; "api"
    problems: list[str]

    def insight(self, names: Mapping[str, str]) -> Insight:
        zh, en = describe(self.problems)
        persona = names.get(self.persona_id, self.persona_id)
        return Insight(
            kind=KIND,
            # one insight per persona and kind of problem, updated while it recurs (every
            # segment is still recorded as its own violation)
            subject=f"{self.persona_id}|{'+'.join(self.problems)}",
            evidence={
                "persona_id": self.persona_id,
                "licence_id": self.licence_id,
                "product_id": self.product_id,
                "problems": self.problems,
                "source": self.source,
                "at": self.at.isoformat(),
            },
            text_zh=f"合规警告：主播形象「{persona}」上播不合规（{zh}）",
            text_en=f'Compliance alert: persona "{persona}" is on air unlicensed ({en})',
            confidence=1.0,
        )


class Segment(msgspec.Struct, frozen=True):
    start_us: int
    persona_id: str
    product_id: str | None


def segments(personas: list[tuple[int, str]], pins: list[tuple[int, str]]) -> list[Segment]:
    """Persona-on-air segments, split where the pinned product changes (both lists sorted)."""
    boundaries = sorted({t for t, _ in personas} | {t for t, _ in pins})
    persona_times = [t for t, _ in personas]
    pin_times = [t for t, _ in pins]
    out: list[Segment] = []
    for t in boundaries:
        p = bisect_right(persona_times, t) - 1
        if p < 0:
            continue
        k = bisect_right(pin_times, t) - 1
        segment = Segment(t, personas[p][1], pins[k][1] if k >= 0 else None)
        if not out or (out[-1].persona_id, out[-1].product_id) != (
            segment.persona_id,
            segment.product_id,
        ):
            out.append(segment)
    return out


class SessionView(msgspec.Struct, kw_only=True):
    """What the monitor needs of a session's live state."""

    session_id: str
    room_id: str
    platform: str
    personas: list[tuple[int, str]]
    pins: list[tuple[int, str]]


class LicenceMonitor:
    def __init__(self) -> None:
        self._checked: set[tuple[str, Segment]] = set()
        self._revocations: set[tuple[str, str, str]] = set()

    def check_segments(
        self,
        session: SessionView,
        personas: Mapping[str, Persona],
        licences: Mapping[str, Licence],
        products: Mapping[str, Product],
        now: datetime,
    ) -> list[Violation]:
        found = []
        for segment in segments(session.personas, session.pins):
            key = (session.session_id, segment)
            if key in self._checked:
                continue
            self._checked.add(key)
            product = products.get(segment.product_id) if segment.product_id else None
            at = datetime.fromtimestamp(segment.start_us / MICROS, UTC)
            appearance = Appearance(
                persona_id=segment.persona_id,
                room_id=session.room_id,
                platform=session.platform,
                at=at,
                category=product.category if product else None,
                brand=product.brand if product else None,
            )
            problems = licence_problems(appearance, personas, licences)
            if problems:
                found.append(_violation(session, segment, problems, at, now, "event", personas))
        return found

    def check_revocations(
        self,
        live: Iterable[SessionView],
        personas: Mapping[str, Persona],
        licences: Mapping[str, Licence],
        now: datetime,
    ) -> list[Violation]:
        """Personas on air now (the last switch of each live session) whose licence is revoked."""
        found = []
        for session in live:
            if not session.personas:
                continue
            start_us, persona_id = session.personas[-1]
            persona = personas.get(persona_id)
            licence = licences.get(persona.licence_id) if persona and persona.licence_id else None
            if licence is None or licence.revoked_at is None or licence.revoked_at > now:
                continue
            key = (session.session_id, persona_id, licence.licence_id)
            if key in self._revocations:
                continue
            self._revocations.add(key)
            segment = Segment(start_us, persona_id, None)
            found.append(
                _violation(session, segment, ["revoked"], now, now, "revocation", personas)
            )
        return found


def _violation(
    session: SessionView,
    segment: Segment,
    problems: list[str],
    at: datetime,
    now: datetime,
    source: str,
    personas: Mapping[str, Persona],
) -> Violation:
    persona = personas.get(segment.persona_id)
    return Violation(
        detected_at=now,
        at=at,
        session_id=session.session_id,
        room_id=session.room_id,
        platform=session.platform,
        persona_id=segment.persona_id,
        licence_id=persona.licence_id if persona else None,
        product_id=segment.product_id,
        source=source,
        problems=problems,
    )
