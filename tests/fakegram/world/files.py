"""Deterministic file contents: the bytes of every fake file follow from (seed, size).

A file is a stream of 64 KiB blocks; block k is SHAKE-128 of (seed, k). Any slice is
cheap to make (about 1 ms per MiB), never stored, and the same in every process, so a
test verifies a download byte for byte with `file_bytes(seed, 0, size)` or
`file_digest(seed, size)`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

BLOCK = 64 * 1024


@lru_cache(maxsize=64)
def _block(seed: int, index: int) -> bytes:
    key = seed.to_bytes(16, "little", signed=True) + index.to_bytes(8, "little")
    return hashlib.shake_128(key).digest(BLOCK)


def file_bytes(seed: int, offset: int, length: int, size: int | None = None) -> bytes:
    """`length` bytes of file `seed` from `offset` (cut at `size` when given)."""
    if offset < 0 or length < 0:
        raise ValueError("offset and length must not be negative")
    end = offset + length if size is None else min(offset + length, size)
    if end <= offset:
        return b""
    first, last = offset // BLOCK, (end - 1) // BLOCK
    if first == last:
        start = offset - first * BLOCK
        return _block(seed, first)[start : start + end - offset]
    parts = [_block(seed, index) for index in range(first, last + 1)]
    joined = b"".join(parts)
    start = offset - first * BLOCK
    return joined[start : start + end - offset]


def file_digest(seed: int, size: int) -> str:
    """SHA-256 hex digest of the whole file (compare with a downloaded file's digest)."""
    digest = hashlib.sha256()
    for offset in range(0, size, 1024 * 1024):
        digest.update(file_bytes(seed, offset, min(1024 * 1024, size - offset)))
    return digest.hexdigest()
