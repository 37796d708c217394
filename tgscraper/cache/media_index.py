"""The global media index: ``{data_dir}/media_index.db`` maps a media uuid to the dialog
database that holds its row, so ``GET /files/{uuid}`` finds a file in O(1).

``DialogCache.write_batch`` adds a batch's new uuids *before* committing the dialog's
transaction: an entry whose dialog row never got committed is harmless (the lookup then
finds no row: 404), a committed row without an entry would be unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from tgscraper.cache.db import immediate_transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS media_index (
    uuid TEXT PRIMARY KEY,
    dialog_id INTEGER NOT NULL,
    account TEXT,
    peer_type TEXT NOT NULL
) WITHOUT ROWID
"""


@dataclass(frozen=True, slots=True)
class MediaOwner:
    """Where a media row lives. ``account`` is None for channels and supergroups (shared
    by every account); for private chats and basic groups it is the owning account, and
    only that account may be served the file."""

    dialog_id: int
    account: str | None
    peer_type: str


class MediaIndex:
    def __init__(self, connection: aiosqlite.Connection):
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> MediaIndex:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
                await connection.execute(f"PRAGMA {pragma}")
            await connection.execute(_SCHEMA)
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    async def add(self, owner: MediaOwner, uuids: Iterable[str]) -> None:
        rows = [(uuid, owner.dialog_id, owner.account, owner.peer_type) for uuid in uuids]
        if rows:
            await self._transaction(
                "INSERT OR IGNORE INTO media_index (uuid, dialog_id, account, peer_type) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )

    async def remove(self, uuids: Iterable[str]) -> None:
        rows = [(uuid,) for uuid in uuids]
        if rows:
            await self._transaction("DELETE FROM media_index WHERE uuid = ?", rows)

    async def lookup(self, uuid: str) -> MediaOwner | None:
        rows = await self._connection.execute_fetchall(
            "SELECT dialog_id, account, peer_type FROM media_index WHERE uuid = ?", (uuid,)
        )
        return MediaOwner(*rows[0]) if rows else None

    async def close(self) -> None:
        await self._connection.close()

    async def _transaction(self, sql: str, rows: list[tuple]) -> None:
        async with self._lock, immediate_transaction(self._connection):
            await self._connection.executemany(sql, rows)
