"""Server side of the auth key exchange (core.telegram.org/mtproto/auth_key).

One `Handshake` per TCP connection answers the unencrypted req_pq_multi, req_DH_params and
set_client_DH_params messages. The client (kurigram) encrypts p_q_inner_data with textbook
RSA of sha1 + data + padding (no RSA_PAD), checks that dh_prime is its built-in Telegram
prime, and factors pq with Pollard's rho, so p and q are random primes below 2**31.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from hashlib import sha1
from io import BytesIO

from pyrogram import raw
from pyrogram.crypto.prime import CURRENT_DH_PRIME
from pyrogram.raw.core import TLObject

from . import crypto, rsa_key

log = logging.getLogger(__name__)

DH_G = 3
_SAFE_MARGIN = 2 ** (2048 - 64)


class HandshakeError(Exception):
    """The client broke the protocol; the connection is closed."""


@dataclass
class NewAuthKey:
    """What a finished exchange produced: the key and the server salt derived from it."""

    key: bytes
    salt: int


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for n < 3.3e24 (enough for 31-bit primes)."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for p in small:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _random_prime() -> int:
    while True:
        candidate = secrets.randbits(31) | (1 << 30) | 1
        if _is_prime(candidate):
            return candidate


def _int_bytes(value: int, size: int, *, signed: bool = True) -> bytes:
    return value.to_bytes(size, "little", signed=signed)


class Handshake:
    """The key-exchange state of one connection."""

    def __init__(self) -> None:
        self._nonce: int | None = None
        self._server_nonce: int | None = None
        self._p = self._q = 0
        self._new_nonce: bytes = b""
        self._a = 0
        self._tmp_aes: tuple[bytes, bytes] = (b"", b"")
        self.result: NewAuthKey | None = None

    def answer(self, request: TLObject) -> TLObject:
        """The answer to one unencrypted request; `self.result` is set after dh_gen_ok."""
        if isinstance(request, raw.functions.ReqPqMulti | raw.functions.ReqPq):
            return self._res_pq(request)
        if isinstance(request, raw.functions.ReqDHParams):
            return self._server_dh_params(request)
        if isinstance(request, raw.functions.SetClientDHParams):
            return self._dh_gen(request)
        raise HandshakeError(f"unexpected unencrypted {type(request).__name__}")

    def _res_pq(self, request: raw.functions.ReqPqMulti) -> TLObject:
        self._nonce = request.nonce
        self._server_nonce = int.from_bytes(os.urandom(16), "little", signed=True)
        self._p, self._q = sorted((_random_prime(), _random_prime()))
        return raw.types.ResPQ(
            nonce=self._nonce,
            server_nonce=self._server_nonce,
            pq=(self._p * self._q).to_bytes(8, "big"),
            server_public_key_fingerprints=[rsa_key.FINGERPRINT],
        )

    def _check_nonces(self, request: TLObject) -> None:
        if self._nonce is None or request.nonce != self._nonce:
            raise HandshakeError("nonce mismatch")
        if request.server_nonce != self._server_nonce:
            raise HandshakeError("server_nonce mismatch")

    def _server_dh_params(self, request: raw.functions.ReqDHParams) -> TLObject:
        self._check_nonces(request)
        if request.public_key_fingerprint != rsa_key.FINGERPRINT:
            raise HandshakeError("unknown public key fingerprint")
        if (
            int.from_bytes(request.p, "big") != self._p
            or int.from_bytes(request.q, "big") != self._q
        ):
            raise HandshakeError("wrong p or q")
        data_with_hash = rsa_key.decrypt(request.encrypted_data)[1:]  # 255 bytes
        stream = BytesIO(data_with_hash[20:])
        inner = TLObject.read(stream)
        if sha1(data_with_hash[20 : 20 + stream.tell()]).digest() != data_with_hash[:20]:
            raise HandshakeError("p_q_inner_data hash mismatch (RSA_PAD is not supported)")
        if inner.nonce != self._nonce or inner.server_nonce != self._server_nonce:
            raise HandshakeError("p_q_inner_data nonce mismatch")
        self._new_nonce = _int_bytes(inner.new_nonce, 32)
        server_nonce = _int_bytes(self._server_nonce, 16)
        self._tmp_aes = crypto.handshake_aes(self._new_nonce, server_nonce)

        while True:
            self._a = int.from_bytes(os.urandom(256), "big")
            g_a = pow(DH_G, self._a, CURRENT_DH_PRIME)
            if _SAFE_MARGIN < g_a < CURRENT_DH_PRIME - _SAFE_MARGIN:
                break
        answer = raw.types.ServerDHInnerData(
            nonce=self._nonce,
            server_nonce=self._server_nonce,
            g=DH_G,
            dh_prime=CURRENT_DH_PRIME.to_bytes(256, "big"),
            g_a=g_a.to_bytes(256, "big"),
            server_time=int(time.time()),
        ).write()
        answer_with_hash = sha1(answer).digest() + answer
        answer_with_hash += os.urandom(-len(answer_with_hash) % 16)
        return raw.types.ServerDHParamsOk(
            nonce=self._nonce,
            server_nonce=self._server_nonce,
            encrypted_answer=crypto.ige_encrypt(answer_with_hash, *self._tmp_aes),
        )

    def _dh_gen(self, request: raw.functions.SetClientDHParams) -> TLObject:
        self._check_nonces(request)
        if not self._a:
            raise HandshakeError("set_client_DH_params before req_DH_params")
        decrypted = crypto.ige_decrypt(request.encrypted_data, *self._tmp_aes)
        stream = BytesIO(decrypted[20:])
        inner = TLObject.read(stream)
        if sha1(decrypted[20 : 20 + stream.tell()]).digest() != decrypted[:20]:
            raise HandshakeError("client_DH_inner_data hash mismatch")
        g_b = int.from_bytes(inner.g_b, "big")
        if not _SAFE_MARGIN < g_b < CURRENT_DH_PRIME - _SAFE_MARGIN:
            raise HandshakeError("g_b out of range")
        auth_key = pow(g_b, self._a, CURRENT_DH_PRIME).to_bytes(256, "big")
        aux_hash = sha1(auth_key).digest()[:8]
        new_nonce_hash1 = sha1(self._new_nonce + b"\x01" + aux_hash).digest()[-16:]
        server_nonce = _int_bytes(self._server_nonce, 16)
        salt = bytes(a ^ b for a, b in zip(self._new_nonce[:8], server_nonce[:8], strict=True))
        self.result = NewAuthKey(auth_key, int.from_bytes(salt, "little", signed=True))
        log.debug("fakegram: auth key %x created", crypto.auth_key_id(auth_key))
        return raw.types.DhGenOk(
            nonce=self._nonce,
            server_nonce=self._server_nonce,
            new_nonce_hash1=int.from_bytes(new_nonce_hash1, "little", signed=True),
        )
