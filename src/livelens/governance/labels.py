"""Implicit AI labels: the ``AIGC`` metadata record of GB 45438-2025 and the files that carry it.

《人工智能生成合成内容标识办法》 (in force 2025-09-01) requires an implicit label in the file
metadata of AI-generated content; GB 45438-2025 fixes its fields. livelens writes the record, read
back to verify, as one ASCII JSON object (non-ASCII ``\\u``-escaped) with exactly these keys::

    {"Label":"1","ContentProducer":"...","ProduceID":"...","ReservedCode1":"",
     "ContentPropagator":"...","PropagateID":"...","ReservedCode2":""}

``Label``: ``"1"`` 属于人工智能生成合成内容 (is AI-generated; livelens writes it for AI hosts),
``"2"`` 可能为 (possibly), ``"3"`` 疑似为 (suspected). ``ContentProducer`` / ``ProduceID`` name the
generating service provider and its content number, ``ContentPropagator`` / ``PropagateID`` the
propagating one (both empty until propagated, never only one); the reserved codes may be empty.

Carriers, chosen by the file suffix:

* ``mp4`` (.mp4 .m4v .mov .m4a): the ``AIGC`` tag in ``moov/udta/meta`` (ffmpeg ``-metadata``;
  without ``-movflags use_metadata_tags`` ffmpeg silently drops a non-standard tag); ffprobe reads.
* ``html``: ``<meta name="AIGC" content="...">`` in the head (see :func:`html_meta`).
* ``pdf``: the key ``/AIGC`` in the document information dictionary, appended to an existing PDF as
  an incremental update (the original bytes stay untouched; other Info entries are kept).
  WeasyPrint can write it natively: ``document.metadata.custom["AIGC"] = encode_record(r)`` and
  ``document.write_pdf(custom_metadata=True)``. ``pdfinfo -custom`` shows it.
* ``sidecar`` (every other file: JSON, JSONL, CSV, Parquet …): ``FILE.aigc.json`` beside it,
  ``{"AIGC": {...}, "file": "FILE", "sha256": "..."}``; the hash ties the label to those bytes.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import msgspec

from livelens.errors import ConfigurationError, InvalidInput
from livelens.governance.pdf_info import read_info_entry, write_info_entry

TAG: Final = "AIGC"
FIELDS: Final = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
LABELS: Final = {
    "1": "属于人工智能生成合成内容 (AI-generated)",
    "2": "可能为人工智能生成合成内容 (possibly AI-generated)",
    "3": "疑似为人工智能生成合成内容 (suspected AI-generated)",
}
Carrier: TypeAlias = Literal["mp4", "html", "pdf", "sidecar"]
MP4_SUFFIXES: Final = frozenset({".mp4", ".m4v", ".mov", ".m4a"})
_INSTALL_FFMPEG: Final = "install the Debian package ffmpeg (make setup does)"


class AigcRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The seven fields of GB 45438-2025's implicit label, under the standard's JSON names."""

    label: str = msgspec.field(name="Label")
    content_producer: str = msgspec.field(name="ContentProducer")
    produce_id: str = msgspec.field(name="ProduceID")
    reserved_code1: str = msgspec.field(name="ReservedCode1")
    content_propagator: str = msgspec.field(name="ContentPropagator")
    propagate_id: str = msgspec.field(name="PropagateID")
    reserved_code2: str = msgspec.field(name="ReservedCode2")


class LabelCheck(msgspec.Struct, frozen=True):
    """What :func:`check_file` found: ``record`` is set when the seven fields parse at all."""

    file: str
    carrier: Carrier
    found: bool
    valid: bool
    record: AigcRecord | None
    problems: tuple[str, ...]


def build_record(
    *,
    producer: str,
    produce_id: str,
    propagator: str = "",
    propagate_id: str = "",
    label: str = "1",
    reserved_code1: str = "",
    reserved_code2: str = "",
) -> AigcRecord:
    """A validated record; :class:`InvalidInput` names every problem."""
    record = AigcRecord(
        label, producer, produce_id, reserved_code1, propagator, propagate_id, reserved_code2
    )
    problems = record_problems(record)
    if problems:
        raise InvalidInput("invalid AIGC record: " + "; ".join(problems))
    return record


def record_problems(record: AigcRecord) -> list[str]:
    """What makes the record's values invalid (empty when valid)."""
    problems = []
    if record.label not in LABELS:
        problems.append(
            f"Label must be one of {', '.join(LABELS)} (1 = AI-generated), got {record.label!r}"
        )
    if not record.content_producer.strip():
        problems.append("ContentProducer is empty: name or code of the generating service provider")
    if not record.produce_id.strip():
        problems.append("ProduceID is empty: the producer's unique number for this content")
    if bool(record.content_propagator.strip()) != bool(record.propagate_id.strip()):
        problems.append("ContentPropagator and PropagateID must be both set or both empty")
    return problems


