"""Integrity of model and weight files: a signed manifest, checked before any byte is parsed.

A model folder holds ``MANIFEST.json`` — every file's SHA-256 and size::

    {"files": {"sentiment.safetensors": {"sha256": "24da…", "size": 1049036}, …},
     "format": "livelens-manifest-v1"}

and ``MANIFEST.sig`` — an Ed25519 signature over the manifest's canonical bytes (msgspec JSON,
sorted keys, no whitespace, re-encoded from the parsed manifest) with the signing key's id::

    {"algorithm": "ed25519", "format": "livelens-manifest-sig-v1",
     "key_id": "ed25519:3f0c…", "signature": "<base64>"}

:func:`verify_file` returns a file's bytes only when the signature verifies under a trusted
public key (shipped in ``trusted_keys/*.pub``, PEM), the file is listed, its size and hash
match, and it is not a pickle. The caller then parses exactly those bytes, never the file again,
so nothing can be swapped between check and use.

Pickles run code when loaded, so they are refused even when listed and signed: by extension
(``.pkl``, ``.pickle``, ``.joblib``, ``.dill``), by the protocol 2-5 header (``0x80 0x02``-``0x05``)
in any file except a well-formed ``.safetensors`` file (whose 8-byte header length can start with
those bytes), by a zip archive holding a ``.pkl`` member (PyTorch's ``.pt`` format), and, for
``.pt``/``.pth``/``.bin``/``.ckpt``, by the shape of a protocol 0/1 pickle.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Final, Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from livelens.errors import LivelensError

MANIFEST_NAME: Final = "MANIFEST.json"
SIGNATURE_NAME: Final = "MANIFEST.sig"
TRUSTED_KEYS_DIR: Final = Path(__file__).resolve().parent / "trusted_keys"

PICKLE_SUFFIXES: Final = frozenset({".pkl", ".pickle", ".joblib", ".dill"})
_PICKLE_PRONE_SUFFIXES: Final = frozenset({".pt", ".pth", ".bin", ".ckpt"})
_PROTOCOL_0_1_FIRST: Final = frozenset(b"(]}cIVSNFLlt")
_UNSIGNED: Final = frozenset({MANIFEST_NAME, SIGNATURE_NAME})

TrustedKeys = Mapping[str, Ed25519PublicKey]


class IntegrityError(ValueError, LivelensError):
    """A file is unsigned, altered, unlisted, signed by an untrusted key, or a pickle."""


class FileEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sha256: str
    size: int


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Files of one folder (relative POSIX paths) with their SHA-256 and size in bytes."""

    files: dict[str, FileEntry]
    format: Literal["livelens-manifest-v1"] = "livelens-manifest-v1"


