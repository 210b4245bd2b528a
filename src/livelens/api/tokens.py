"""API tokens: random secrets shown once, stored only as hashes, with a role, scopes and expiry.

A token reads ``llk_<id>_<secret>``. The store keeps the id, a name, a role, optional scopes
(a subset of the role's permissions the token is limited to), an optional expiry and the SHA-256
of the secret (the secret has 256 bits of entropy, so a fast hash is safe; there is nothing to
brute force). Checks compare digests in constant time. The registry caches the table in memory so
that authenticating a request never waits for the store, which the ingest path keeps busy.

A store is one workspace (tenant): its events, its pseudonymisation key, its tokens. A token of
one workspace is unknown to every other, so cross-workspace access is refused by construction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import msgspec

from livelens.errors import AuthenticationError, InvalidInput, NotFound
from livelens.store.duckdb import DuckDBStore

# What each role may do. Everyone reads; analysts read (CRM and exports read the store too);
# operators feed events and run the room; managers also act on the room; compliance officers keep
# the likeness licences and answer privacy requests; admins do everything, tokens included.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "viewer": frozenset({"read"}),
    "analyst": frozenset({"read"}),
    "operator": frozenset({"read", "ingest"}),
    "manager": frozenset({"read", "ingest"}),
    "compliance": frozenset({"read", "licences"}),
    "admin": frozenset({"read", "ingest", "licences", "tokens"}),
}
ROLES: Final = tuple(PERMISSIONS)
ALL_PERMISSIONS: Final = frozenset().union(*PERMISSIONS.values())
PREFIX: Final = "llk"

_DDL: Final = """
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR NOT NULL,
    secret_sha256 VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ
);
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS scopes VARCHAR[];
"""
_COLUMNS: Final = "token_id, name, role, secret_sha256, created_at, revoked_at, expires_at, scopes"


class TokenInfo(msgspec.Struct, kw_only=True, frozen=True):
    token_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    scopes: list[str] | None = None  # None: every permission of the role

    @property
    def permissions(self) -> frozenset[str]:
        allowed = PERMISSIONS[self.role]
        return allowed if self.scopes is None else allowed & frozenset(self.scopes)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    info: TokenInfo
    token: str  # the only time the secret exists in clear


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenRegistry:
    def __init__(
        self,
        store: DuckDBStore,
        lock: threading.Lock | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.lock, self.clock = store, lock or threading.Lock(), clock
        with self.lock:
            store.con.execute(_DDL)
            rows = store.con.execute(f"SELECT {_COLUMNS} FROM api_tokens").fetchall()  # noqa: S608
        self._tokens = {
            r[0]: (
                TokenInfo(
                    token_id=r[0],
                    name=r[1],
                    role=r[2],
                    created_at=r[4],
                    revoked_at=r[5],
                    expires_at=r[6],
                    scopes=r[7],
                ),
                r[3],
            )
            for r in rows
        }

    def issue(
        self,
        name: str,
        role: str,
        *,
        now: datetime,
        expires_at: datetime | None = None,
        scopes: Sequence[str] | None = None,
    ) -> IssuedToken:
        if role not in ROLES:
            msg = f"unknown role {role!r}; expected one of {', '.join(ROLES)}"
            raise InvalidInput(msg)
        if not name.strip():
            msg = "a token needs a name that says who or what uses it"
            raise InvalidInput(msg)
        if scopes is not None:
            beyond = sorted(set(scopes) - PERMISSIONS[role])
            if beyond:
                msg = (
                    f"scopes {', '.join(beyond)} are not permissions of the role {role} "
                    f"({', '.join(sorted(PERMISSIONS[role]))}); a scope can only narrow a role"
                )
                raise InvalidInput(msg)
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
            msg = f"expires_at {expires_at} must be a time zone-aware time after now ({now})"
            raise InvalidInput(msg)
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        info = TokenInfo(
            token_id=token_id,
            name=name,
            role=role,
            created_at=now,
            expires_at=expires_at,
            scopes=sorted(scopes) if scopes is not None else None,
        )
        with self.lock:
            self.store.con.execute(
                f"INSERT INTO api_tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",  # noqa: S608
                [token_id, name, role, _digest(secret), now, expires_at, info.scopes],
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
        """The token's record; :class:`AuthenticationError` if missing, unknown, revoked or
        expired."""
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
            msg = "the API token is not valid here (unknown, mistyped, or of another workspace)"
            raise AuthenticationError(msg)
        info = found[0]
        if info.revoked_at is not None:
            msg = f"the API token {token_id} was revoked at {info.revoked_at:%Y-%m-%d %H:%M}"
            raise AuthenticationError(msg)
        if info.expires_at is not None and self.clock() >= info.expires_at:
            msg = f"the API token {token_id} expired at {info.expires_at:%Y-%m-%d %H:%M}"
            raise AuthenticationError(msg)
        return info


def require(info: TokenInfo, permission: str) -> None:
    """Refuse (403) a token whose role, narrowed by its scopes, lacks ``permission``."""
    if permission not in info.permissions:
        allowed = ", ".join(r for r, p in PERMISSIONS.items() if permission in p)
        msg = (
            f"this route needs the {permission!r} permission (role {allowed}); "
            f"token {info.token_id} has the role {info.role}"
            + (f" limited to {', '.join(info.scopes)}" if info.scopes is not None else "")
        )
        raise AuthenticationError(msg)
