"""Password hashes for the users file: scrypt with a random salt, its parameters kept in the stored string.

Format: ``scrypt$n=131072,r=8,p=1$<salt, base64>$<key, base64>``, so a hash made with other parameters still
verifies after the defaults change.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from store.errors import OversightError

SCHEME = "scrypt"
# OWASP Password Storage Cheat Sheet, scrypt: N=2^17, r=8 (1024-byte blocks), p=1 (about 0.4 s and 128 MiB here).
N, R, P = 2**17, 8, 1
SALT_BYTES = 16  # NIST SP 800-132 §5.1: at least 128 bits of salt
KEY_BYTES = 32
# NIST SP 800-63B-4 §3.1.1.2: a password that is the only factor SHALL be at least 15 characters; no composition
# rules, and at least 64 characters SHOULD be accepted (so no maximum below that).
MIN_LENGTH = 15
MAX_LENGTH = 1024
# Parameters read from a file are bounded, so an edited hash cannot make one sign-in take a machine's memory.
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
_HASHING = threading.BoundedSemaphore(2)


class PasswordError(OversightError):
    """A new password is refused (too short, too long)."""


class InvalidPasswordHash(OversightError):
    """A stored password hash is not in the scrypt$n=…,r=…,p=…$salt$key format."""


@dataclass(frozen=True)
class ScryptHash:
    """A parsed stored hash."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def normalize(password: str) -> bytes:
    """Return the bytes that are hashed: NFKC-normalised UTF-8 (NIST SP 800-63B-4 §3.1.1.2, UAX #15)."""
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or absurdly long; composition rules are deliberately absent."""
    length = len(unicodedata.normalize("NFKC", password))  # each code point counts as one character
    if length < MIN_LENGTH:
        raise PasswordError(f"The password has {length} characters; use at least {MIN_LENGTH} (a few words "
                            "make a good one). Nothing was written.")
    if length > MAX_LENGTH:
        raise PasswordError(f"The password has {length} characters; use at most {MAX_LENGTH}. Nothing was written.")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # Two at a time per process: 24 concurrent sign-in attempts took 2 GB (128 MiB each) and 38 s of CPU in the
    # probe of issue 18; the others wait their turn, refused or not.
    with _HASHING:
        # hashlib needs 128·r·n bytes for the work area, plus a little for the other buffers.
        return hashlib.scrypt(normalize(password), salt=salt, n=n, r=r, p=p, dklen=length,
                              maxmem=128 * r * (n + p) + 1024 * 1024)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """Return the string to store for a password: scrypt with a fresh random salt and the parameters used."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, KEY_BYTES)
    return f"{SCHEME}${format_params(n, r, p)}${_b64(salt)}${_b64(key)}"


def format_params(n: int, r: int, p: int) -> str:
    return f"n={n},r={r},p={p}"


def parse_hash(stored: str) -> ScryptHash:
    """Parse a stored hash, or raise InvalidPasswordHash saying what is wrong with it."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise InvalidPasswordHash("is not of the form scrypt$n=…,r=…,p=…$salt$key")
    try:
        params = dict(item.split("=", 1) for item in parts[1].split(","))
        n, r, p = int(params.pop("n")), int(params.pop("r")), int(params.pop("p"))
    except (KeyError, ValueError):
        raise InvalidPasswordHash("has parameters that are not n=…,r=…,p=… integers") from None
    if params:
        raise InvalidPasswordHash(f"has unknown parameter(s) {', '.join(sorted(params))}")
    # RFC 7914 §2: N is a power of two greater than 1; r and p are positive.
    if not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= MAX_R and 0 < p <= MAX_P):
        raise InvalidPasswordHash(f"has parameters outside the accepted range (n a power of 2 up to {MAX_N}, "
                                  f"r up to {MAX_R}, p up to {MAX_P})")
    try:
        salt = base64.b64decode(parts[2], validate=True)
        key = base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPasswordHash("has a salt or key that is not base64") from None
    if not salt or len(key) < 16:
        raise InvalidPasswordHash("has an empty salt or a key shorter than 16 bytes")
    return ScryptHash(n, r, p, salt, key)


def verify_password(password: str, stored: str) -> bool:
    """Return whether the password matches the stored hash (constant-time comparison of the keys)."""
    parsed = parse_hash(stored)
    candidate = _scrypt(password, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.key))
    return hmac.compare_digest(candidate, parsed.key)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def dummy_verify(password: str) -> None:
    """Spend the work of a real verification for a user name that has no hash, so that the time a refusal takes
    does not tell whether the name exists."""
    verify_password(password, _dummy_hash())


class AttemptLimit(Protocol):
    """Where sign-in attempts are counted: this process (Throttle) or the database (store.throttle.StoreThrottle)."""

    def attempt(self, name: str) -> bool:
        """Take one attempt for `name` before its password is checked; False when the limit refuses it."""

    def succeeded(self, name: str) -> None:
        """Clear the count after a right password."""


@dataclass
class Throttle:
    """Limit consecutive failed sign-ins per user name (NIST SP 800-63B-4 §3.2.2 asks for rate limiting).

    After ``limit`` consecutive failures for a name, further attempts for it are refused for ``pause`` seconds
    without checking the password; a success clears the count. Applied to every name, known or not. `attempt`
    counts an attempt as failed before the password is checked, under a lock, so concurrent attempts cannot all pass
    the check before any of them is counted (eight at once used to get past a limit of five).
    """

    limit: int = 5
    pause: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def attempt(self, name: str) -> bool:
        with self._lock:
            if self.blocked(name):
                return False
            self.failed(name)
            return True

    def blocked(self, name: str) -> bool:
        count, last = self._failures.get(name.casefold(), (0, 0.0))
        return count >= self.limit and self.clock() - last < self.pause

    def failed(self, name: str) -> None:
        count, _ = self._failures.get(name.casefold(), (0, 0.0))
        self._failures[name.casefold()] = (count + 1, self.clock())

    def succeeded(self, name: str) -> None:
        self._failures.pop(name.casefold(), None)
