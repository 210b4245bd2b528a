"""Likeness licences: every rule of the go-live check, the segments the stream is checked in,
and the royalty statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from livelens.events.reference import Persona
from livelens.governance.licences import (
    PROBLEMS,
    Appearance,
    Compensation,
    Licence,
    LicenceScope,
    describe,
    licence_problems,
    royalty_statement,
)
from livelens.governance.violations import LicenceMonitor, Segment, SessionView, segments

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
DOC = "ab" * 32


def licence(**overrides: Any) -> Licence:
    fields: dict[str, Any] = {
        "licence_id": "lic-1",
        "talent_id": "talent-1",
        "operator": "杭州某某文化传媒有限公司",
        "consent_doc_sha256": DOC,
        "face_consent": True,
        "voice_consent": True,
        "valid_from": T0 - timedelta(days=30),
        "valid_to": T0 + timedelta(days=30),
        "scope": LicenceScope(
            platforms=["douyin", "sim"],
            rooms=["room-1"],
            categories_excluded=["食品"],
            brands=[],
        ),
        "compensation": Compensation(fixed_fee_minor=100_000, royalty_pct=2.5),
    }
    return Licence(**{**fields, **overrides})


PERSONAS = {
    "p-1": Persona(persona_id="p-1", display_name="小雪", licence_id="lic-1", kind="face_swap"),
    "p-none": Persona(persona_id="p-none", display_name="无证", kind="virtual"),
    "p-lost": Persona(persona_id="p-lost", display_name="丢失", licence_id="lic-x"),
    "p-human": Persona(persona_id="p-human", display_name="真人", kind="human"),
}


def seen(**overrides: Any) -> Appearance:
    fields: dict[str, Any] = {"persona_id": "p-1", "room_id": "room-1", "platform": "sim", "at": T0}
    return Appearance(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("appearance", "changes", "expected"),
    [
        (seen(), {}, []),
        (seen(category="服装"), {}, []),
        (seen(persona_id="p-human"), {}, []),
        (seen(persona_id="nobody"), {}, ["unknown_persona"]),
        (seen(persona_id="p-none"), {}, ["no_licence"]),
        (seen(persona_id="p-lost"), {}, ["licence_not_found"]),
        (seen(), {"revoked_at": T0 - timedelta(minutes=1)}, ["revoked"]),
        (seen(), {"revoked_at": T0 + timedelta(minutes=1)}, []),  # revoked later: fine now
        (seen(at=T0 - timedelta(days=31)), {}, ["not_yet_valid"]),
        (seen(at=T0 + timedelta(days=30)), {}, ["expired"]),
        (seen(), {"face_consent": False}, ["no_face_consent"]),
        (seen(platform="kuaishou"), {}, ["platform_not_licensed"]),
        (seen(room_id="room-2"), {}, ["room_not_licensed"]),
        (seen(category="食品"), {}, ["category_excluded"]),
        (
            seen(category="食品", territory="US"),
            {"scope": LicenceScope(territories=["CN"], categories_allowed=["服装"])},
            ["territory_not_licensed", "category_not_licensed"],
        ),
        (seen(brand="B"), {"scope": LicenceScope(brands=["A"])}, ["brand_not_licensed"]),
    ],
)
def test_licence_problems(
    appearance: Appearance, changes: dict[str, Any], expected: list[str]
) -> None:
    licences = {"lic-1": msgspec.structs.replace(licence(), **changes)}
    assert licence_problems(appearance, PERSONAS, licences) == expected
    assert set(expected) <= set(PROBLEMS)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"valid_to": T0 - timedelta(days=40)}, "is not after valid_from"),
        ({"face_consent": False, "voice_consent": False}, "face consent, voice consent or both"),
        ({"talent_is_minor": True}, "guardian_consent_doc_sha256 is required"),
    ],
)
def test_a_licence_that_cannot_hold_is_refused(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        licence(**changes)
    with pytest.raises(msgspec.ValidationError, match="sha256"):
        msgspec.convert({**msgspec.to_builtins(licence()), "consent_doc_sha256": "x"}, Licence)


def test_describe_reads_each_problem_in_both_languages() -> None:
    zh, en = describe(["revoked", "category_excluded"])
    assert zh == "授权已撤销；该品类被授权明确排除"
    assert en == "the licence was revoked; the licence excludes this product category"


def test_segments_split_on_persona_and_pin_changes() -> None:
    personas = [(0, "p-1"), (100, "p-2"), (300, "p-1")]
    pins = [(50, "sku-a"), (150, "sku-b"), (160, "sku-b")]
    assert segments(personas, pins) == [
        Segment(0, "p-1", None),
        Segment(50, "p-1", "sku-a"),
        Segment(100, "p-2", "sku-a"),
        Segment(150, "p-2", "sku-b"),
        Segment(300, "p-1", "sku-b"),
    ]
    assert segments([], pins) == []


def test_the_monitor_checks_each_segment_once_and_revocations_while_on_air() -> None:
    monitor = LicenceMonitor()
    session = SessionView(
        session_id="s", room_id="room-1", platform="sim", personas=[(0, "p-none")], pins=[]
    )
    licences = {"lic-1": licence()}
    first = monitor.check_segments(session, PERSONAS, licences, {}, T0)
    assert [(v.persona_id, v.problems, v.source) for v in first] == [
        ("p-none", ["no_licence"], "event")
    ]
    assert monitor.check_segments(session, PERSONAS, licences, {}, T0) == []
    on_air = SessionView(
        session_id="s", room_id="room-1", platform="sim", personas=[(0, "p-1")], pins=[]
    )
    assert monitor.check_revocations([on_air], PERSONAS, licences, T0) == []
    revoked = {"lic-1": licence(revoked_at=T0, revocation_reason="talent withdrew consent")}
    flagged = monitor.check_revocations([on_air], PERSONAS, revoked, T0 + timedelta(seconds=5))
    assert [(v.persona_id, v.problems, v.source) for v in flagged] == [
        ("p-1", ["revoked"], "revocation")
    ]
    assert monitor.check_revocations([on_air], PERSONAS, revoked, T0 + timedelta(seconds=10)) == []
    text = flagged[0].insight({"p-1": "小雪"}).text_zh
    assert text == "合规警告：主播形象「小雪」上播不合规（授权已撤销）"


def test_royalty_statement() -> None:
    personas = {
        **PERSONAS,
        "p-1b": Persona(persona_id="p-1b", display_name="小雪2", licence_id="lic-1"),
    }
    lines = royalty_statement(
        {"p-1": 1_000_001, "p-1b": 500_000, "p-none": 9_999, "unknown": 1},
        personas,
        {"lic-1": licence()},
    )
    assert len(lines) == 1
    line = lines[0]
    assert (line.talent_id, line.persona_ids) == ("talent-1", ["p-1", "p-1b"])
    assert line.attributed_gmv_minor == 1_500_001
    assert line.royalty_minor == 37_500  # 2.5% of 15,000.01 yuan, rounded half up to the fen
    assert line.total_minor == 137_500