class ManifestSignature(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key_id: str
    signature: str
    algorithm: Literal["ed25519"] = "ed25519"
    format: Literal["livelens-manifest-sig-v1"] = "livelens-manifest-sig-v1"


class VerifiedManifest(msgspec.Struct, frozen=True):
    """A manifest whose signature verified under the trusted key ``key_id``."""

    folder: Path
    manifest: Manifest
    key_id: str


def canonical_bytes(manifest: Manifest) -> bytes:
    """The bytes that are signed: compact JSON with sorted keys."""
    return msgspec.json.encode(manifest, order="sorted")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A stable id for a public key: ``ed25519:`` and the first 16 hex digits of its SHA-256."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as error:
        msg = f"{path}: not a PEM public key ({error})"
        raise IntegrityError(msg) from None
    if not isinstance(key, Ed25519PublicKey):
        msg = f"{path}: a {type(key).__name__}, expected an Ed25519 public key"
        raise IntegrityError(msg)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from an unencrypted PEM (PKCS#8) file."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        msg = f"{path}: not an unencrypted PEM private key ({error})"
        raise IntegrityError(msg) from None
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path}: a {type(key).__name__}, expected an Ed25519 private key"
        raise IntegrityError(msg)
    return key


def load_trusted_keys(folder: Path = TRUSTED_KEYS_DIR) -> dict[str, Ed25519PublicKey]:
    """Every ``*.pub`` key in ``folder`` by :func:`key_id` (the shipped keys by default)."""
    keys = (load_public_key(path) for path in sorted(folder.glob("*.pub")))
    return {key_id(key): key for key in keys}


def pickle_reason(name: str, data: bytes) -> str | None:
    """Why a file named ``name`` with content ``data`` is a pickle, or ``None``."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return f"its extension {suffix} is a pickle format"
    pickle_header = len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5
    if pickle_header and not (suffix == ".safetensors" and _is_safetensors(data)):
        return f"it starts with a pickle protocol {data[1]} header"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.namelist()
        except zipfile.BadZipFile:
            members = []
        pickled = [member for member in members if member.lower().endswith((".pkl", ".pickle"))]
        if pickled:
            return f"it is a zip archive holding a pickle ({pickled[0]}), like PyTorch's .pt format"
    protocol_0_1 = data[:1] and data[0] in _PROTOCOL_0_1_FIRST and data.endswith(b".")
    if suffix in _PICKLE_PRONE_SUFFIXES and protocol_0_1:
        return "it has the shape of a protocol 0/1 pickle"
    return None


def _is_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length, then that many bytes of a JSON object."""
    if len(data) < 10:
        return False
    length = int.from_bytes(data[:8], "little")
    if not 2 <= length <= len(data) - 8 or data[8:9] != b"{":
        return False
    try:
        header = msgspec.json.decode(data[8 : 8 + length])
    except msgspec.DecodeError:
        return False
    return isinstance(header, dict)


def refuse_pickle(name: str, data: bytes) -> None:
    """Raise :class:`IntegrityError` when the file is a pickle."""
    reason = pickle_reason(name, data)
    if reason is not None:
        msg = (
            f"{name}: refused, {reason}; pickles run code when loaded. Convert it to "
            "safetensors (weights) or JSON (metadata)"
        )
        raise IntegrityError(msg)


def _listed_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name not in _UNSIGNED
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and "__pycache__" not in path.relative_to(folder).parts
    )


def build_manifest(folder: Path) -> Manifest:
    """The manifest of every file under ``folder`` (hidden files and the manifest excepted);
    refuses pickles."""
    files: dict[str, FileEntry] = {}
    for path in _listed_files(folder):
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        refuse_pickle(name, data)
        files[name] = FileEntry(hashlib.sha256(data).hexdigest(), len(data))
    if not files:
        msg = f"{folder}: no files to sign"
        raise IntegrityError(msg)
    return Manifest(files)


def write_manifest(folder: Path, manifest: Manifest, private_key: Ed25519PrivateKey) -> None:
    """Write ``MANIFEST.json`` (indented, sorted) and ``MANIFEST.sig`` for ``manifest``."""
    signature = private_key.sign(canonical_bytes(manifest))
    sig = ManifestSignature(
        key_id(private_key.public_key()), base64.b64encode(signature).decode("ascii")
    )
    pretty = msgspec.json.format(canonical_bytes(manifest), indent=2) + b"\n"
    (folder / MANIFEST_NAME).write_bytes(pretty)
    sig_json = msgspec.json.format(msgspec.json.encode(sig, order="sorted"), indent=2) + b"\n"
    (folder / SIGNATURE_NAME).write_bytes(sig_json)


def sign_manifest(folder: Path, private_key: Ed25519PrivateKey) -> Manifest:
    """Hash every file under ``folder`` and write the signed manifest; returns it."""
    manifest = build_manifest(folder)
    write_manifest(folder, manifest, private_key)
    return manifest


