"""Pseudonymisation of data-subject references: HMAC-SHA256 with a key kept outside the database."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.errors import KeyMismatch
from store import postgres
from store.db import store_key
from store.keyring import key_id, register_current
from store.keys import create_key, read_key

KEY_BYTES = 32
_BLOCK = 64  # SHA-256 block size (RFC 2104)


@dataclass(frozen=True)
class Pseudonymiser:
    """The key, and the HMAC pads the SQL uses to pseudonymise a whole column at once."""

    key: bytes

    @property
    def ipad(self) -> bytes:
        return bytes(b ^ 0x36 for b in self.key.ljust(_BLOCK, b"\0"))

    @property
    def opad(self) -> bytes:
        return bytes(b ^ 0x5C for b in self.key.ljust(_BLOCK, b"\0"))

    def pseudonym(self, value: str) -> str:
        """Return the pseudonym of one reference (the reference implementation of the SQL)."""
        return hmac.new(self.key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()

    @property
    def fingerprint(self) -> str:
        """The key's id (store.keyring.key_id): recorded in the database and with each pseudonym it made."""
        return key_id(self.key)


def sql_pseudonym(column: str, suffix: str = "") -> str:
    """Return the DuckDB expression of HMAC-SHA256 (RFC 2104) of `column`, with the pads bound as $ipad, $opad
    ($ipad_prev, $opad_prev with suffix "_prev": the previous key during a rotation's overlap window)."""
    return f"sha256($opad{suffix} || unhex(sha256($ipad{suffix} || encode({column}))))"


# `[paths] key_file` per store (use_key_file), for a deployment that names the key in its configuration.
_KEY_FILES: dict[str, Path] = {}


def use_key_file(db_path: Path | str, key_path: Path | None) -> None:
    """Use `key_path` (``[paths] key_file``) as the pseudonymisation key of the store `db_path`; None: the default."""
    store = store_key(db_path)
    if key_path is None:
        _KEY_FILES.pop(store, None)
    else:
        _KEY_FILES[store] = Path(key_path)


def resolve_key_path(db_path: Path | str) -> Path:
    """Return the key file: OVERSIGHT_KEY_FILE, else ``[paths] key_file``, else oversight.key beside the database
    (data/oversight.key); a PostgreSQL store has nothing beside it, so its key must be named."""
    env = os.environ.get("OVERSIGHT_KEY_FILE")
    if env:
        return Path(env)
    if postgres.is_url(db_path):
        if store_key(db_path) in _KEY_FILES:
            return _KEY_FILES[store_key(db_path)]
        raise postgres.NothingBesideUrl("pseudonymisation key", "set OVERSIGHT_KEY_FILE or [paths] key_file")
    return _KEY_FILES.get(store_key(db_path), Path(db_path).parent / "oversight.key")


def load_key(path: Path) -> Pseudonymiser:
    """Read the key file, creating it (mode 0600) on first use; refuse a weak or exposed key (store.keys)."""
    path = Path(path)
    if not path.is_symlink() and not path.exists():
        create_key(path)
    return Pseudonymiser(read_key(path, "pseudonymisation key"))


def check_key(con: duckdb.DuckDBPyConnection, pseudonymiser: Pseudonymiser, key_path: Path) -> None:
    """Refuse a key other than the one the database's pseudonyms were made with (they would not match)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'pseudonym_key'").fetchall()
    if not row:
        con.execute("INSERT INTO meta VALUES ('pseudonym_key', ?)", [pseudonymiser.fingerprint])
        register_current(con, pseudonymiser.fingerprint)
    elif row[0][0] != pseudonymiser.fingerprint:
        raise KeyMismatch(
            f"The pseudonymisation key {key_path} is not the one this database was built with, so customer "
            "references would no longer match earlier reports. Set OVERSIGHT_KEY_FILE to the original key file."
        )
    else:
        register_current(con, pseudonymiser.fingerprint)
