"""Just enough of ISO 32000 to read and add an entry of a PDF's document information dictionary.

It finds the newest trailer and Info dictionary (classic and stream cross-reference sections,
object streams, FlateDecode with PNG predictors; no encryption) and adds an entry as an
incremental update: the original bytes stay as they are, so every earlier signature and reader
still sees the same document. :mod:`livelens.governance.labels` keeps the ``AIGC`` record there.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple, TypeAlias

from livelens.errors import InvalidInput


class _Ref(NamedTuple):
    num: int
    gen: int


# bytes: a PDF string; str: a PDF name (without the slash)
PdfValue: TypeAlias = (
    "int | float | bool | bytes | str | _Ref | list[PdfValue] | dict[str, PdfValue] | None"
)

_SPACE: Final = re.compile(rb"(?:[\s\x00]|%[^\r\n]*)*")
_TOKEN: Final = re.compile(rb"[^\s\x00()<>\[\]{}/%]*")
_REF_TAIL: Final = re.compile(rb"\s+(\d+)\s+R(?![^\s\x00()<>\[\]{}/%])")
_OBJ: Final = re.compile(rb"\s*\d+\s+\d+\s+obj\b")
_SUBSECTION: Final = re.compile(rb"(\d+)\s+(\d+)")
_ENTRY: Final = re.compile(rb"\s*(\d{10})\s+(\d{5})\s+([nf])")
_ESCAPES: Final = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def skip(self) -> None:
        self.pos = _end(_SPACE, self.data, self.pos)

    def value(self) -> PdfValue:
        self.skip()
        data, pos = self.data, self.pos
        if data.startswith(b"<<", pos):
            self.pos += 2
            found: dict[str, PdfValue] = {}
            while not self._closes(b">>"):
                key = self.value()
                if not isinstance(key, str):
                    msg = f"a PDF dictionary key at offset {pos} is not a name"
                    raise InvalidInput(msg)
                found[key] = self.value()
            return found
        if data.startswith(b"[", pos):
            self.pos += 1
            items: list[PdfValue] = []
            while not self._closes(b"]"):
                items.append(self.value())
            return items
        if data.startswith(b"(", pos):
            return self._literal()
        if data.startswith(b"<", pos):
            self.pos = data.index(b">", pos) + 1
            digits = re.sub(rb"\s", b"", data[pos + 1 : self.pos - 1])
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        name = data.startswith(b"/", pos)
        self.pos = _end(_TOKEN, data, pos + name)
        token = data[pos + name : self.pos]
        if name:
            return token.decode("latin-1")
        if token in (b"true", b"false", b"null"):
            return None if token == b"null" else token == b"true"
        if re.fullmatch(rb"[+-]?\d+", token):
            if ref := _REF_TAIL.match(data, self.pos):
                self.pos = ref.end()
                return _Ref(int(token), int(ref[1]))
            return int(token)
        return float(token)  # ValueError for anything else: callers report a damaged PDF

    def _closes(self, closing: bytes) -> bool:
        self.skip()
        if self.data.startswith(closing, self.pos):
            self.pos += len(closing)
            return True
        return False

    def _literal(self) -> bytes:
        data, i, depth, out = self.data, self.pos + 1, 1, bytearray()
        while True:
            char = data[i]
            i += 1
            if char == 0x5C:  # backslash
                char, i = data[i], i + 1
                if char in _ESCAPES:
                    out.append(_ESCAPES[char])
                elif 0x30 <= char <= 0x37:
                    digits = re.match(rb"[0-7]{1,3}", data[i - 1 : i + 2])
                    out.append(int(digits[0] if digits else b"0", 8) & 0xFF)
                    i += len(digits[0]) - 1 if digits else 0
                elif char == 0x0D:
                    i += data.startswith(b"\n", i)  # a line continuation
                elif char != 0x0A:
                    out.append(char)
                continue
            depth += (char == 0x28) - (char == 0x29)
            if depth == 0:
                self.pos = i
                return bytes(out)
            out.append(char)


def _end(pattern: re.Pattern[bytes], data: bytes, pos: int) -> int:
    match = pattern.match(data, pos)
    return match.end() if match else pos


def _int(value: PdfValue, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"PDF {what} is not an integer: {value!r}"
        raise InvalidInput(msg)
    return value


@dataclass(frozen=True, slots=True)
class _Pdf:
    data: bytes
    startxref: int
    classic: bool  # the newest cross-reference section is a table, not a stream
    xref: dict[int, tuple[int, int, int] | None]  # (1, offset, 0) or (2, object stream, index)
    trailer: dict[str, PdfValue]  # the newest value of each key along the /Prev chain


def _open_pdf(data: bytes) -> _Pdf:
    at = data.rfind(b"startxref")
    match = re.compile(rb"startxref\s+(\d+)").match(data, max(at, 0))
    if at < 0 or match is None:
        msg = "no startxref: not a PDF, or a truncated one"
        raise InvalidInput(msg)
    start = int(match[1])
    xref: dict[int, tuple[int, int, int] | None] = {}
    trailer: dict[str, PdfValue] = {}
    sections: list[bool] = []
    pos: PdfValue = start
    while isinstance(pos, int) and len(sections) < 1000:
        section, classic = _xref_section(data, pos, xref)
        sections.append(classic)
        if isinstance(stream_at := section.get("XRefStm"), int):  # a hybrid-reference file
            _xref_section(data, stream_at, xref)
        for key, value in section.items():
            trailer.setdefault(key, value)
        pos = section.get("Prev")
    return _Pdf(data, start, sections[0], xref, trailer)


def _xref_section(
    data: bytes, pos: int, xref: dict[int, tuple[int, int, int] | None]
) -> tuple[dict[str, PdfValue], bool]:
    reader = _Reader(data, pos)
    reader.skip()
    if data.startswith(b"xref", reader.pos):
        reader.pos += 4
        while not reader._closes(b"trailer"):
            if (sub := _SUBSECTION.match(data, reader.pos)) is None:
                msg = f"damaged cross-reference table at offset {reader.pos}"
                raise InvalidInput(msg)
            reader.pos = sub.end()
            for num in range(int(sub[1]), int(sub[1]) + int(sub[2])):
                if (entry := _ENTRY.match(data, reader.pos)) is None:
                    msg = f"damaged cross-reference entry at offset {reader.pos}"
                    raise InvalidInput(msg)
                reader.pos = entry.end()
                xref.setdefault(num, (1, int(entry[1]), 0) if entry[3] == b"n" else None)
        section = reader.value()
        return (section, True) if isinstance(section, dict) else ({}, True)
    section, stream = _object_at(data, pos)
    if not isinstance(section, dict) or section.get("Type") != "XRef" or stream is None:
        msg = f"no cross-reference section at offset {pos} (startxref or /Prev is wrong)"
        raise InvalidInput(msg)
    widths = [_int(w, "/W") for w in _list(section.get("W"))]
    index = [_int(i, "/Index") for i in _list(section.get("Index", [0, section.get("Size")]))]
    row = 0
    for first, count in zip(index[::2], index[1::2], strict=True):
        for num in range(first, first + count):
            fields, at = [], row
            for width in widths:
                fields.append(int.from_bytes(stream[at : at + width], "big"))
                at += width
            row = at
            kind = fields[0] if widths[0] else 1
            xref.setdefault(num, (kind, fields[1], fields[2]) if kind in (1, 2) else None)
    return section, False


def _list(value: PdfValue) -> list[PdfValue]:
    return value if isinstance(value, list) else []


def _object_at(data: bytes, offset: int) -> tuple[PdfValue, bytes | None]:
    header = _OBJ.match(data, offset)
    if header is None:
        msg = f"no PDF object at offset {offset}"
        raise InvalidInput(msg)
    reader = _Reader(data, header.end())
    value = reader.value()
    reader.skip()
    if not isinstance(value, dict) or not data.startswith(b"stream", reader.pos):
        return value, None
    start = reader.pos + 6
    start += 2 if data.startswith(b"\r\n", start) else 1
    length = value.get("Length")
    if isinstance(length, int) and not isinstance(length, bool):
        end = start + length
    else:  # an indirect /Length: the stream ends at its keyword
        end = data.index(b"endstream", start)
    return value, _decode(value, data[start:end])


def _decode(stream: dict[str, PdfValue], raw: bytes) -> bytes:
    filters = stream.get("Filter")
    names = filters if isinstance(filters, list) else [filters] if filters else []
    if names not in ([], ["FlateDecode"]):
        msg = f"unsupported PDF stream filter {names}"
        raise InvalidInput(msg)
    data = zlib.decompressobj().decompress(raw) if names else raw
    params = stream.get("DecodeParms")
    params = params[0] if isinstance(params, list) and params else params
    if not isinstance(params, dict) or _int(params.get("Predictor", 1), "/Predictor") < 10:
        return data
    columns = _int(params.get("Columns", 1), "/Columns")
    out, previous = bytearray(), bytearray(columns)
    for at in range(0, len(data), columns + 1):  # PNG rows: a filter byte, then the columns
        kind, line = data[at], bytearray(data[at + 1 : at + 1 + columns])
        if kind not in (0, 1, 2):
            msg = f"unsupported PNG predictor row filter {kind}"
            raise InvalidInput(msg)
        for i in range(len(line)):
            line[i] = (line[i] + (line[i - 1] if kind == 1 and i else 0)) & 0xFF
            line[i] = (line[i] + (previous[i] if kind == 2 else 0)) & 0xFF
        out += line
        previous = line
    return bytes(out)


def _resolve(pdf: _Pdf, value: PdfValue) -> PdfValue:
    if not isinstance(value, _Ref):
        return value
    entry = pdf.xref.get(value.num)
    if entry is None:
        return None
    kind, where, index = entry
    if kind == 1:
        return _object_at(pdf.data, where)[0]
    holder = pdf.xref.get(where)
    container, stream = _object_at(pdf.data, holder[1]) if holder else (None, None)
    if not isinstance(container, dict) or stream is None:
        msg = f"object stream {where} is missing"
        raise InvalidInput(msg)
    first = _int(container.get("First"), "/First")
    offsets = [int(n) for n in stream[:first].split()]
    return _Reader(stream, first + offsets[2 * index + 1]).value()


def _info(pdf: _Pdf) -> dict[str, PdfValue]:
    info = _resolve(pdf, pdf.trailer.get("Info"))
    return info if isinstance(info, dict) else {}


def _serialize(value: PdfValue) -> bytes:
    if value is None or isinstance(value, bool):
        return {None: b"null", True: b"true", False: b"false"}[value]
    if isinstance(value, _Ref):
        return b"%d %d R" % value
    if isinstance(value, int | float):
        return str(value).encode() if isinstance(value, int) else f"{value:f}".encode()
    if isinstance(value, str):
        return b"/" + value.encode("latin-1")
    if isinstance(value, bytes):
        if all(0x20 <= byte < 0x7F for byte in value):
            return b"(" + re.sub(rb"([\\()])", rb"\\\1", value) + b")"
        return b"<" + value.hex().encode() + b">"
    if isinstance(value, list):
        return b"[" + b" ".join(map(_serialize, value)) + b"]"
    return (
        b"<<"
        + b"".join(b"/%s %s " % (k.encode("latin-1"), _serialize(v)) for k, v in value.items())
        + b">>"
    )


def _load_pdf(path: Path) -> _Pdf:
    try:
        return _open_pdf(path.read_bytes())
    except (IndexError, ValueError, zlib.error) as error:
        msg = f"{path} is not a readable PDF: {error}"
        raise InvalidInput(msg) from error


def read_info_entry(path: Path, key: str) -> PdfValue:
    """The value of ``/key`` in the document information of the PDF at ``path`` (None if absent)."""
    pdf = _load_pdf(path)
    try:
        return _info(pdf).get(key)
    except (IndexError, ValueError, zlib.error) as error:
        msg = f"{path}: the PDF document information cannot be read: {error}"
        raise InvalidInput(msg) from error


def write_info_entry(src: Path, dst: Path, key: str, value: bytes) -> None:
    """Write ``src`` to ``dst`` with ``/key`` set to the string ``value`` in its Info dictionary."""
    pdf = _load_pdf(src)
    if "Encrypt" in pdf.trailer or "Root" not in pdf.trailer:
        msg = f"{src} is encrypted or has no document catalog; decrypt or repair it (qpdf) first"
        raise InvalidInput(msg)
    info = {k: v for k, v in _info(pdf).items() if k != key}
    info[key] = value
    num = _int(pdf.trailer.get("Size"), "/Size")
    out = bytearray(pdf.data if pdf.data.endswith(b"\n") else pdf.data + b"\n")
    info_at = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (num, _serialize(info))
    trailer: dict[str, PdfValue] = {"Size": num + 1, "Root": pdf.trailer["Root"]}
    trailer |= {"Info": _Ref(num, 0), "Prev": pdf.startxref}
    if "ID" in pdf.trailer:
        trailer["ID"] = pdf.trailer["ID"]
    xref_at = len(out)
    if pdf.classic:
        out += b"xref\n%d 1\n%010d 00000 n \ntrailer\n%s\n" % (num, info_at, _serialize(trailer))
    else:  # an uncompressed cross-reference stream for the Info object and itself
        rows = b"".join(b"\x01" + at.to_bytes(8, "big") + b"\x00\x00" for at in (info_at, xref_at))
        trailer |= {"Type": "XRef", "Size": num + 2, "W": [1, 8, 2], "Index": [num, 2]}
        trailer["Length"] = len(rows)
        out += b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (
            num + 1,
            _serialize(trailer),
            rows,
        )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    dst.write_bytes(out)
