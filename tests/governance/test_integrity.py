"""Model integrity: only signed, listed, unaltered, non-pickle files load."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pickle
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import msgspec
import numpy as np
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from safetensors.numpy import load as load_tensors
from safetensors.numpy import save as save_tensors

from livelens.cli import cli
from livelens.comments.sentiment import DEFAULT_MODEL_PATH, MODEL_DIR
from livelens.errors import LivelensError
from livelens.governance.integrity import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    FileEntry,
    IntegrityError,
    Manifest,
    TrustedKeys,
    key_id,
    load_trusted_keys,
    pickle_reason,
    private_key_pem,
    sign_manifest,
    verified_bytes,
    verify_file,
    verify_folder,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
SIGN_SCRIPT = ROOT / "scripts" / "sign_models.py"


class _LeavesAMark:
    """Unpickling this touches a file: evidence that something ran code from the model file."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.mark,))


@pytest.fixture
def signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trusted(signer: Ed25519PrivateKey) -> TrustedKeys:
    return {key_id(signer.public_key()): signer.public_key()}


@pytest.fixture
def folder(tmp_path: Path, signer: Ed25519PrivateKey) -> Path:
    """A small signed model folder: safetensors weights and a JSON config."""
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    weights = {"weight": np.arange(64, dtype=np.float32), "bias": np.ones(1, dtype=np.float32)}
    (model / "weights.safetensors").write_bytes(save_tensors(weights))
    (model / "sub" / "config.json").write_text('{"bits": 18}\n')
    sign_manifest(model, signer)
    return model


def test_a_signed_file_returns_exactly_its_bytes(folder: Path, trusted: TrustedKeys) -> None:
    path = folder / "weights.safetensors"
    data = verify_file(path, trusted_public_keys=trusted)
    assert data == path.read_bytes()
    assert load_tensors(data)["weight"][5] == 5.0
    nested = verify_file(folder / "sub" / "config.json", folder / MANIFEST_NAME, trusted)
    assert json.loads(nested) == {"bits": 18}
    assert verify_folder(folder, trusted).key_id in trusted


def test_the_manifest_lists_sha256_and_size(folder: Path) -> None:
    manifest = msgspec.json.decode((folder / MANIFEST_NAME).read_bytes(), type=Manifest)
    assert sorted(manifest.files) == ["sub/config.json", "weights.safetensors"]
    assert manifest.files["sub/config.json"].size == len('{"bits": 18}\n')


def test_a_tampered_byte_is_refused(folder: Path, trusted: TrustedKeys) -> None:
    path = folder / "weights.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="altered or replaced") as raised:
        verify_file(path, trusted_public_keys=trusted)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, LivelensError)


def test_a_file_not_in_the_manifest_is_refused(folder: Path, trusted: TrustedKeys) -> None:
    extra = folder / "extra.safetensors"
    extra.write_bytes((folder / "weights.safetensors").read_bytes())
    with pytest.raises(IntegrityError, match="not listed"):
        verify_file(extra, trusted_public_keys=trusted)
    with pytest.raises(IntegrityError, match=r"not in the signed manifest: extra\.safetensors"):
        verify_folder(folder, trusted)


def test_a_file_outside_the_folder_is_refused(
    folder: Path, trusted: TrustedKeys, tmp_path: Path
) -> None:
    outside = tmp_path / "weights.safetensors"
    outside.write_bytes((folder / "weights.safetensors").read_bytes())
    with pytest.raises(IntegrityError, match="outside"):
        verify_file(outside, folder / MANIFEST_NAME, trusted)


def test_an_edited_manifest_fails_its_signature(folder: Path, trusted: TrustedKeys) -> None:
    path = folder / "weights.safetensors"
    path.write_bytes(path.read_bytes() + b" ")
    manifest = msgspec.json.decode((folder / MANIFEST_NAME).read_bytes(), type=Manifest)
    entry = FileEntry(hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)
    forged = Manifest({**manifest.files, "weights.safetensors": entry})
    (folder / MANIFEST_NAME).write_bytes(msgspec.json.encode(forged))
    with pytest.raises(IntegrityError, match="does not verify"):
        verify_file(path, trusted_public_keys=trusted)


def test_a_wrong_signature_is_refused(folder: Path, trusted: TrustedKeys) -> None:
    sig = json.loads((folder / SIGNATURE_NAME).read_text())
    other = Ed25519PrivateKey.generate().sign(b"something else")
    sig["signature"] = base64.b64encode(other).decode()
    (folder / SIGNATURE_NAME).write_text(json.dumps(sig))
    with pytest.raises(IntegrityError, match="does not verify"):
        verify_file(folder / "weights.safetensors", trusted_public_keys=trusted)


def test_a_signature_by_an_untrusted_key_is_refused(folder: Path, trusted: TrustedKeys) -> None:
    intruder = Ed25519PrivateKey.generate()
    sign_manifest(folder, intruder)
    with pytest.raises(IntegrityError, match="not trusted"):
        verify_file(folder / "weights.safetensors", trusted_public_keys=trusted)
    with pytest.raises(IntegrityError, match="not trusted"):
        verified_bytes(folder / "weights.safetensors")  # the shipped keys do not know it either