def encode_record(record: AigcRecord) -> str:
    """The record as compact JSON in the standard's field order, ASCII only (``\\u`` escapes)."""
    return _ascii(msgspec.json.encode(record))


def parse_record(text: str | bytes) -> AigcRecord:
    """Parse and validate an encoded record; :class:`InvalidInput` names every problem."""
    record, problems = _inspect_text(text)
    if problems or record is None:
        raise InvalidInput("invalid AIGC record: " + "; ".join(problems))
    return record


def carrier_of(path: Path) -> Carrier:
    suffix = path.suffix.lower()
    if suffix in MP4_SUFFIXES:
        return "mp4"
    if suffix in (".html", ".htm"):
        return "html"
    return "pdf" if suffix == ".pdf" else "sidecar"


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".aigc.json")


def check_file(path: Path) -> LabelCheck:
    """Whether ``path`` carries one valid AIGC record (missing ffmpeg raises ConfigurationError)."""
    if not path.is_file():
        msg = f"{path} is not a file; pass the labelled MP4, HTML, PDF or exported file"
        raise InvalidInput(msg)
    carrier = carrier_of(path)
    try:
        found = _READERS[carrier](path)
    except InvalidInput as error:
        return LabelCheck(str(path), carrier, False, False, None, (str(error),))
    if found.text is None:
        return LabelCheck(str(path), carrier, False, False, None, tuple(found.problems))
    record, problems = _inspect_text(found.text)
    problems = found.problems + problems
    return LabelCheck(
        str(path), carrier, True, record is not None and not problems, record, tuple(problems)
    )


def write_record(src: Path, dst: Path, record: AigcRecord) -> Path:
    """Write ``src`` to ``dst`` carrying ``record``; read it back and fail unless it survived.

    ``dst`` may be ``src``: the new file replaces it only after the check."""
    if problems := record_problems(record):
        raise InvalidInput("invalid AIGC record: " + "; ".join(problems))
    carrier = carrier_of(src)
    if carrier_of(dst) != carrier:
        msg = f"{dst} must be the same kind of file as {src} ({carrier}); change its suffix"
        raise InvalidInput(msg)
    if carrier == "sidecar":
        return _write_sidecar(src, dst, record)
    fd, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.stem}.", suffix=dst.suffix)
    os.close(fd)
    temp = Path(name)
    try:
        _WRITERS[carrier](src, temp, record)
        _verify(temp, carrier, record)
        shutil.copymode(src, temp)  # not the temporary file's 0600
        os.replace(temp, dst)
    finally:
        temp.unlink(missing_ok=True)
    return dst


def html_meta(record: AigcRecord) -> str:
    """The ``<meta>`` element that carries the record in an HTML head."""
    return f'<meta name="{TAG}" content="{html.escape(encode_record(record), quote=True)}">'


# --- the record as text ---------------------------------------------------------------------

_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")


def _ascii(encoded: bytes) -> str:
    return _NON_ASCII.sub(_u_escape, encoded.decode("utf-8"))


def _u_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON requires
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _inspect_text(text: str | bytes) -> tuple[AigcRecord | None, list[str]]:
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    problems = [] if raw.isascii() else [r"not ASCII: non-ASCII characters must be \u-escaped"]
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        return None, [*problems, f"not JSON: {error}"]
    record, more = _inspect_object(value)
    return record, problems + more


def _inspect_object(value: Any) -> tuple[AigcRecord | None, list[str]]:
    if not isinstance(value, dict):
        return None, [f"the record must be a JSON object, got {type(value).__name__}"]
    problems = []
    if missing := [name for name in FIELDS if name not in value]:
        problems.append("missing field(s): " + ", ".join(missing))
    if unknown := [str(name) for name in value if name not in FIELDS]:
        problems.append(
            f"unknown field(s): {', '.join(unknown)} (expected exactly {', '.join(FIELDS)})"
        )
    problems += [
        f"{name} must be a string, got {type(value[name]).__name__}"
        for name in FIELDS
        if name in value and not isinstance(value[name], str)
    ]
    if problems:
        return None, problems
    record = msgspec.convert(value, AigcRecord)
    return record, record_problems(record)


class _Found(NamedTuple):
    text: str | None  # the encoded record, None when the file carries none
    problems: list[str]


def _verify(path: Path, carrier: Carrier, record: AigcRecord) -> None:
    found = _READERS[carrier](path)
    if found.text is None or _inspect_text(found.text)[0] != record:
        msg = f"the AIGC record did not survive writing {path.name} (read back: {found.text!r})"
        raise ConfigurationError(msg)


# --- MP4: ffmpeg writes, ffprobe reads --------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        msg = f"{name} is not installed; {_INSTALL_FFMPEG}"
        raise ConfigurationError(msg)
    return found


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, check=False)  # noqa: S603 - fixed argv, no shell


