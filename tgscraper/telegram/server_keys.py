"""Trusting extra Telegram server RSA keys (``tgsc-server --server-key FILE``).

pyrogram only talks to servers whose RSA public key it knows
(``pyrogram.crypto.rsa.server_public_keys``, keyed by fingerprint). A private Telegram
server, or a loopback fake run in another process (``python -m tests.fakegram serve``),
has its own key: reading its PEM file here and registering it lets pyrogram do the
key exchange with it. The fingerprint is what Telegram defines: the low 64 bits of
SHA1 over the TL-serialised modulus and exponent, as a signed little-endian integer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from pyrogram.crypto import rsa
from pyrogram.raw.core import Bytes

from tgscraper.config import ConfigError

# The DER OBJECT IDENTIFIER of rsaEncryption (1.2.840.113549.1.1.1), inside "PUBLIC KEY".
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")


class ServerKeyError(ConfigError):
    """A --server-key file that is not an RSA public key in PEM form."""


def _read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER element at `offset`: (tag, contents, offset after it)."""
    if offset + 2 > len(data):
        raise ServerKeyError("truncated DER data")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ServerKeyError("unsupported DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ServerKeyError("truncated DER data")
    return tag, data[offset:end], end


def _rsa_public_key(der: bytes) -> rsa.PublicKey:
    """Modulus and exponent from PKCS#1 RSAPublicKey or SubjectPublicKeyInfo DER."""
    tag, sequence, _ = _read_tlv(der, 0)
    if tag != 0x30:
        raise ServerKeyError("expected a DER SEQUENCE")
    first_tag, first, after_first = _read_tlv(sequence, 0)
    if first_tag == 0x30:  # SubjectPublicKeyInfo: SEQUENCE { algorithm, BIT STRING }
        if _RSA_ENCRYPTION_OID not in first:
            raise ServerKeyError("not an RSA key")
        bit_tag, bits, _ = _read_tlv(sequence, after_first)
        if bit_tag != 0x03 or not bits or bits[0] != 0:
            raise ServerKeyError("malformed public key BIT STRING")
        return _rsa_public_key(bits[1:])
    if first_tag != 0x02:
        raise ServerKeyError("expected the RSA modulus")
    exponent_tag, exponent, _ = _read_tlv(sequence, after_first)
    if exponent_tag != 0x02:
        raise ServerKeyError("expected the RSA exponent")
    return rsa.PublicKey(int.from_bytes(first, "big"), int.from_bytes(exponent, "big"))


def parse_pem(text: str) -> rsa.PublicKey:
    """An RSA public key from PEM text ("RSA PUBLIC KEY" or "PUBLIC KEY")."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN") or not lines[-1].startswith("-----END"):
        raise ServerKeyError("expected a PEM block (-----BEGIN ... PUBLIC KEY-----)")
    try:
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except binascii.Error as exc:
        raise ServerKeyError(f"invalid base64: {exc}") from None
    return _rsa_public_key(der)


def fingerprint(key: rsa.PublicKey) -> int:
    """Telegram's fingerprint of an RSA public key."""
    modulus = key.m.to_bytes((key.m.bit_length() + 7) // 8, "big")
    exponent = key.e.to_bytes((key.e.bit_length() + 7) // 8, "big")
    digest = hashlib.sha1(Bytes(modulus) + Bytes(exponent)).digest()
    return int.from_bytes(digest[-8:], "little", signed=True)


def trust_server_keys(paths: tuple[Path, ...] | list[Path]) -> list[int]:
    """Register each PEM file's key with pyrogram; returns their fingerprints."""
    fingerprints = []
    for path in paths:
        try:
            key = parse_pem(path.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError, ServerKeyError) as exc:
            raise ServerKeyError(f"--server-key {path}: {exc}") from None
        key_fingerprint = fingerprint(key)
        rsa.server_public_keys[key_fingerprint] = key
        fingerprints.append(key_fingerprint)
    return fingerprints
