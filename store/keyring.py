"""The pseudonymisation key ring: the current key, the previous ones still live, rotation and crypto-shredding.

The current key is the key file (`oversight.key`, or $OVERSIGHT_KEY_FILE); each earlier key that is still live sits
beside it in `oversight.key.d/<key id>.key`. Every file is read through store.keys (32 random bytes, owner-only).
A key's id is its fingerprint: an HMAC of a fixed text under the key, which names it without revealing it.

- `rotate` starts a new key (GDPR Art. 25, 32): the old one stays live as `previous` for an overlap window in which
  ingest also computes each reference's pseudonym under it and keeps a link, so repeat requests still match.
- `retire` destroys a previous key and every link from its pseudonyms (crypto-shredding): the pseudonyms it made can
  no longer be tied to anyone, nor to the new pseudonyms of the same person.

The database holds key ids, statuses and counts, never a key (table pseudonym_keys, migration 15).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from store import audit
from store.db import transaction
from store.errors import OversightError
from store.identity import User, require
from store.keys import OWNER_ONLY, create_key, read_key

PERMISSION = "manage keys"
KEY_SUFFIX = ".key"


class KeyRingError(OversightError):
    """A key ring operation was refused (unknown key id, the current key, a key file missing)."""


def key_id(key: bytes) -> str:
    """The key's id: the fingerprint the database records (not secret: an HMAC of a fixed text under the key)."""
    return hmac.new(key, b"processor-oversight key check", hashlib.sha256).hexdigest()[:16]


def ring_dir(key_path: Path) -> Path:
    """The folder of the earlier keys still live: `oversight.key.d` beside `oversight.key`."""
    key_path = Path(key_path)
    return key_path.with_name(key_path.name + ".d")


def previous_key_path(key_path: Path, ident: str) -> Path:
    return ring_dir(key_path) / f"{ident}{KEY_SUFFIX}"


def live_keys(key_path: Path) -> dict[str, bytes]:
    """Every live key by id: the current key file first, then the earlier keys in the ring folder."""
    keys: dict[str, bytes] = {}
    key_path = Path(key_path)
    if key_path.exists() or key_path.is_symlink():
        current = read_key(key_path, "pseudonymisation key")
        keys[key_id(current)] = current
    folder = ring_dir(key_path)
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{KEY_SUFFIX}")):
            key = read_key(path, "earlier pseudonymisation key")
            keys.setdefault(key_id(key), key)
    return keys


def pseudonyms_of(value: str, keys: dict[str, bytes]) -> dict[str, str]:
    """A reference's pseudonym under each key (key id → pseudonym), as ingest makes it (the trimmed text)."""
    text = value.strip().encode("utf-8")
    return {ident: hmac.new(key, text, hashlib.sha256).hexdigest() for ident, key in keys.items()}


def register_current(con: duckdb.DuckDBPyConnection, ident: str) -> None:
    """Record the current key's id if the ring does not know it yet (a new database's first key)."""
    con.execute("INSERT INTO pseudonym_keys VALUES (?, ?, 'current', NULL, NULL) ON CONFLICT (key_id) DO NOTHING",
                [ident, _now()])


def linking_key(con: duckdb.DuckDBPyConnection, key_path: Path, today: date) -> tuple[str, bytes] | None:
    """The previous key ingest still links to the current one (its overlap window runs until link_until), if any."""
    rows = con.execute("SELECT key_id FROM pseudonym_keys WHERE status = 'previous' AND link_until >= ? "
                       "ORDER BY created_at DESC LIMIT 1", [today]).fetchall()
    if not rows:
        return None
    path = previous_key_path(key_path, rows[0][0])
    if not path.exists():
        return None
    return rows[0][0], read_key(path, "earlier pseudonymisation key")


@dataclass(frozen=True)
class KeyInfo:
    """One key of the ring as `oversight key list` shows it."""

    key_id: str
    created_at: datetime
    status: str  # current | previous | retired
    link_until: date | None
    retired_at: datetime | None
    pseudonyms: int
    links: int
    file_present: bool

    def as_dict(self) -> dict[str, object]:
        return {"key_id": self.key_id, "created_at": self.created_at.isoformat(timespec="seconds"),
                "status": self.status, "link_until": self.link_until.isoformat() if self.link_until else None,
                "retired_at": self.retired_at.isoformat(timespec="seconds") if self.retired_at else None,
                "pseudonyms": self.pseudonyms, "links": self.links, "file_present": self.file_present,
                "unlinkable": self.status == "retired"}


def list_keys(con: duckdb.DuckDBPyConnection, key_path: Path) -> list[KeyInfo]:
    """Every key the database has known, newest first, with the pseudonyms made with it."""
    rows = con.execute("""
        SELECT k.key_id, k.created_at, k.status, k.link_until, k.retired_at,
               (SELECT count(*) FROM pseudonyms p WHERE p.key_id = k.key_id),
               (SELECT count(*) FROM pseudonym_links l WHERE l.old_key_id = k.key_id OR l.new_key_id = k.key_id)
        FROM pseudonym_keys k ORDER BY k.created_at DESC, k.key_id""").fetchall()
    live = set(live_keys(key_path)) if Path(key_path).exists() else set()
    return [KeyInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[0] in live) for r in rows]


