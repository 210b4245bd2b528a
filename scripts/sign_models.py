"""Sign the shipped model folders: write MANIFEST.json and MANIFEST.sig (Ed25519).

Usage: .venv/bin/python scripts/sign_models.py [FOLDER ...] [--trust]

The private key is read from the PEM file named by ``$LIVELENS_SIGNING_KEY``, else from
``$LIVELENS_HOME/keys/signing.ed25519`` (``~/.livelens`` by default), which is created (mode 0600)
when missing. It never enters the repository; only its public key does, at
``src/livelens/governance/trusted_keys/livelens-models.pub``. Signing with a key that is not
trusted fails unless ``--trust`` writes its public key there (first signing, or a key rotation:
review that diff).

Run it after retraining a model (``make train-sentiment``), then commit the manifest files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from livelens.errors import LivelensError
from livelens.governance.integrity import (
    TRUSTED_KEYS_DIR,
    key_id,
    load_private_key,
    load_trusted_keys,
    private_key_pem,
    public_key_pem,
    sign_manifest,
    verify_folder,
)
from livelens.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = (ROOT / "src" / "livelens" / "comments" / "models",)
PUBLIC_KEY_PATH = TRUSTED_KEYS_DIR / "livelens-models.pub"


def signing_key() -> Ed25519PrivateKey:
    """The key named by LIVELENS_SIGNING_KEY, else the one in LIVELENS_HOME (created once)."""
    configured = os.environ.get("LIVELENS_SIGNING_KEY")
    if configured:
        return load_private_key(Path(configured))
    path = load_settings().home / "keys" / "signing.ed25519"
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(key))
    print(f"created signing key {path} (keep it private; back it up)", file=sys.stderr)
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, default=list(DEFAULT_FOLDERS))
    parser.add_argument(
        "--trust", action="store_true", help=f"write the public key to {PUBLIC_KEY_PATH}"
    )
    args = parser.parse_args(argv)
    try:
        key = signing_key()
        signer = key_id(key.public_key())
        if args.trust:
            PUBLIC_KEY_PATH.write_bytes(public_key_pem(key.public_key()))
            print(f"trusted {signer} in {PUBLIC_KEY_PATH}", file=sys.stderr)
        elif signer not in load_trusted_keys():
            print(
                f"sign_models: key {signer} is not trusted; pass --trust to ship its public key",
                file=sys.stderr,
            )
            return 1
        for folder in args.folders:
            manifest = sign_manifest(folder, key)
            verify_folder(folder)
            print(f"signed {len(manifest.files)} files in {folder} with {signer}")
    except (LivelensError, OSError) as error:
        print(f"sign_models: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
