"""Reading a dialog's cache: stored JSON in (date, message_id) order, and the summary.

Reads use keyset paging on the ``(date, message_id)`` index: one indexed query per batch,
never OFFSET, and a reader connection is borrowed per batch only, so memory stays flat in
the number of rows and a slow client holds no connection. Batches are the stored JSON
blobs, ready to splice: ``messages_payload(batch.json)`` is ``{"messages":[...]}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tgscraper.cache import coverage
from tgscraper.cache.db import Database
from tgscraper.dates import format_date

Key = tuple[int, int]  # (date, message_id): the order of every stream

_FORWARD = (
    "SELECT date, message_id, json FROM messages "
    "WHERE (date, message_id) > (?, ?) AND date < ? "
    "ORDER BY date, message_id LIMIT ?"
)
_BACKWARD = (
    "SELECT date, message_id, json FROM messages "
    "WHERE (date, message_id) < (?, ?) AND date >= ? "
    "ORDER BY date DESC, message_id DESC LIMIT ?"
)


@dataclass(slots=True)
class CachedBatch:
    """Up to ``batch_size`` stored messages; ``last`` is the key of the last one (resume
    point, and where a merge with Telegram pages stands)."""

    json: list[bytes]
    last: Key
    #: the id of each message of ``json``, in the same order
    message_ids: list[int] = field(default_factory=list)

    @property
    def last_message_id(self) -> int:
        return self.last[1]


def messages_payload(blobs: list[bytes]) -> bytes:
    """``{"messages":[...]}`` from stored message JSON, without decoding anything."""
    return b'{"messages":[' + b",".join(blobs) + b"]}"


async def read_range(
    database: Database,
    start: int,
    end: int,
    *,
    newest_first: bool = False,
    batch_size: int = 1000,
    after: Key | None = None,
) -> AsyncIterator[CachedBatch]:
    """Stored messages with ``start <= date < end``, oldest first (or newest first),
    strictly after the key ``after`` in that direction when given."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if newest_first:
        sql, bound, key = _BACKWARD, start, after or (end, 0)
    else:
        sql, bound, key = _FORWARD, end, after or (start, -1)
    while True:
        async with database.reader() as connection:
            rows = await connection.execute_fetchall(sql, (*key, bound, batch_size))
        if not rows:
            return
        last = rows[-1]
        key = (last[0], last[1])
        yield CachedBatch([row[2] for row in rows], key, [row[1] for row in rows])
        if len(rows) < batch_size:
            return


async def message_key(database: Database, message_id: int) -> Key | None:
    """The (date, message_id) key of a cached message (``Last-Event-ID`` resume)."""
    async with database.reader() as connection:
        rows = await connection.execute_fetchall(
            "SELECT date FROM messages WHERE message_id = ?", (message_id,)
        )
    return (rows[0][0], message_id) if rows else None


async def gaps(database: Database, start: int, end: int) -> list[tuple[int, int]]:
    async with database.reader() as connection:
        return await coverage.gaps(connection, start, end)


async def summary(database: Database, hidden_up_to: int = 0) -> dict[str, Any]:
    """What is cached: for ``GET /api/v3/dialogs/{dialog}/cache``.

    ``hidden_up_to`` (``ResolvedDialog.hidden_up_to``) summarises the cache as an account
    that sees only the messages above that id sees it: its messages and their media
    only, and the coverage from the oldest of them on (the cache is shared with accounts
    that see more; a covered interval holds every message, so every one this account
    sees, and none it sees lies before its oldest cached one). ``database_bytes`` is the
    size of the (shared) file.
    """
    async with database.reader() as connection:
        dialog = await connection.execute_fetchall(
            "SELECT id, type, title, username FROM dialog LIMIT 1"
        )
        intervals = await coverage.intervals(connection)
        # the narrow date index, not the table (message_id is its rowid: a range on it
        # would read every stored JSON)
        ((count,),) = await connection.execute_fetchall(
            "SELECT count(*) FROM messages INDEXED BY messages_by_date WHERE message_id > ?",
            (hidden_up_to,),
        )
        oldest = await connection.execute_fetchall(
            "SELECT message_id, date FROM messages WHERE message_id > ? "
            "ORDER BY date, message_id LIMIT 1",
            (hidden_up_to,),
        )
        newest = await connection.execute_fetchall(
            "SELECT message_id, date FROM messages WHERE message_id > ? "
            "ORDER BY date DESC, message_id DESC LIMIT 1",
            (hidden_up_to,),
        )
        media = await connection.execute_fetchall(
            "SELECT status, count(*), coalesce(sum(size), 0) FROM media_files "
            "WHERE message_id > ? GROUP BY status",
            (hidden_up_to,),
        )
    if hidden_up_to:
        intervals = _from_oldest(intervals, oldest[0][1] if oldest else None)
    by_status = {status: {"count": n, "bytes": size} for status, n, size in media}
    return {
        "dialog": dict(zip(("id", "type", "title", "username"), dialog[0], strict=True))
        if dialog
        else None,
        "coverage": [_interval_summary(start, end) for start, end in intervals],
        "message_count": count,
        "oldest_message": _message_summary(oldest),
        "newest_message": _message_summary(newest),
        "media": {
            "count": sum(entry["count"] for entry in by_status.values()),
            "by_status": by_status,
            "bytes_on_disk": by_status.get("downloaded", {}).get("bytes", 0),
        },
        "database_bytes": await asyncio.to_thread(_database_bytes, database),
    }


def _from_oldest(intervals: list[tuple[int, int]], oldest: int | None) -> list[tuple[int, int]]:
    """The intervals clipped to start at the second of ``oldest`` (none without it)."""
    if oldest is None:
        return []
    return [(max(start, oldest), end) for start, end in intervals if end > oldest]


def _interval_summary(start: int, end: int) -> dict[str, Any]:
    dates = {"start_date": format_date(start), "end_date": format_date(end)}
    return {"start": start, "end": end, **dates}


def _message_summary(rows: list) -> dict[str, Any] | None:
    if not rows:
        return None
    message_id, date = rows[0]
    return {"message_id": message_id, "date": format_date(date), "timestamp": date}


def _database_bytes(database: Database) -> int:
    total = 0
    for suffix in ("", "-wal"):
        path = database.path.with_name(database.path.name + suffix)
        if path.exists():
            total += path.stat().st_size
    return total
