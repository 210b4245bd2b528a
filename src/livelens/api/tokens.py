"""API tokens: random secrets shown once, stored only as hashes.

A token reads ``llk_<id>_<secret>``. The store keeps the id, a name, a role and the SHA-256 of the
secret (the secret has 256 bits of entropy, so a fast hash is safe; there is nothing to brute
force). Checks compare digests in constant time. The registry caches the table in memory so that
authenticating a request never waits for the store, which the ingest path keeps busy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import msgspec

from livelens.errors import AuthenticationError, InvalidInput, NotFound
from livelens.store.duckdb import DuckDBStore

# What each role may do: everyone reads; operators feed events and run the room; compliance
# officers keep the likeness licences; admins do everything, tokens included.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "viewer": frozenset({"read"}),
    "operator": frozenset({"read", "ingest"}),
    "compliance": frozenset({"read", "licences"}),
    "admin": frozenset({"read", "ingest", "licences", "tokens"}),
}
ROLES: Final = tuple(PERMISSIONS)
PREFIX: Final = "llk"

_DDL: Final = """
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR NOT NULL,
    secret_sha256 VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ
)
"""


class TokenInfo(msgspec.Struct, kw_only=True, frozen=True):
    token_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    info: TokenInfo
    token: str  # the only time the secret exists in clear


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenRegistry:
    def __init__(self, store: DuckDBStore, lock: threading.Lock | None = None) -> None:
        self.store, self.lock = store, lock or threading.Lock()
        with self.lock:
            store.con.execute(_DDL)
            rows = store.con.execute(
                "SELECT token_id, name, role, secret_sha256, created_at, revoked_at FROM api_tokens"
            ).fetchall()
        self._tokens = {
            r[0]: (
                TokenInfo(token_id=r[0], name=r[1], role=r[2], created_at=r[4], revoked_at=r[5]),
                r[3],
            )
            for r in rows
        }

    def issue(self, name: str, role: str, *, now: datetime) -> IssuedToken:
        if role not in ROLES:
            msg = f"unknown role {role!r}; expected one of {', '.join(ROLES)}"
            raise InvalidInput(msg)
        if not name.strip():
            msg = "a token needs a name that says who or what uses it"
            raise InvalidInput(msg)
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        info = TokenInfo(token_id=token_id, name=name, role=role, created_at=now)
        with self.lock:
            self.store.con.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                [token_id, name, role, _digest(secret), now],
            )
        self._tokens[token_id] = (info, _digest(secret))
        return IssuedToken(info=info, token=f"{PREFIX}_{token_id}_{secret}")

    def ensure_admin(self, *, now: datetime) -> IssuedToken | None:
        """The first admin token, when the store has no token at all; else None."""
        if self._tokens:
            return None
        return self.issue("first admin", "admin", now=now)

    def revoke(self, token_id: str, *, now: datetime) -> TokenInfo:
        found = self._tokens.get(token_id)
        if found is None:
            msg = f"no token with id {token_id!r}"
            raise NotFound(msg)
        with self.lock:
            self.store.con.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [now, token_id]
            )
        info = msgspec.structs.replace(found[0], revoked_at=now)
        self._tokens[token_id] = (info, found[1])
        return info

    def tokens(self) -> list[TokenInfo]:
        return sorted((info for info, _ in self._tokens.values()), key=lambda t: t.created_at)

    def authenticate(self, token: str | None) -> TokenInfo:
        """The token's record; :class:`AuthenticationError` if missing, unknown or revoked."""
        if not token:
            msg = (
                "this route needs an API token: send 'Authorization: Bearer <token>' "
                "(livelens serve prints the first admin token once; admins create more)"
            )
            raise AuthenticationError(msg)
        prefix, _, rest = token.partition("_")
        token_id, _, secret = rest.partition("_")
        found = self._tokens.get(token_id) if prefix == PREFIX else None
        if found is None or not hmac.compare_digest(found[1], _digest(secret)):
            msg = "the API token is not valid (unknown or mistyped)"
            raise AuthenticationError(msg)
        if found[0].revoked_at is not None:
            msg = f"the API token {token_id} was revoked at {found[0].revoked_at:%Y-%m-%d %H:%M}"
            raise AuthenticationError(msg)
        return found[0]


def require(info: TokenInfo, permission: str) -> None:
    """Refuse (403) a token whose role lacks ``permission``."""
    if permission not in PERMISSIONS[info.role]:
        allowed = ", ".join(r for r, p in PERMISSIONS.items() if permission in p)
        msg = (
            f"this route needs the {permission!r} permission (role {allowed}); "
            f"token {info.token_id} has the role {info.role}"
        )
        raise AuthenticationError(msg)
