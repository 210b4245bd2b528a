"""Likeness licences: who may appear as which persona, where, selling what, until when.

A persona that shows a real person's likeness (a virtual host built on a talent's face or voice,
or a face-swapped host) goes live only under a licence that is valid for the room, the platform,
the territory, the category and brand of what is being sold, and the time — and that has not been
revoked. :func:`licence_problems` says, as stable codes, everything that is wrong with one
appearance; an empty list means it is allowed. A ``human`` persona (a real host as themselves) needs
no likeness licence. Pure: data in, codes out; the registry and the live monitor do the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Final

import msgspec

from livelens.events.reference import Persona
from livelens.events.schema import Currency, Id, Text

Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
RoyaltyPercent = Annotated[float, msgspec.Meta(ge=0, le=100)]
FeeMinor = Annotated[int, msgspec.Meta(ge=0)]

EXEMPT_KINDS: Final = frozenset({"human"})

# The problems an appearance can have (stable codes) and how a compliance officer reads them.
PROBLEMS: Final[dict[str, tuple[str, str]]] = {
    "unknown_persona": ("主播形象未登记", "the persona is not in the registry"),
    "no_licence": ("该形象没有肖像授权", "the persona has no likeness licence"),
    "licence_not_found": ("授权编号不存在", "the persona's licence id is not registered"),
    "revoked": ("授权已撤销", "the licence was revoked"),
    "not_yet_valid": ("授权尚未生效", "the licence is not valid yet"),
    "expired": ("授权已过期", "the licence has expired"),
    "no_face_consent": ("缺少肖像（面部）使用同意", "no consent to use the talent's face"),
    "platform_not_licensed": ("授权不含该平台", "the licence does not cover this platform"),
    "room_not_licensed": ("授权不含该直播间", "the licence does not cover this room"),
    "territory_not_licensed": ("授权不含该地区", "the licence does not cover this territory"),
    "category_excluded": ("该品类被授权明确排除", "the licence excludes this product category"),
    "category_not_licensed": ("授权不含该品类", "the licence does not cover this category"),
    "brand_not_licensed": ("授权不含该品牌", "the licence does not cover this brand"),
}


class LicenceScope(msgspec.Struct, kw_only=True, frozen=True):
    """Where the licence applies; an empty list means "any" (except excluded categories)."""

    platforms: list[Id] = []
    rooms: list[Id] = []
    territories: list[Id] = []  # ISO 3166 codes, e.g. "CN"
    categories_allowed: list[Text] = []
    categories_excluded: list[Text] = []
    brands: list[Text] = []


class Compensation(msgspec.Struct, kw_only=True, frozen=True):
    fixed_fee_minor: FeeMinor = 0  # per statement period
    royalty_pct: RoyaltyPercent = 0.0  # of the GMV attributed to the talent's personas
    currency: Currency = "CNY"


class Licence(msgspec.Struct, kw_only=True, frozen=True):
    licence_id: Id
    talent_id: Id  # pseudonymous identity of the person whose likeness is used
    operator: Text  # the real-name operator (person or company) behind the virtual host
    consent_doc_sha256: Sha256  # hash of the signed consent document (kept outside livelens)
    face_consent: bool
    voice_consent: bool
    valid_from: datetime
    valid_to: datetime
    scope: LicenceScope = LicenceScope()
    compensation: Compensation = Compensation()
    talent_is_minor: bool = False
    guardian_consent_doc_sha256: Sha256 | None = None
    revoked_at: datetime | None = None
    revocation_reason: Text | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.valid_from.tzinfo is None or self.valid_to.tzinfo is None:
            problems.append("valid_from and valid_to need a time zone (e.g. +08:00)")
        elif self.valid_to <= self.valid_from:
            problems.append(f"valid_to {self.valid_to} is not after valid_from {self.valid_from}")
        if not (self.face_consent or self.voice_consent):
            problems.append("a licence needs face consent, voice consent or both")
        if self.talent_is_minor and self.guardian_consent_doc_sha256 is None:
            problems.append("the talent is a minor: guardian_consent_doc_sha256 is required")
        if problems:
            msg = f"licence {self.licence_id}: " + "; ".join(problems)
            raise ValueError(msg)


class Appearance(msgspec.Struct, kw_only=True, frozen=True):
    """A persona on air: in which room and platform, selling what, when."""

    persona_id: str
    room_id: str
    platform: str
    at: datetime
    territory: str | None = None
    category: str | None = None  # of the product being sold (pinned) at the time
    brand: str | None = None


def _outside(value: str | None, allowed: list[str]) -> bool:
    return bool(allowed) and value is not None and value not in allowed


def licence_problems(
    appearance: Appearance,
    personas: Mapping[str, Persona],
    licences: Mapping[str, Licence],
) -> list[str]:
    """Every problem with ``appearance`` (codes of :data:`PROBLEMS`); empty when it is allowed."""
    persona = personas.get(appearance.persona_id)
    if persona is None:
        return ["unknown_persona"]
    if persona.kind in EXEMPT_KINDS:
        return []
    if persona.licence_id is None:
        return ["no_licence"]
    licence = licences.get(persona.licence_id)
    if licence is None:
        return ["licence_not_found"]
    at, scope = appearance.at, licence.scope
    problems = []
    if licence.revoked_at is not None and licence.revoked_at <= at:
        problems.append("revoked")
    if at < licence.valid_from:
        problems.append("not_yet_valid")
    if at >= licence.valid_to:
        problems.append("expired")
    if persona.kind == "face_swap" and not licence.face_consent:
        problems.append("no_face_consent")
    if _outside(appearance.platform, scope.platforms):
        problems.append("platform_not_licensed")
    if _outside(appearance.room_id, scope.rooms):
        problems.append("room_not_licensed")
    if _outside(appearance.territory, scope.territories):
        problems.append("territory_not_licensed")
    if appearance.category is not None and appearance.category in scope.categories_excluded:
        problems.append("category_excluded")
    elif _outside(appearance.category, scope.categories_allowed):
        problems.append("category_not_licensed")
    if _outside(appearance.brand, scope.brands):
        problems.append("brand_not_licensed")
    return problems


def describe(problems: Iterable[str]) -> tuple[str, str]:
    """The problems as one Chinese and one English phrase."""
    codes = list(problems)
    zh = "；".join(PROBLEMS[c][0] for c in codes)
    en = "; ".join(PROBLEMS[c][1] for c in codes)
    return zh, en


class RoyaltyLine(msgspec.Struct, kw_only=True):
    talent_id: str
    licence_id: str
    persona_ids: list[str]
    attributed_gmv_minor: int
    royalty_pct: float
    royalty_minor: int
    fixed_fee_minor: int
    total_minor: int
    currency: str


def royalty_statement(
    persona_gmv_minor: Mapping[str, int],
    personas: Mapping[str, Persona],
    licences: Mapping[str, Licence],
) -> list[RoyaltyLine]:
    """What each talent is owed for a period: royalty on the GMV attributed to their personas
    (while on air) plus the fixed fee. Rounded half up to the minor unit, per licence."""
    gmv_by_licence: dict[str, int] = {}
    personas_by_licence: dict[str, list[str]] = {}
    for persona_id, gmv in persona_gmv_minor.items():
        persona = personas.get(persona_id)
        licence_id = persona.licence_id if persona else None
        if licence_id is None or licence_id not in licences:
            continue
        gmv_by_licence[licence_id] = gmv_by_licence.get(licence_id, 0) + gmv
        personas_by_licence.setdefault(licence_id, []).append(persona_id)
    lines = []
    for licence_id, gmv in sorted(gmv_by_licence.items()):
        licence = licences[licence_id]
        pay = licence.compensation
        royalty = int(gmv * pay.royalty_pct / 100 + 0.5)
        lines.append(
            RoyaltyLine(
                talent_id=licence.talent_id,
                licence_id=licence_id,
                persona_ids=sorted(personas_by_licence[licence_id]),
                attributed_gmv_minor=gmv,
                royalty_pct=pay.royalty_pct,
                royalty_minor=royalty,
                fixed_fee_minor=pay.fixed_fee_minor,
                total_minor=royalty + pay.fixed_fee_minor,
                currency=pay.currency,
            )
        )
    return lines
