"""MTProto 2.0 message encryption, server side (core.telegram.org/mtproto/description).

The client encrypts with x = 0 and the server with x = 8: msg_key is the middle of
sha256(auth_key[88 + x : 120 + x] + plaintext + padding), and the AES-256-IGE key and iv
come from msg_key and auth_key[x : ...] by the KDF below.
"""

from __future__ import annotations

import os
from hashlib import sha1, sha256

import tgcrypto

CLIENT_X = 0
SERVER_X = 8


class CryptoError(Exception):
    """A message that does not decrypt to what its msg_key promises."""


def auth_key_id(auth_key: bytes) -> int:
    """The 64 low bits of sha1(auth_key), as the signed little-endian id on the wire."""
    return int.from_bytes(sha1(auth_key).digest()[-8:], "little", signed=True)


def kdf(auth_key: bytes, msg_key: bytes, x: int) -> tuple[bytes, bytes]:
    """AES key and iv for one message (MTProto 2.0)."""
    a = sha256(msg_key + auth_key[x : x + 36]).digest()
    b = sha256(auth_key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


def decrypt(auth_key: bytes, packet: bytes) -> bytes:
    """Decrypt a client packet (auth_key_id, msg_key, data) and check its msg_key.

    Returns the plaintext: salt, session_id, msg_id, seq_no, length, body, padding.
    """
    msg_key = packet[8:24]
    encrypted = packet[24:]
    encrypted = encrypted[: len(encrypted) - len(encrypted) % 16]  # padded transports
    if not encrypted:
        raise CryptoError("empty encrypted message")
    aes_key, aes_iv = kdf(auth_key, msg_key, CLIENT_X)
    plaintext = tgcrypto.ige256_decrypt(encrypted, aes_key, aes_iv)
    if sha256(auth_key[88 + CLIENT_X : 120 + CLIENT_X] + plaintext).digest()[8:24] != msg_key:
        raise CryptoError("msg_key mismatch")
    return plaintext


def encrypt(auth_key: bytes, key_id: bytes, plaintext: bytes) -> bytes:
    """Encrypt a server message: 12..27 bytes of random padding to a multiple of 16."""
    plaintext += os.urandom(-(len(plaintext) + 12) % 16 + 12)
    msg_key = sha256(auth_key[88 + SERVER_X : 120 + SERVER_X] + plaintext).digest()[8:24]
    aes_key, aes_iv = kdf(auth_key, msg_key, SERVER_X)
    return key_id + msg_key + tgcrypto.ige256_encrypt(plaintext, aes_key, aes_iv)


def handshake_aes(new_nonce: bytes, server_nonce: bytes) -> tuple[bytes, bytes]:
    """tmp_aes_key and tmp_aes_iv of the key exchange (core.telegram.org/mtproto/auth_key)."""
    key = sha1(new_nonce + server_nonce).digest() + sha1(server_nonce + new_nonce).digest()[:12]
    iv = (
        sha1(server_nonce + new_nonce).digest()[12:]
        + sha1(new_nonce + new_nonce).digest()
        + new_nonce[:4]
    )
    return key, iv


def ige_encrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    return tgcrypto.ige256_encrypt(data, key, iv)


def ige_decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    return tgcrypto.ige256_decrypt(data, key, iv)
