"""Password hashes: scrypt as RFC 7914 defines it, parameters in the stored string, length rules, throttling."""

from __future__ import annotations

import base64

import pytest

from store.passwords import (
    MIN_LENGTH,
    InvalidPasswordHash,
    PasswordError,
    Throttle,
    check_new_password,
    hash_password,
    parse_hash,
    verify_password,
)

FAST = {"n": 2**10, "r": 8, "p": 1}  # cheap parameters where the test is not about the work factor


def stored(n: int, r: int, p: int, salt: bytes, key_hex: str) -> str:
    key = bytes.fromhex(key_hex)
    return f"scrypt$n={n},r={r},p={p}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


# RFC 7914 §12, test vectors 2 and 3 (scrypt with 64-byte output).
RFC7914_NACL = stored(1024, 8, 16, b"NaCl",
                      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830da"
                      "c727afb94a83ee6d8360cbdfa2cc0640")
RFC7914_SODIUM = stored(16384, 8, 1, b"SodiumChloride",
                        "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d4970524"
                        "2a9af9e61e85dc0d651e40dfcf017b45575887")


def test_rfc7914_vectors_verify_with_the_parameters_read_from_the_string() -> None:
    assert verify_password("password", RFC7914_NACL)
    assert verify_password("pleaseletmein", RFC7914_SODIUM)
    assert not verify_password("Password", RFC7914_NACL)
    assert not verify_password("pleaseletmein ", RFC7914_SODIUM)


def test_new_hash_records_owasp_parameters_and_a_random_salt() -> None:
    password = "correct horse battery staple"
    first, second = hash_password(password), hash_password(password)
    assert first.startswith("scrypt$n=131072,r=8,p=1$")
    assert first != second  # a fresh salt each time
    assert password not in first
    parsed = parse_hash(first)
    assert len(parsed.salt) == 16 and len(parsed.key) == 32
    assert verify_password(password, first)
    assert not verify_password("correct horse battery stapler", first)


def test_a_hash_made_with_other_parameters_still_verifies() -> None:
    old = hash_password("a passphrase from last year", **FAST)
    assert old.startswith("scrypt$n=1024,r=8,p=1$")
    assert verify_password("a passphrase from last year", old)


def test_composed_and_decomposed_accents_are_the_same_password() -> None:
    composed, decomposed = "café au lait sans sucre", "cafe\u0301 au lait sans sucre"
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed, **FAST))


@pytest.mark.parametrize(("text", "problem"), [
    ("bcrypt$n=1024,r=8,p=1$AAAA$AAAA", "is not of the form"),
    ("scrypt$n=1024,r=8$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "not n=…,r=…,p=…"),
    ("scrypt$n=1000,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "outside the accepted range"),
    ("scrypt$n=4194304,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "outside the accepted range"),
    ("scrypt$n=1024,r=8,p=1,x=2$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "unknown parameter(s) x"),
    ("scrypt$n=1024,r=8,p=1$not base64!$AAAAAAAAAAAAAAAAAAAAAA==", "not base64"),
    ("scrypt$n=1024,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "shorter than 16 bytes"),
])
def test_malformed_hashes_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(InvalidPasswordHash, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_hash(text)


def test_passwords_shorter_than_nist_single_factor_minimum_are_refused() -> None:
    assert MIN_LENGTH == 15  # NIST SP 800-63B-4 §3.1.1.2
    with pytest.raises(PasswordError, match="14 characters; use at least 15"):
        check_new_password("x" * 14)
    check_new_password("x" * 15)
    check_new_password("aaaaaaaaaaaaaaa")  # no composition rules
    check_new_password("e\u0301" * 15)  # counted after NFKC: 15 characters, not 30 code points before
    with pytest.raises(PasswordError, match="use at least 15"):
        check_new_password("e\u0301" * 14)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_blocks_a_name_after_consecutive_failures_for_a_while() -> None:
    clock = Clock()
    throttle = Throttle(limit=5, pause=60, clock=clock)
    for _ in range(4):
        throttle.failed("olivia")
    assert not throttle.blocked("olivia")
    throttle.failed("Olivia")  # names compare case-insensitively
    assert throttle.blocked("olivia")
    assert not throttle.blocked("vera")
    clock.now += 61
    assert not throttle.blocked("olivia")
    throttle.failed("olivia")  # one more wrong try after the pause blocks again at once
    assert throttle.blocked("olivia")
    clock.now += 61
    throttle.succeeded("olivia")
    throttle.failed("olivia")
    assert not throttle.blocked("olivia")
