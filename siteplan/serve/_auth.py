"""Tokens at the service's door: who is calling, checked against the register's hashes.

A client sends ``Authorization: Bearer <token>``. The token's key finds its
row in the register; the token is hashed with the row's salt (scrypt) and
compared in constant time. A good token is remembered for this process as
a SHA-256 of its text (in memory only, never written), so the slow hash runs
once per token; every request still reads the row, so a revoked token stops
at once. No message or log line ever holds a token.

On loopback, today's read-only endpoints need no token; with ``require``
(any other ``--host``) every endpoint does, except the API's description
(``/openapi.json``, ``/docs``), which holds no data.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
from typing import Any

from ._guard import error_body

__all__ = ["Auth", "TokenGate", "is_loopback", "PRINCIPAL"]

log = logging.getLogger(__name__)

#: the key of the caller's Principal (or None) in the request's state
PRINCIPAL = "siteplan_principal"
_CACHE = 4096


def is_loopback(host: str) -> bool:
    """True when ``host`` is an address or name of this machine only (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Auth:
    """The register's tokens, read by the server process (one connection, one call at a time)."""

    def __init__(self, target: str, *, require: bool):
        self.target, self.require = target, bool(require)
        self._reg: Any = None
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}   # key_id -> sha256 of the token that passed

    def _register(self):
        if self._reg is None:
            from ..register import open_register

            self._reg = open_register(self.target, create=False)
        return self._reg

    def principal(self, token: str):
        """The caller of ``token``, or None when it is not a live token (blocks: a thread)."""
        from ..register._core import principal_of
        from ..register.tokens import parse_token, verify_secret

        parts = parse_token(token)
        if parts is None:
            return None
        key_id, secret = parts
        with self._lock:
            row = self._register().token_record(key_id)
        if row is None or row["revoked_at"] is not None:
            return None
        seen = hashlib.sha256(token.encode("ascii")).hexdigest()
        known = self._known.get(key_id)
        if known is None or known != seen:
            if not verify_secret(key_id, secret, row["salt"], row["hash"], row["scheme"]):
                log.warning("a request presented a wrong secret for token %s", key_id)
                return None
            if len(self._known) >= _CACHE:
                self._known.clear()
            self._known[key_id] = seen
        return principal_of(row)

    def check(self) -> None:
        """Open the register once and close it: a missing or unreadable one fails here."""
        with self._lock:
            self._register()
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._reg is not None:
                self._reg.close()
                self._reg = None


class TokenGate:
    """ASGI middleware: check the bearer token, if any, and require one where the server must.

    A request with an ``Authorization`` header must carry a live token (401
    otherwise, on any endpoint); the caller is put in the request's state
    for the endpoints to check its role. Without the header, a request is
    refused with 401 when ``auth.require`` (a non-loopback host) or when it
    is for one of ``token_paths`` (the register's endpoints), before its
    body is read.
    """

    def __init__(self, app, *, auth: Auth, open_paths: tuple[str, ...],
                 token_paths: tuple[str, ...] = ()):
        self.app, self.auth, self.open_paths = app, auth, open_paths
        self.token_paths = token_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        header = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), None)
        principal = None
        if header is not None:
            scheme, _, token = header.decode("latin-1").strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return await refuse(send, 401, "the Authorization header is not 'Bearer "
                                    "<token>'")
            import anyio.to_thread

            principal = await anyio.to_thread.run_sync(self.auth.principal, token.strip())
            if principal is None:
                return await refuse(send, 401, "the token is not valid (mistyped, revoked, "
                                    "or of another register)")
        elif self.auth.require and scope.get("path") not in self.open_paths:
            return await refuse(send, 401, "this service is reachable from other machines, "
                                "so every endpoint needs a token")
        elif _under(scope.get("path", ""), self.token_paths):
            return await refuse(send, 401, "the register's endpoints need a token")
        scope.setdefault("state", {})[PRINCIPAL] = principal
        return await self.app(scope, receive, send)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


UNAUTHORIZED_FIX = ("send 'Authorization: Bearer <token>'; the register's admin makes tokens "
                    "(siteplan register token add REGISTER --role planner --actor NAME)")


async def refuse(send, status: int, what: str) -> None:
    """Answer 401 with the service's JSON error body and ``WWW-Authenticate: Bearer``."""
    body = error_body("unauthorized", what, fix=UNAUTHORIZED_FIX)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b'Bearer realm="siteplan"')]})
    await send({"type": "http.response.body", "body": body})
