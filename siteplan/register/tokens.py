"""Access tokens of the register's service: made once, shown once, stored only as a hash.

A token reads ``spt_<key>_<secret>``: the key (12 hex characters) names the
token's row, the secret (43 characters, 256 random bits) proves it. The
database keeps the key, the role, the partner of a partner token, a random
salt per token and the scrypt hash of key and secret; never the secret.
A token is checked by hashing what is presented with the row's salt and
comparing the two hashes in constant time (:func:`hmac.compare_digest`).

Roles: ``admin`` (partners and tokens; everything a planner does),
``planner`` (makes and moves offers, reads every offer), ``partner`` (reads
its own partner's offers only).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = ["ROLES", "SCHEME", "Principal", "new_token", "parse_token", "hash_secret",
           "verify_secret"]

ROLES = ("admin", "planner", "partner")
#: the hash of new tokens: scrypt with N=2**14, r=8, p=1 (about 16 MB and 40 ms per check)
SCHEME = "scrypt:16384:8:1"
_TOKEN = re.compile(r"spt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Principal:
    """Who a checked token is: its key, role, name and (partner tokens) partner."""

    key_id: str
    role: str
    name: str
    partner_id: int | None = None
    partner: str | None = None

    @property
    def actor(self) -> str:
        """The name kept with every event this token writes."""
        return f"{self.name} (token {self.key_id})"


def new_token() -> tuple[str, str, str]:
    """A new token: ``(key_id, secret, token text)``."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"spt_{key_id}_{secret}"


def parse_token(text: object) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a token's text, or None when it is not one."""
    if not isinstance(text, str):
        return None
    m = _TOKEN.fullmatch(text.strip())
    return (m.group(1), m.group(2)) if m else None


def hash_secret(key_id: str, secret: str, salt: bytes, scheme: str = SCHEME) -> str:
    """The hex hash of a token under ``scheme`` with its ``salt``."""
    kind, n, r, p = scheme.split(":")
    if kind != "scrypt":
        raise ValueError(f"unknown token hash scheme {scheme!r}")
    digest = hashlib.scrypt(f"{key_id}:{secret}".encode("ascii"), salt=salt, n=int(n),
                            r=int(r), p=int(p), dklen=32, maxmem=64 * 1024 * 1024)
    return digest.hex()


def verify_secret(key_id: str, secret: str, salt_hex: str, hash_hex: str,
                  scheme: str) -> bool:
    """True when ``secret`` hashes to the stored ``hash_hex`` (constant-time comparison)."""
    try:
        got = hash_secret(key_id, secret, bytes.fromhex(salt_hex), scheme)
    except ValueError:
        return False
    return hmac.compare_digest(got.encode("ascii"), hash_hex.encode("ascii"))
