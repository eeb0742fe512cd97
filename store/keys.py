"""Secret key files (the pseudonymisation key, the audit chain's key): created owner-only, refused when weak or exposed.

A key is 32 random bytes written as 64 hex digits on one line, in a file only its owner can read (mode 0600): the
pseudonyms and the chain's hashes are only as strong as the key's secrecy (an empty or 1-byte key let every customer
reference be reversed in 0.36 s in the probe of issue 18). A key is never kept in the database.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from store.errors import StoreError

KEY_BYTES = 32
OWNER_ONLY = 0o600


class KeyFileRefused(StoreError):
    """A key file is not a 32-byte hex key readable by its owner only."""


def create_key(path: Path) -> bool:
    """Create a new random key file, owner-only from its first byte; False if the file exists already."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, OWNER_ONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def read_key(path: Path, what: str) -> bytes:
    """Return the key in the file `path` (`what` names it), or refuse saying what is wrong and what to do."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise KeyFileRefused(f"The {what} {path} could not be opened ({exc.strerror}). It must be a file of its own "
                             "(not a folder or a symbolic link) that this user can read.") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise KeyFileRefused(f"The {what} {path} is not a regular file. Point to the key file itself.")
    with os.fdopen(fd, "rb") as handle:
        if info.st_mode & 0o077:
            raise KeyFileRefused(f"The {what} {path} can be read by other users (mode {stat.filemode(info.st_mode)}): "
                                 f"anyone who reads it can undo the protection it gives. Run `chmod 600 {path}`, and "
                                 "check who could have copied it meanwhile.")
        text = handle.read(4 * KEY_BYTES + 16).decode("ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileRefused(f"The {what} {path} does not hold a key written as hex digits. Restore the original "
                             "file from its backup; a new deployment starts with no key file and one is made.") \
            from None
    if len(key) < KEY_BYTES or len(set(key)) < KEY_BYTES // 4:
        raise KeyFileRefused(f"The {what} {path} holds {len(key)} byte(s) with {len(set(key))} distinct value(s); a "
                             f"key must be at least {KEY_BYTES} random bytes (e.g. `openssl rand -hex {KEY_BYTES}`). "
                             "Restore the original key from its backup, or start a new database with a new key.")
    return key
