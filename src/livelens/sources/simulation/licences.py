"""The likeness licences of the simulated room's personas: valid for the simulated platform
around the session, with a royalty, so that the demo's go-live gate has something to check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from livelens.events.reference import Persona
from livelens.governance.licences import Compensation, Licence, LicenceScope


def simulated_licences(personas: Iterable[Persona], around: datetime) -> list[Licence]:
    """One licence per persona that names one, valid for 90 days either side of ``around``."""
    return [
        Licence(
            licence_id=persona.licence_id,
            talent_id=persona.talent or f"talent-of-{persona.persona_id}",
            operator="模拟直播运营有限公司 (simulated operator)",
            consent_doc_sha256=hashlib.sha256(persona.licence_id.encode()).hexdigest(),
            face_consent=True,
            voice_consent=True,
            valid_from=around - timedelta(days=90),
            valid_to=around + timedelta(days=90),
            scope=LicenceScope(platforms=["sim"], territories=["CN"]),
            compensation=Compensation(fixed_fee_minor=200_000, royalty_pct=2.0),
        )
        for persona in personas
        if persona.licence_id is not None
    ]
