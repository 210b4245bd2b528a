"""Reading the Q&A knowledge: the catalog (JSON or CSV) and the optional room file (JSON).

The catalog JSON is the one of :class:`livelens.events.reference.ReferenceData`
(``{"products": [...], "personas": [...]}``); a product may also carry ``aliases`` (what viewers
call it), ``short_name`` (what the host calls it) and ``link_no`` (its shopping-cart number),
which ReferenceData readers ignore. The CSV form has one row per product::

    product_id,title,category,list_price,floor_price,stock,shipping,aliases,attr:尺码,faq:能退吗？
    sku-hoodie,加绒连帽卫衣,服装,189,119,1500,24小时内发货，包邮,卫衣|连帽衫,S|M|L,支持七天无理由

Prices in yuan (``list_price``) or minor units (``list_price_minor``); ``attr:KEY`` columns hold
attributes (``|`` separates several values), ``faq:QUESTION`` columns the answer (empty: none).

The room file: ``{"faq": [{"question", "answer"}], "policy": {"after_sales", "warranty",
"shipping", "how_to_buy", "authenticity", "coupon", "gift"}, "aliases": {product_id: [...]},
"links": {product_id: n}}`` (:class:`~livelens.qa.knowledge.RoomKnowledge`).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import msgspec

from livelens.comments.normalize import normalize
from livelens.comments.segment import Segmenter
from livelens.errors import InvalidReferenceData
from livelens.events.reference import FaqEntry, Product
from livelens.qa.knowledge import MAJOR_MINOR, Catalog, CatalogProduct, RoomKnowledge

_CJK_WORD: Final = re.compile(r"^[\u4e00-\u9fff]{2,}$")


class _ProductDoc(Product, kw_only=True):
    """A catalog product plus the optional Q&A fields."""

    aliases: list[str] = msgspec.field(default_factory=list)
    short_name: str | None = None
    link_no: int | None = None


class _CatalogDoc(msgspec.Struct, kw_only=True):
    products: list[_ProductDoc] = []


class _RoomCatalogDoc(msgspec.Struct, kw_only=True):
    products: list[_ProductDoc]
    room: RoomKnowledge = RoomKnowledge()


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        msg = f"{what} file {path} does not exist"
        raise InvalidReferenceData(msg) from None


def load_room(path: Path) -> RoomKnowledge:
    """Read and validate a room FAQ/policy file."""
    try:
        return msgspec.json.decode(_read(path, "room"), type=RoomKnowledge)
    except msgspec.MsgspecError as error:
        msg = f"{path}: {error}; expected a room file (see docs/qa.md)"
        raise InvalidReferenceData(msg) from None


def load_products(path: Path) -> list[_ProductDoc]:
    """The products of a catalog file: ``.csv`` as CSV, anything else as catalog JSON."""
    data = _read(path, "catalog")
    if path.suffix.lower() == ".csv":
        return _products_from_csv(data.decode("utf-8-sig"), str(path))
    try:
        return msgspec.json.decode(data, type=_CatalogDoc).products
    except msgspec.MsgspecError as error:
        msg = f"{path}: {error}; expected catalog JSON ({{'products': [...]}})"
        raise InvalidReferenceData(msg) from None


def _minor(row: dict[str, str], name: str, where: str) -> int | None:
    if row.get(f"{name}_minor", "").strip():
        text, scale = row[f"{name}_minor"].strip(), 1
    elif row.get(name, "").strip():
        text, scale = row[name].strip(), MAJOR_MINOR
    else:
        return None
    try:
        return int(Decimal(text) * scale)
    except InvalidOperation:
        msg = f"{where}: {name} {text!r} is not a number"
        raise InvalidReferenceData(msg) from None


def _products_from_csv(text: str, source: str) -> list[_ProductDoc]:
    reader = csv.DictReader(io.StringIO(text))
    out: list[_ProductDoc] = []
    for line, row in enumerate(reader, start=2):
        where = f"{source}:{line}"
        record: dict[str, Any] = {
            key: value.strip()
            for key in ("product_id", "title", "category", "currency", "brand", "shipping")
            if (value := row.get(key) or "").strip()
        }
        list_price = _minor(row, "list_price", where)
        record["list_price_minor"] = list_price
        floor = _minor(row, "floor_price", where)
        record["floor_price_minor"] = floor if floor is not None else list_price
        if (row.get("stock") or "").strip():
            record["stock"] = row["stock"].strip()
        if (row.get("link_no") or "").strip():
            record["link_no"] = row["link_no"].strip()
        if (row.get("short_name") or "").strip():
            record["short_name"] = row["short_name"].strip()
        record["aliases"] = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        attributes: dict[str, list[str] | str] = {}
        faq = []
        for key, value in row.items():
            if not key or not (value or "").strip():
                continue
            if key.startswith("attr:"):
                values = [v.strip() for v in value.split("|") if v.strip()]
                attributes[key[5:].strip()] = values if len(values) > 1 else values[0]
            elif key.startswith("faq:"):
                faq.append({"question": key[4:].strip(), "answer": value.strip()})
        record["attributes"] = attributes
        record["faq"] = faq
        try:
            out.append(msgspec.convert(record, _ProductDoc, strict=False))
        except msgspec.ValidationError as error:
            msg = f"{where}: {error}"
            raise InvalidReferenceData(msg) from None
    return out


@functools.cache
def _title_segmenter() -> Segmenter:
    return Segmenter()


def head_noun(title: str) -> str | None:
    """The last word of two or more Chinese characters in a title: what it is ("卫衣")."""
    words = [w for w in _title_segmenter().tokens(normalize(title)) if _CJK_WORD.match(w)]
    return words[-1] if words else None


def build_products(
    products: Sequence[Product], room: RoomKnowledge | None = None
) -> list[CatalogProduct]:
    """Products with their names: explicit aliases, the title, the brand, the title's head noun.

    A head noun is an alias only when no other product's title ends in it (two "精华液"s would
    make the word ambiguous; explicit aliases are kept even when shared).
    """
    room = room or RoomKnowledge()
    heads = {p.product_id: head_noun(p.title) for p in products}
    head_counts = Counter(h for h in heads.values() if h)
    out = []
    for index, product in enumerate(products, start=1):
        explicit = list(room.aliases.get(product.product_id, ()))
        short_name = None
        link_no = room.links.get(product.product_id, index)
        if isinstance(product, _ProductDoc):
            explicit += product.aliases
            short_name = product.short_name
            link_no = room.links.get(product.product_id, product.link_no or index)
        names = [*explicit, product.title]
        head = heads[product.product_id]
        if head and head_counts[head] == 1:
            names.append(head)
        if product.brand:
            names.append(product.brand)
        name = short_name or (explicit[0] if explicit else head or product.title)
        out.append(
            CatalogProduct(
                product=product,
                name=name,
                aliases=tuple(dict.fromkeys(n for n in (name, *names) if n.strip())),
                link_no=link_no,
            )
        )
    return out


def load_catalog(path: Path, room_path: Path | None = None) -> Catalog:
    """A fresh :class:`~livelens.qa.knowledge.Catalog` from a catalog file and a room file."""
    room = load_room(room_path) if room_path else RoomKnowledge()
    products = load_products(path)
    if not products:
        msg = f"{path}: the catalog has no products; the Q&A needs at least one"
        raise InvalidReferenceData(msg)
    return Catalog(build_products(products, room), room)


def catalog_from_json(data: bytes, source: str) -> Catalog:
    """A fresh catalog from one JSON document: catalog JSON plus the room file under ``room``
    (``{"products": [...], "room": {"faq": [...], "policy": {...}}}``); what the API loads."""
    try:
        doc = msgspec.json.decode(data, type=_RoomCatalogDoc)
    except msgspec.MsgspecError as error:
        msg = f"{source}: {error}; expected {{'products': [...], 'room': {{...}}}} (docs/qa.md)"
        raise InvalidReferenceData(msg) from None
    if not doc.products:
        msg = f"{source}: the catalog has no products; the Q&A needs at least one"
        raise InvalidReferenceData(msg)
    return Catalog(build_products(doc.products, doc.room), doc.room)


def faq_entries(catalog: Catalog) -> list[tuple[str | None, FaqEntry]]:
    """(product_id or None for the room, entry) for every FAQ entry the room knows."""
    out: list[tuple[str | None, FaqEntry]] = [(None, e) for e in catalog.room.faq]
    for state in catalog.products():
        out.extend((state.item.product_id, e) for e in state.item.product.faq)
    return out
