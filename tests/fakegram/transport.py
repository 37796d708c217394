"""MTProto TCP transports, server side: framing of packets, detected from the first bytes.

Supported: abridged (0xef), intermediate (0xeeeeeeee), padded intermediate (0xdddddddd) and
full (no marker; each frame carries length, seq_no and crc32). Obfuscated transports are not
supported (the connection is closed).
"""

from __future__ import annotations

import asyncio
import os
import struct
from binascii import crc32

#: Transport error codes a server sends as a 4-byte packet (negated).
AUTH_KEY_NOT_FOUND = 404


class TransportError(Exception):
    """The peer sent bytes no transport can frame."""


class Abridged:
    name = "abridged"

    async def read_packet(self, reader: asyncio.StreamReader) -> bytes:
        head = (await reader.readexactly(1))[0] & 0x7F  # 0x80 asks for a quick ack
        if head == 0x7F:
            head = int.from_bytes(await reader.readexactly(3), "little")
        return await reader.readexactly(head * 4)

    def frame(self, payload: bytes) -> bytes:
        length = len(payload) // 4
        if length < 0x7F:
            return bytes([length]) + payload
        return b"\x7f" + length.to_bytes(3, "little") + payload


class Intermediate:
    name = "intermediate"

    async def read_packet(self, reader: asyncio.StreamReader) -> bytes:
        (length,) = struct.unpack("<I", await reader.readexactly(4))
        return await reader.readexactly(length & 0x7FFFFFFF)

    def frame(self, payload: bytes) -> bytes:
        return struct.pack("<I", len(payload)) + payload


class PaddedIntermediate(Intermediate):
    name = "padded-intermediate"

    def frame(self, payload: bytes) -> bytes:
        payload += os.urandom(int.from_bytes(os.urandom(1), "little") % 16)
        return struct.pack("<I", len(payload)) + payload


class Full:
    name = "full"

    def __init__(self, first_length: bytes):
        self._pending_length: bytes | None = first_length
        self._sent = 0

    async def read_packet(self, reader: asyncio.StreamReader) -> bytes:
        head = self._pending_length or await reader.readexactly(4)
        self._pending_length = None
        (length,) = struct.unpack("<I", head)
        if not 12 <= length <= 1 << 25:
            raise TransportError(f"full transport: bad length {length}")
        rest = await reader.readexactly(length - 4)
        frame, checksum = head + rest[:-4], rest[-4:]
        if crc32(frame) != struct.unpack("<I", checksum)[0]:
            raise TransportError("full transport: crc32 mismatch")
        return frame[8:]

    def frame(self, payload: bytes) -> bytes:
        frame = struct.pack("<II", len(payload) + 12, self._sent) + payload
        self._sent += 1
        return frame + struct.pack("<I", crc32(frame))


Transport = Abridged | Intermediate | PaddedIntermediate | Full


async def detect(reader: asyncio.StreamReader) -> Transport:
    """Read the transport marker a client opens with and return its framing."""
    first = await reader.readexactly(1)
    if first == b"\xef":
        return Abridged()
    head = first + await reader.readexactly(3)
    if head == b"\xee\xee\xee\xee":
        return Intermediate()
    if head == b"\xdd\xdd\xdd\xdd":
        return PaddedIntermediate()
    length = struct.unpack("<I", head)[0]
    if 12 <= length <= 1 << 25:
        return Full(head)
    raise TransportError(f"unknown transport (obfuscated?) starting with {head.hex()}")


def error_packet(code: int) -> bytes:
    """A transport error (e.g. 404: auth key not found) as the client reads it."""
    return struct.pack("<i", -code)