def load_manifest(manifest_path: Path, trusted_public_keys: TrustedKeys) -> VerifiedManifest:
    """Read a manifest and its ``MANIFEST.sig`` beside it; verify the signature."""
    sig_path = manifest_path.with_name(SIGNATURE_NAME)
    try:
        manifest = msgspec.json.decode(manifest_path.read_bytes(), type=Manifest)
        sig = msgspec.json.decode(sig_path.read_bytes(), type=ManifestSignature)
        signature = base64.b64decode(sig.signature, validate=True)
    except FileNotFoundError as error:
        msg = f"{error.filename}: missing; model files load only with a signed manifest"
        raise IntegrityError(msg) from None
    except (msgspec.DecodeError, ValueError) as error:
        msg = f"{manifest_path}: the manifest or its signature is malformed ({error})"
        raise IntegrityError(msg) from None
    public_key = trusted_public_keys.get(sig.key_id)
    if public_key is None:
        msg = (
            f"{sig_path}: signed by key {sig.key_id}, which is not trusted (trusted: "
            f"{', '.join(sorted(trusted_public_keys)) or 'none'}); re-sign with a trusted key"
        )
        raise IntegrityError(msg)
    try:
        public_key.verify(signature, canonical_bytes(manifest))
    except InvalidSignature:
        msg = (
            f"{sig_path}: the signature does not verify under key {sig.key_id}: the manifest "
            "was altered after signing; restore it or re-sign (scripts/sign_models.py)"
        )
        raise IntegrityError(msg) from None
    return VerifiedManifest(manifest_path.parent, manifest, sig.key_id)


def verify_file(
    path: Path,
    manifest: Path | None = None,
    trusted_public_keys: TrustedKeys | None = None,
) -> bytes:
    """The bytes of ``path``, once proven to be the signed ones; else :class:`IntegrityError`.

    ``manifest`` defaults to ``MANIFEST.json`` beside the file; ``trusted_public_keys`` to the
    shipped keys. Parse the returned bytes; do not read the file again.
    """
    manifest_path = manifest or path.parent / MANIFEST_NAME
    keys = load_trusted_keys() if trusted_public_keys is None else trusted_public_keys
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        refuse_pickle(path.name, b"")
    data = path.read_bytes()
    refuse_pickle(path.name, data)
    verified = load_manifest(manifest_path, keys)
    try:
        name = path.resolve().relative_to(verified.folder.resolve()).as_posix()
    except ValueError:
        msg = f"{path}: outside {verified.folder}, so {manifest_path.name} cannot vouch for it"
        raise IntegrityError(msg) from None
    entry = verified.manifest.files.get(name)
    if entry is None:
        msg = f"{path}: not listed in {manifest_path}; sign the folder again to include it"
        raise IntegrityError(msg)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != entry.size or digest != entry.sha256:
        msg = (
            f"{path}: {len(data)} bytes with SHA-256 {digest}, but the signed manifest expects "
            f"{entry.size} bytes with {entry.sha256}; the file was altered or replaced"
        )
        raise IntegrityError(msg)
    return data


def verified_bytes(path: Path) -> bytes:
    """:func:`verify_file` with the manifest beside ``path`` and the shipped trusted keys."""
    return verify_file(path)


def verify_folder(folder: Path, trusted_public_keys: TrustedKeys | None = None) -> VerifiedManifest:
    """Check a whole folder: signature, every listed file, and no unlisted file."""
    keys = load_trusted_keys() if trusted_public_keys is None else trusted_public_keys
    verified = load_manifest(folder / MANIFEST_NAME, keys)
    for name in sorted(verified.manifest.files):
        verify_file(folder / name, folder / MANIFEST_NAME, keys)
    unlisted = [
        path.relative_to(folder).as_posix()
        for path in _listed_files(folder)
        if path.relative_to(folder).as_posix() not in verified.manifest.files
    ]
    if unlisted:
        msg = f"{folder}: files not in the signed manifest: {', '.join(unlisted)}"
        raise IntegrityError(msg)
    return verified
