"""Reference data: the product catalog and the persona registry (not events).

Both are JSON documents (``{"products": [...], "personas": [...]}``) validated with msgspec; the
simulator writes one beside each session it generates, and ``livelens ingest --catalog`` loads one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec

from livelens.errors import InvalidReferenceData
from livelens.events.schema import AmountMinor, Currency, Id, Text


class FaqEntry(msgspec.Struct, kw_only=True):
    question: Text
    answer: Text


class Product(msgspec.Struct, kw_only=True):
    product_id: Id
    title: Text
    category: Text
    list_price_minor: AmountMinor
    floor_price_minor: AmountMinor
    currency: Currency = "CNY"
    stock: Annotated[int, msgspec.Meta(ge=0)] = 0
    brand: Text | None = None
    attributes: dict[str, list[str] | str] = {}
    shipping: Text | None = None
    faq: list[FaqEntry] = []

    def __post_init__(self) -> None:
        if self.floor_price_minor > self.list_price_minor:
            msg = (
                f"product {self.product_id}: floor price {self.floor_price_minor} is above "
                f"list price {self.list_price_minor}"
            )
            raise ValueError(msg)


class Persona(msgspec.Struct, kw_only=True):
    persona_id: Id
    display_name: Text
    talent: Text | None = None  # pseudonymous talent identity behind the likeness
    licence_id: Id | None = None
    kind: Text = "virtual"  # virtual | face_swap | human


class ReferenceData(msgspec.Struct, kw_only=True):
    products: list[Product] = []
    personas: list[Persona] = []


def decode_reference(data: bytes, where: str) -> ReferenceData:
    """Validate catalog/persona JSON; ``where`` names it in the error (a file, a request)."""
    try:
        return msgspec.json.decode(data, type=ReferenceData)
    except msgspec.MsgspecError as error:
        msg = f"{where}: {error}"
        raise InvalidReferenceData(msg) from None


def load_reference(path: Path) -> ReferenceData:
    """Read and validate a catalog/persona JSON file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        msg = f"catalog file {path} does not exist"
        raise InvalidReferenceData(msg) from None
    return decode_reference(data, str(path))


def dump_reference(data: ReferenceData) -> bytes:
    return msgspec.json.format(msgspec.json.encode(data), indent=2)
