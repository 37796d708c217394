"""The server side of Telegram's 2FA password check (core.telegram.org/api/srp).

Telegram never sees the password: it stores a verifier `v = g^x mod p` where
`x = PH2(password, salt1, salt2)`, and for each login attempt hands out
`B = k*v + g^b mod p`. The client proves it knows the password with `A = g^a` and
`M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K)`, `K = H(S)`; the server
computes the same `S = (A * v^u)^b mod p` and compares.

PH2 runs PBKDF2-HMAC-SHA512 with 100000 iterations (~0.1 s): `make_verifier` runs it in
a worker thread so a DC keeps serving while it computes; callers cache the result.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cached_property

from pyrogram import raw

#: Telegram's 2048-bit safe prime (the same one as for the auth-key exchange); clients
#: check `current_algo.p` against it.
PRIME = int(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B",
    16,
)
#: The generator Telegram uses with this prime (valid because PRIME % 3 == 2).
GENERATOR = 3
PBKDF2_ITERATIONS = 100_000
_SIZE = 256  # every SRP number travels as 256 big-endian bytes


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _bytes(number: int) -> bytes:
    return number.to_bytes(_SIZE, "big")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


PRIME_BYTES = _bytes(PRIME)
GENERATOR_BYTES = _bytes(GENERATOR)
#: SRP multiplier k = H(p | g).
MULTIPLIER = _int(_h(PRIME_BYTES, GENERATOR_BYTES))


def password_hash(password: str, salt1: bytes, salt2: bytes) -> bytes:
    """PH2(password, salt1, salt2): the SRP private key x as bytes. Blocking (PBKDF2)."""
    sh1 = _h(salt1, password.encode(), salt1)
    ph1 = _h(salt2, sh1, salt2)
    stretched = hashlib.pbkdf2_hmac("sha512", ph1, salt1, PBKDF2_ITERATIONS)
    return _h(salt2, stretched, salt2)


@dataclass(frozen=True)
class PasswordVerifier:
    """What the server keeps of a password: its salts and v = g^x mod p."""

    salt1: bytes
    salt2: bytes
    v: int

    def algo(self) -> raw.types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow:
        return raw.types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=self.salt1, salt2=self.salt2, g=GENERATOR, p=PRIME_BYTES
        )


def compute_verifier(password: str, salt1: bytes, salt2: bytes) -> PasswordVerifier:
    """Blocking: hash the password and derive v."""
    x = _int(password_hash(password, salt1, salt2))
    return PasswordVerifier(salt1=salt1, salt2=salt2, v=pow(GENERATOR, x, PRIME))


async def make_verifier(
    password: str, salt1: bytes | None = None, salt2: bytes | None = None
) -> PasswordVerifier:
    """A verifier for `password` with fresh random salts (unless given), off the event loop."""
    salt1 = salt1 if salt1 is not None else secrets.token_bytes(40)
    salt2 = salt2 if salt2 is not None else secrets.token_bytes(16)
    return await asyncio.to_thread(compute_verifier, password, salt1, salt2)


@dataclass(frozen=True)
class SrpChallenge:
    """One login attempt: the server's secret b and public B, named by srp_id."""

    verifier: PasswordVerifier
    srp_id: int = field(default_factory=lambda: secrets.randbits(63))
    #: a 256-bit secret exponent rather than Telegram's 2048 bits: B still spans the whole
    #: group, and each modular power takes ~2 ms instead of ~15 ms on the server's loop
    b: int = field(default_factory=lambda: secrets.randbits(256) | 1 << 255, repr=False)

    @cached_property
    def B(self) -> bytes:
        return _bytes((MULTIPLIER * self.verifier.v + pow(GENERATOR, self.b, PRIME)) % PRIME)

    def verify(self, A: bytes, M1: bytes) -> bool:
        """True when M1 proves knowledge of the password. Raises ValueError for a bad A."""
        a_number = _int(A)
        if len(A) > _SIZE or not 1 < a_number < PRIME - 1:
            raise ValueError("A out of range")
        A = _bytes(a_number)
        B = self.B
        u = _int(_h(A, B))
        if u == 0:
            raise ValueError("u is zero")
        v = self.verifier.v
        S = pow(a_number * pow(v, u, PRIME) % PRIME, self.b, PRIME)
        K = _h(_bytes(S))
        proof = _h(
            bytes(x ^ y for x, y in zip(_h(PRIME_BYTES), _h(GENERATOR_BYTES), strict=True)),
            _h(self.verifier.salt1),
            _h(self.verifier.salt2),
            A,
            B,
            K,
        )
        return hmac.compare_digest(proof, M1)