def _write_mp4(src: Path, dst: Path, record: AigcRecord) -> None:
    argv = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0"]
    argv += ["-c", "copy", "-metadata", f"{TAG}={encode_record(record)}"]
    done = _run([*argv, "-movflags", "use_metadata_tags", str(dst)])
    if done.returncode != 0:
        msg = f"ffmpeg could not label {src}: {_last_line(done.stderr)}"
        raise InvalidInput(msg)


def _read_mp4(path: Path) -> _Found:
    done = _run(
        [_tool("ffprobe"), "-v", "error", "-show_entries", "format_tags", "-of", "json", str(path)]
    )
    if done.returncode != 0:
        msg = f"ffprobe cannot read {path}: {_last_line(done.stderr)}"
        raise InvalidInput(msg)
    tags = msgspec.json.decode(done.stdout).get("format", {}).get("tags", {})
    values = [value for key, value in tags.items() if key.upper() == TAG]
    if not values:
        return _Found(
            None, ["no AIGC tag in the MP4 metadata (written without -movflags use_metadata_tags?)"]
        )
    return _Found(str(values[0]), [])


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"


# --- HTML: a meta element in the head -------------------------------------------------------

_AIGC_META: Final = re.compile(r"<meta\b[^>]*\bname\s*=\s*[\"']?aigc\b[^>]*>\s*", re.IGNORECASE)
_OPENING: Final = [
    re.compile(rf"<{tag}\b[^>]*>", re.IGNORECASE) for tag in ("head", "html", "!doctype")
]


def _write_html(src: Path, dst: Path, record: AigcRecord) -> None:
    text = _AIGC_META.sub("", src.read_text(encoding="utf-8"))
    at = next((m.end() for p in _OPENING if (m := p.search(text))), 0)
    dst.write_text(f"{text[:at]}{html_meta(record)}{text[at:]}", encoding="utf-8")


class _MetaFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.contents: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("name") or "").upper() == TAG:
            self.contents.append(values.get("content") or "")


def _read_html(path: Path) -> _Found:
    finder = _MetaFinder()
    finder.feed(path.read_text(encoding="utf-8", errors="replace"))
    if not finder.contents:
        return _Found(None, ['no <meta name="AIGC"> in the HTML head'])
    more = (
        [f"{len(finder.contents)} AIGC meta elements; keep one"] if len(finder.contents) > 1 else []
    )
    return _Found(finder.contents[0], more)


# --- sidecar: FILE.aigc.json beside every other file -----------------------------------------


class _Sidecar(msgspec.Struct, frozen=True):
    AIGC: AigcRecord  # the standard's name
    file: str
    sha256: str


def _write_sidecar(src: Path, dst: Path, record: AigcRecord) -> Path:
    if src.resolve() != dst.resolve():
        shutil.copyfile(src, dst)
    digest = hashlib.sha256(dst.read_bytes()).hexdigest()
    sidecar = sidecar_path(dst)
    sidecar.write_text(
        _ascii(msgspec.json.encode(_Sidecar(record, dst.name, digest))) + "\n", encoding="ascii"
    )
    _verify(dst, "sidecar", record)
    return dst


def _read_sidecar(path: Path) -> _Found:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return _Found(None, [f"no sidecar {sidecar.name} beside the file"])
    raw = sidecar.read_bytes()
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        return _Found(None, [f"{sidecar.name} is not JSON: {error}"])
    if not isinstance(value, dict) or TAG not in value:
        return _Found(None, [f"{sidecar.name} has no AIGC object"])
    problems = [] if raw.isascii() else [rf"{sidecar.name} is not ASCII: \u-escape non-ASCII"]
    if value.get("sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
        problems.append(
            f"{path.name} changed after it was labelled (sha256 differs from {sidecar.name})"
        )
    return _Found(_ascii(msgspec.json.encode(value[TAG])), problems)


# --- PDF: /AIGC in the document information dictionary (livelens.governance.pdf_info) ---


def _read_pdf(path: Path) -> _Found:
    value = read_info_entry(path, TAG)
    if value is None:
        return _Found(None, ["no /AIGC entry in the PDF document information"])
    if not isinstance(value, bytes):
        return _Found(None, ["/AIGC in the PDF document information is not a string"])
    if value.startswith(b"\xfe\xff"):
        return _Found(value[2:].decode("utf-16-be", "replace"), [])
    return _Found(value.decode("latin-1"), [])


def _write_pdf(src: Path, dst: Path, record: AigcRecord) -> None:
    write_info_entry(src, dst, TAG, encode_record(record).encode("ascii"))


_READERS: Final[dict[Carrier, Callable[[Path], _Found]]] = {
    "mp4": _read_mp4,
    "html": _read_html,
    "pdf": _read_pdf,
    "sidecar": _read_sidecar,
}
_WRITERS: Final[dict[Carrier, Callable[[Path, Path, AigcRecord], None]]] = {
    "mp4": _write_mp4,
    "html": _write_html,
    "pdf": _write_pdf,
}
