"""The fake data centre's fixed RSA key, and trusting it in this process.

Telegram's clients only run the auth-key exchange with servers whose RSA public key they
know (`pyrogram.crypto.rsa.server_public_keys`, keyed by fingerprint). The fake has its
own fixed 2048-bit test key (generated once with openssl for tests; it protects nothing),
and `trust()` registers it in the current process. Another process (e.g. tgsc-server run
against `python -m tests.fakegram serve`) can trust it with the PEM printed by
`python -m tests.fakegram public-key`.
"""

from __future__ import annotations

import base64
import hashlib

from pyrogram.crypto import rsa
from pyrogram.raw.core.primitives import Bytes

MODULUS = int(
    "ddd5102505dcbda1089cac127eadc5146ce4009faae39c2924b7dcee322f1359"
    "760100be20f5338e723d65dbafdd57b088ade64fec0e8cb14332bcf0c7607286"
    "b97a1765133d163b61a801dc1c904ecd718bbf35081805204856fc3899e509ea"
    "a9e153c7c67ddf971e09bbb5aba8589353dc9f1150aaabc5bbbbbdefa17b5c52"
    "71d962e419dcde6bbecb32573bad44e6018820a90901f8e274dd8e95f8c91ef4"
    "0d9c857083fd2543a24f3e887eadbcae08d75ae4ba7a13917a2713ca4fc33ce2"
    "c26a1a0c73f41024fe1a758bf348b743e3047b83c7fe241e36e349e6a234b772"
    "4aa7aa409e319a8eecf7fdb96fb07028c9f7296354d3b745d3d2c6831c23a7bf",
    16,
)
EXPONENT = 65537
PRIVATE_EXPONENT = int(
    "133cdc83117094c367df4a6eea2c80b8663f19acbf21b113c25aed9e7c9ca785"
    "6d1de62616ee9cd38025c1f51cd9c9b6860beabac8a27462150d4be467adfe10"
    "9ffa2e183664684eab07ea6d5fcec5febc179df3e7e9495c84d9825318498c24"
    "1d2a6cdd18e226a750d41042cf89b070ca678a25f2c472541a154c820113952c"
    "69d88d38962b24ecc49638b1d58f9c18b0a165a783274a0ac914aed03a5bf3c0"
    "83fd2df75d79149a9cca0a6b3d90f783d89bd9f3609678975e6c03b9fadea85d"
    "3828f48ecd5dc06813940dd48795fc3d7890200660daebbe4a8abb4b6d28ea1d"
    "af16e0f7cd8e1e4a4100291faed20a8c2e0cd2922b31d8dcd905936a926997c1",
    16,
)


def _big_endian(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def fingerprint(modulus: int = MODULUS, exponent: int = EXPONENT) -> int:
    """Telegram's key fingerprint: low 64 bits of sha1(TL bytes n, TL bytes e), signed LE."""
    digest = hashlib.sha1(Bytes(_big_endian(modulus)) + Bytes(_big_endian(exponent))).digest()
    return int.from_bytes(digest[-8:], "little", signed=True)


FINGERPRINT = fingerprint()


def trust() -> None:
    """Make pyrogram in this process accept the fake's key (idempotent)."""
    rsa.server_public_keys[FINGERPRINT] = rsa.PublicKey(MODULUS, EXPONENT)


def decrypt(data: bytes) -> bytes:
    """Textbook RSA with the private exponent, as the client encrypts (256 bytes out)."""
    return pow(int.from_bytes(data, "big"), PRIVATE_EXPONENT, MODULUS).to_bytes(256, "big")


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0: always positive
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def public_key_pem() -> str:
    """The public key as PKCS#1 PEM ("BEGIN RSA PUBLIC KEY"), the form Telegram publishes."""
    body = _der_integer(MODULUS) + _der_integer(EXPONENT)
    der = b"\x30" + _der_length(len(body)) + body
    text = base64.b64encode(der).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "\n".join(["-----BEGIN RSA PUBLIC KEY-----", *lines, "-----END RSA PUBLIC KEY-----", ""])