@pytest.mark.parametrize("missing", [MANIFEST_NAME, SIGNATURE_NAME])
def test_an_unsigned_folder_is_refused(folder: Path, trusted: TrustedKeys, missing: str) -> None:
    (folder / missing).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        verify_file(folder / "weights.safetensors", trusted_public_keys=trusted)


def _torch_like_zip(mark: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_LeavesAMark(mark), protocol=2))
        archive.writestr("archive/data/0", b"\0" * 16)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("model.pkl", lambda m: b'{"looks": "harmless"}', "extension .pkl"),
        ("model.joblib", lambda m: b"\x00", "extension .joblib"),
        ("model.bin", lambda m: pickle.dumps(_LeavesAMark(m), protocol=4), "protocol 4"),
        ("weights.safetensors", lambda m: pickle.dumps(_LeavesAMark(m), protocol=5), "protocol 5"),
        ("model.pt", _torch_like_zip, "zip archive holding a pickle"),
        ("model.pth", lambda m: pickle.dumps(_LeavesAMark(m), protocol=0), "protocol 0/1"),
        ("model.weights", lambda m: pickle.dumps(_LeavesAMark(m), protocol=2), "protocol 2"),
    ],
)
def test_a_pickle_is_refused_even_when_listed_and_signed(
    tmp_path: Path,
    signer: Ed25519PrivateKey,
    trusted: TrustedKeys,
    name: str,
    content: object,
    reason: str,
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    mark = tmp_path / "pickle-ran"
    assert callable(content)
    data: bytes = content(mark)
    (model / name).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    write_manifest(model, Manifest({name: FileEntry(digest, len(data))}), signer)
    with pytest.raises(IntegrityError, match=reason):
        verify_file(model / name, trusted_public_keys=trusted)
    with pytest.raises(IntegrityError, match="pickle"):
        sign_manifest(model, signer)
    assert not mark.exists()


def test_safetensors_whose_header_length_looks_like_a_pickle_is_not_refused() -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    padded = header.ljust(0x0280)  # a 640-byte header: its length starts 0x80 0x02
    data = len(padded).to_bytes(8, "little") + padded + b"\0\0\x80\x3f"
    assert data[:2] == b"\x80\x02"
    assert pickle_reason("w.safetensors", data) is None
    assert load_tensors(data)["w"][0] == 1.0
    assert pickle_reason("w.bin", data) == "it starts with a pickle protocol 2 header"


def test_plain_files_are_not_pickles() -> None:
    assert (
        pickle_reason("sentiment.json", DEFAULT_MODEL_PATH.with_suffix(".json").read_bytes())
        is None
    )
    assert pickle_reason("notes.txt", b"(just a note)") is None
    assert pickle_reason("model.bin", b"\x00\x01\x02") is None


# --- the shipped model --------------------------------------------------------------------


def test_the_shipped_model_verifies_under_the_committed_key() -> None:
    verified = verify_folder(MODEL_DIR)
    assert sorted(verified.manifest.files) == ["sentiment.json", "sentiment.safetensors"]
    assert verified.key_id in load_trusted_keys()
    assert verified_bytes(DEFAULT_MODEL_PATH) == DEFAULT_MODEL_PATH.read_bytes()
    sidecar = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())
    assert verified.manifest.files["sentiment.safetensors"].sha256 == sidecar["sha256"]


def test_no_private_key_is_shipped() -> None:
    package = ROOT / "src" / "livelens"
    for path in package.rglob("*"):
        if path.is_file() and path.suffix in {".pem", ".pub", ".key", ".ed25519", ".sig"}:
            assert b"PRIVATE KEY" not in path.read_bytes(), path


def test_a_tampered_copy_of_the_shipped_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "models"
    copy.mkdir()
    for path in MODEL_DIR.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    assert verified_bytes(copy / DEFAULT_MODEL_PATH.name) == DEFAULT_MODEL_PATH.read_bytes()
    data = bytearray((copy / DEFAULT_MODEL_PATH.name).read_bytes())
    data[-100] ^= 0x01
    (copy / DEFAULT_MODEL_PATH.name).write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="altered"):
        verified_bytes(copy / DEFAULT_MODEL_PATH.name)


# --- the command line and the signing script ----------------------------------------------


def test_cli_models_verify(tmp_path: Path, folder: Path) -> None:
    runner = CliRunner()
    shipped = runner.invoke(cli, ["models", "verify"])
    assert shipped.exit_code == 0, shipped.output
    assert json.loads(shipped.output)["files"] == 2
    untrusted = runner.invoke(cli, ["models", "verify", str(folder)])
    assert untrusted.exit_code == 1
    assert "not trusted" in untrusted.output


def test_cli_models_sign_writes_a_manifest(tmp_path: Path, folder: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
    (folder / "more.json").write_text("{}")
    result = CliRunner().invoke(cli, ["models", "sign", str(folder), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "signed 3 files" in result.output
    assert "not among the trusted keys" in result.output


def test_sign_script_creates_a_private_key_outside_the_repo_and_refuses_untrusted(
    tmp_path: Path, livelens_home: Path, folder: Path
) -> None:
    before = (folder / MANIFEST_NAME).read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "LIVELENS_SIGNING_KEY"}
    result = subprocess.run(
        [sys.executable, str(SIGN_SCRIPT), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    key = livelens_home / "keys" / "signing.ed25519"
    assert result.returncode == 1
    assert "not trusted" in result.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    assert (folder / MANIFEST_NAME).read_bytes() == before