@dataclass(frozen=True)
class Rotation:
    """What `rotate` did: the new key, the one it replaced, and until when ingest links the two."""

    new_key_id: str
    previous_key_id: str
    link_until: date


def rotate(con: duckdb.DuckDBPyConnection, user: User, key_path: Path, *, overlap_days: int,
           today: date | None = None) -> Rotation:
    """Start a new current key; the old one becomes `previous`, linked by ingest for `overlap_days` (audited).

    The old key is copied into the ring folder before anything else; the new key is written beside the key file and
    put in its place only once the database records it, so a failure leaves the old key current and working.
    """
    role = require(user, PERMISSION)
    key_path = Path(key_path)
    old = read_key(key_path, "pseudonymisation key")
    old_id = key_id(old)
    known = con.execute("SELECT value FROM meta WHERE key = 'pseudonym_key'").fetchall()
    if known and known[0][0] != old_id:
        raise KeyRingError(f"The key file {key_path} is not this database's current key ({known[0][0]}); nothing "
                           "was rotated. Set OVERSIGHT_KEY_FILE to the database's key file.")
    folder = ring_dir(key_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    _write_key(previous_key_path(key_path, old_id), old)
    staged = key_path.with_name(key_path.name + ".new")
    staged.unlink(missing_ok=True)
    create_key(staged)
    new_id = key_id(read_key(staged, "new pseudonymisation key"))
    until = (today or date.today()) + timedelta(days=overlap_days)
    try:
        with transaction(con):
            register_current(con, old_id)
            con.execute("UPDATE pseudonym_keys SET status = 'previous', link_until = ? WHERE key_id = ?",
                        [until, old_id])
            con.execute("INSERT INTO pseudonym_keys VALUES (?, ?, 'current', NULL, NULL)", [new_id, _now()])
            con.execute("INSERT INTO meta VALUES ('pseudonym_key', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                        [new_id, new_id])
            made = con.execute("SELECT count(*) FROM pseudonyms WHERE key_id = ?", [old_id]).fetchall()[0][0]
            audit.append_event(con, user=user.name, role=role, action="key.rotated", obj=f"key:{new_id}",
                               details={"new_key_id": new_id, "previous_key_id": old_id,
                                        "link_until": until.isoformat(), "overlap_days": overlap_days,
                                        "pseudonyms_of_previous_key": made})
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, key_path)
    return Rotation(new_id, old_id, until)


@dataclass(frozen=True)
class Retirement:
    """What `retire` did: the key destroyed, how many links went with it, and the pseudonyms left unlinkable."""

    key_id: str
    links_removed: int
    pseudonyms_unlinkable: int


def retire(con: duckdb.DuckDBPyConnection, user: User, key_path: Path, ident: str) -> Retirement:
    """Destroy a previous key and every link from its pseudonyms to the new ones (GDPR Art. 25: crypto-shredding).

    Its key file is deleted after the database has forgotten the links; the pseudonyms it made stay in the cases
    (they are still the same person within their months) but can no longer be tied to a reference or a newer
    pseudonym. Audited as `key.retired`, with counts only.
    """
    role = require(user, PERMISSION)
    rows = con.execute("SELECT status FROM pseudonym_keys WHERE key_id = ?", [ident]).fetchall()
    if not rows:
        known = [r[0] for r in con.execute("SELECT key_id FROM pseudonym_keys ORDER BY created_at").fetchall()]
        raise KeyRingError(f"No key {ident!r} in this database's key ring (known: {', '.join(known) or 'none'}). "
                           "See `oversight key list`.")
    if rows[0][0] == "current":
        raise KeyRingError(f"Key {ident} is the current key; it cannot be retired. Run `oversight key rotate` first, "
                           "then retire it once the overlap window has passed.")
    if rows[0][0] == "retired":
        raise KeyRingError(f"Key {ident} was retired already; its pseudonyms are unlinkable.")
    with transaction(con):
        links = con.execute("SELECT count(*) FROM pseudonym_links WHERE old_key_id = ? OR new_key_id = ?",
                            [ident, ident]).fetchall()[0][0]
        con.execute("DELETE FROM pseudonym_links WHERE old_key_id = ? OR new_key_id = ?", [ident, ident])
        made = con.execute("SELECT count(*) FROM pseudonyms WHERE key_id = ?", [ident]).fetchall()[0][0]
        con.execute("UPDATE pseudonym_keys SET status = 'retired', link_until = NULL, retired_at = ? "
                    "WHERE key_id = ?", [_now(), ident])
        audit.append_event(con, user=user.name, role=role, action="key.retired", obj=f"key:{ident}",
                           details={"key_id": ident, "links_removed": links, "pseudonyms_unlinkable": made})
    previous_key_path(key_path, ident).unlink(missing_ok=True)
    return Retirement(ident, links, made)


def _write_key(path: Path, key: bytes) -> None:
    """Write an existing key to `path`, owner-only from its first byte; an identical file already there is kept."""
    if path.exists():
        if read_key(path, "earlier pseudonymisation key") != key:
            raise KeyRingError(f"{path} holds another key than its name says; nothing was rotated. Check the folder.")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, OWNER_ONLY)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
