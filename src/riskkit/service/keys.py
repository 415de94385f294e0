"""API keys with roles, stored hashed.

A key is a random secret (``rk_`` and 43 URL-safe characters, 256 bits) shown once when it is
created. The store keeps only its SHA-256, with the key's name, role and dates, in a JSON file
(mode 0600, replaced atomically on every change). A fast hash is right here: the secrets are
random and long, so there is nothing to guess from a hash that a slow hash would protect.
Revoking keeps the entry, marked with the time, so the record of who held which role stays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, get_args

from riskkit.errors import RiskkitError

__all__ = ["ROLES", "ApiKey", "KeyStore", "Role", "hash_key"]

Role = Literal["analyst", "case_worker", "auditor", "admin"]
#: Every role a key can have.
ROLES: Final[tuple[str, ...]] = get_args(Role)
KEY_PREFIX: Final = "rk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_FORMAT_VERSION: Final = 1


def hash_key(secret: str) -> str:
    """The stored form of a key: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: never the secret itself."""

    name: str
    role: str
    key_hash: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyStore:
    """The API keys of one deployment, in a JSON file.

    Parameters
    ----------
    path : str or Path
        The file (created on the first key). Every call reads it again, so a key created or
        revoked with ``riskkit keys`` takes effect in a running server at once.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._cache: tuple[int, int, dict[str, ApiKey]] | None = None

    # -- reading ----------------------------------------------------------------------------
    def keys(self) -> list[ApiKey]:
        """Every key, active and revoked, in the order they were created."""
        return list(self._load().values())

    def _load(self) -> dict[str, ApiKey]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        if self._cache is not None and self._cache[:2] == (stat.st_mtime_ns, stat.st_size):
            return self._cache[2]
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            keys = {entry["name"]: ApiKey(**entry) for entry in data["keys"]}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RiskkitError(
                f"the key file {self.path} cannot be read ({type(error).__name__}); restore it "
                "from a backup or move it away and create the keys again with "
                "`riskkit keys create`"
            ) from None
        self._cache = (stat.st_mtime_ns, stat.st_size, keys)
        return keys

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key whose secret this is, or None."""
        if not secret.startswith(KEY_PREFIX):
            return None
        wanted = hash_key(secret)
        found = None
        for key in self._load().values():
            # compare every hash in constant time, so timing says nothing about the store
            if hmac.compare_digest(key.key_hash, wanted) and key.active:
                found = key
        return found

    def by_hash(self, key_hash: str) -> ApiKey | None:
        """The active key with this hash (a session remembers the hash, not the secret)."""
        for key in self._load().values():
            if hmac.compare_digest(key.key_hash, key_hash) and key.active:
                return key
        return None

    # -- changing ---------------------------------------------------------------------------
    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """Make a key; returns what is stored and the secret, which is not kept anywhere.

        Raises
        ------
        RiskkitError
            When the role is unknown, the name is malformed, or an active key has the name.
        """
        if role not in ROLES:
            raise RiskkitError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        if not _NAME.match(name):
            raise RiskkitError(
                f"key name {name!r} must be 1-100 letters, digits or . _ @ - (starting with a "
                "letter or digit), e.g. maria.lopez"
            )
        keys = dict(self._load())
        if name in keys and keys[name].active:
            raise RiskkitError(
                f"an active key is already named {name!r}; revoke it first "
                f"(`riskkit keys revoke {name}`) or choose another name"
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            name=name,
            role=role,
            key_hash=hash_key(secret),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        keys.pop(name, None)
        keys[name] = key
        self._save(keys)
        return key, secret

    def revoke(self, name: str) -> ApiKey:
        """Revoke the active key with this name.

        Raises
        ------
        RiskkitError
            When no active key has the name.
        """
        keys = dict(self._load())
        key = keys.get(name)
        if key is None or not key.active:
            active = sorted(k.name for k in keys.values() if k.active)
            state = "is already revoked" if key is not None else "does not exist"
            raise RiskkitError(f"key {name!r} {state}; active keys: {', '.join(active) or 'none'}")
        revoked = replace(key, revoked_at=datetime.now(UTC).isoformat(timespec="seconds"))
        keys[name] = revoked
        self._save(keys)
        return revoked

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"version": _FORMAT_VERSION, "keys": [asdict(k) for k in keys.values()]}, indent=2
        )
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text + "\n")
            Path(temporary).chmod(0o600)
            Path(temporary).replace(self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._cache = None
