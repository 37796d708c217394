"""Writing a dialog's cache: messages, users, media rows and coverage in one transaction.

``DialogCache.write_batch(batch, claim)`` is the only write path for messages:

* messages are upserted (an edit replaces the row and its JSON);
* the media row of a file a message already had keeps its uuid, status and file path;
  the converter's fresh uuid is replaced *in the batch* by the stored one, so the JSON
  returned (and the batch's records) always show the uuid clients can download with;
  a file an edit removed from its message loses its row (and its downloaded file);
* with a :class:`~tgscraper.cache.coverage.Claim` (from ``FillProgress.after_page``),
  cached messages inside the claim's range that Telegram no longer has are deleted and
  the range joins the coverage — all in the same transaction as the messages.

A write that has started completes even if the caller is cancelled (a client that goes
away keeps what was fetched for it); the caller still sees the cancellation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import orjson

from tgscraper.cache.coverage import Claim, add_interval
from tgscraper.cache.db import Database, immediate_transaction
from tgscraper.cache.media_index import MediaIndex, MediaOwner
from tgscraper.cache.records import RECORD_FIELDS, ConvertedBatch, MediaRow

log = logging.getLogger(__name__)

_MESSAGE_COLUMNS = (*RECORD_FIELDS, "json", "fetched_at")
_UPSERT_MESSAGE = (
    f"INSERT INTO messages ({', '.join(_MESSAGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _MESSAGE_COLUMNS)}) "
    "ON CONFLICT (message_id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _MESSAGE_COLUMNS[1:])
)
_UPSERT_USER = (
    "INSERT INTO users (id, kind, first_name, last_name, username) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, first_name = excluded.first_name, "
    "last_name = excluded.last_name, username = excluded.username"
)
_INSERT_UNKNOWN_USER = (
    "INSERT OR IGNORE INTO users (id, kind, first_name, last_name, username) VALUES (?, ?, ?, ?, ?)"
)
_MEDIA_FIELDS = tuple(f.name for f in fields(MediaRow))
_MEDIA_COLUMNS = (*_MEDIA_FIELDS, "file_key")
_UPSERT_MEDIA = (
    f"INSERT INTO media_files ({', '.join(_MEDIA_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _MEDIA_COLUMNS)}) "
    "ON CONFLICT (uuid) DO UPDATE SET "
    + ", ".join(
        f"{column} = excluded.{column}"
        for column in _MEDIA_COLUMNS
        if column not in ("uuid", "message_id", "file_key")
    )
)
_UPSERT_DIALOG = (
    "INSERT INTO dialog (id, type, title, username) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET type = excluded.type, "
    "title = coalesce(excluded.title, title), username = excluded.username"
)
_IN_JSON = "(SELECT value FROM json_each(?))"


@dataclass(slots=True)
class WriteResult:
    """``json``: each record's stored JSON and ``keys`` its (date, message_id), both in the
    batch's order; ``deleted``: ids of cached messages the claim removed (gone from
    Telegram); ``removed_media``: uuids whose rows were dropped (their message was deleted,
    or an edit replaced the file)."""

    json: list[bytes] = field(default_factory=list)
    keys: list[tuple[int, int]] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    removed_media: list[str] = field(default_factory=list)

    def in_order(
        self, start: int, end: int, *, newest_first: bool = False
    ) -> list[tuple[tuple[int, int], bytes]]:
        """(key, JSON) of the written messages with ``start <= date < end``, in stream
        order: what a history stream sends for this page."""
        chosen = [
            (key, blob) for key, blob in zip(self.keys, self.json, strict=True)
            if start <= key[0] < end
        ]  # fmt: skip
        chosen.sort(key=lambda item: item[0], reverse=newest_first)
        return chosen


class BatchWriter:
    """The write half of a :class:`~tgscraper.cache.dialog.DialogCache`."""

    def __init__(
        self,
        database: Database,
        directory: Path,
        owner: MediaOwner,
        media_index: MediaIndex | None,
    ):
        self._db = database
        self._directory = directory
        self._owner = owner
        self._media_index = media_index

    async def write_batch(self, batch: ConvertedBatch, claim: Claim | None = None) -> WriteResult:
        """Store one converted page (see the module docstring); returns its stored JSON."""
        task = asyncio.ensure_future(self._locked_write(batch, claim))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_log_orphan_failure)
            raise

    async def _locked_write(self, batch: ConvertedBatch, claim: Claim | None) -> WriteResult:
        async with self._db.write_lock:
            await self._adopt_stored_uuids(batch)
            result = await self._transaction(batch, claim)
        if result.removed_media:
            await self._forget_media(result.removed_media)
        return result

    async def _adopt_stored_uuids(self, batch: ConvertedBatch) -> None:
        """Give each file the uuid it already has in this message; index the new ones."""
        if not batch.media:
            return
        message_ids = _json_list(sorted({media.message_id for media in batch.media}))
        rows = await self._db.writer.execute_fetchall(
            f"SELECT message_id, file_key, uuid FROM media_files WHERE message_id IN {_IN_JSON}",
            (message_ids,),
        )
        stored = {(message_id, file_key): uuid for message_id, file_key, uuid in rows}
        renamed: dict[str, str] = {}
        fresh: list[str] = []
        for media in batch.media:
            known = stored.get((media.message_id, media.file_key))
            if known is None:
                fresh.append(media.uuid)
            elif known != media.uuid:
                renamed[media.uuid] = known
                media.uuid = known
        for record in batch.records:
            if record.media_uuid in renamed:
                record.media_uuid = renamed[record.media_uuid]
        if fresh and self._media_index is not None:
            await self._media_index.add(self._owner, fresh)

    async def _transaction(self, batch: ConvertedBatch, claim: Claim | None) -> WriteResult:
        writer = self._db.writer
        fetched_at = int(time.time())
        blobs = [record.to_json() for record in batch.records]
        message_rows = [
            (*record.row(), blob, fetched_at)
            for record, blob in zip(batch.records, blobs, strict=True)
        ]
        keys = [(record.date, record.message_id) for record in batch.records]
        result = WriteResult(json=blobs, keys=keys)
        removed: list[tuple[str, str | None]] = []
        async with immediate_transaction(writer):
            if message_rows:
                await writer.executemany(_UPSERT_MESSAGE, message_rows)
                removed += await writer.execute_fetchall(
                    f"DELETE FROM media_files WHERE message_id IN {_IN_JSON} "
                    f"AND uuid NOT IN {_IN_JSON} RETURNING uuid, file_path",
                    (
                        _json_list([record.message_id for record in batch.records]),
                        _json_list([media.uuid for media in batch.media]),
                    ),
                )
            if batch.media:
                await writer.executemany(_UPSERT_MEDIA, [_media_row(m) for m in batch.media])
            await self._write_peers(batch)
            if claim is not None:
                deleted, dropped = await self._apply_claim(claim)
                result.deleted = deleted
                removed += dropped
        result.removed_media = [uuid for uuid, _ in removed]
        await _discard_files(self._directory, [path for _, path in removed if path])
        return result

    async def _write_peers(self, batch: ConvertedBatch) -> None:
        writer = self._db.writer
        known = [(p.id, p.kind, p.first_name, p.last_name, p.username) for p in batch.users]
        named = [row for row in known if any(row[2:])]
        unnamed = [row for row in known if not any(row[2:])]
        if named:
            await writer.executemany(_UPSERT_USER, named)
        if unnamed:
            await writer.executemany(_INSERT_UNKNOWN_USER, unnamed)
        if batch.dialog is not None:
            info = batch.dialog
            await writer.execute(_UPSERT_DIALOG, (info.id, info.type, info.title, info.username))

    async def _apply_claim(self, claim: Claim) -> tuple[list[int], list[tuple[str, str | None]]]:
        """Delete what Telegram no longer has in the claim's range; extend coverage."""
        writer = self._db.writer
        stale = (
            f"SELECT message_id FROM messages WHERE date >= ? AND date < ? "
            f"AND message_id NOT IN {_IN_JSON}"
        )
        params = (claim.start, claim.end, _json_list(sorted(claim.message_ids)))
        dropped = await writer.execute_fetchall(
            f"DELETE FROM media_files WHERE message_id IN ({stale}) RETURNING uuid, file_path",
            params,
        )
        deleted = await writer.execute_fetchall(
            f"DELETE FROM messages WHERE message_id IN ({stale}) RETURNING message_id", params
        )
        await add_interval(writer, claim.start, claim.end)
        return sorted(row[0] for row in deleted), list(dropped)

    async def _forget_media(self, uuids: list[str]) -> None:
        if self._media_index is not None:
            await self._media_index.remove(uuids)


def _json_list(values) -> str:
    return orjson.dumps(values).decode()


def _media_row(media: MediaRow) -> tuple:
    return (*(getattr(media, name) for name in _MEDIA_FIELDS), media.file_key)


async def _discard_files(directory: Path, paths: list[str]) -> None:
    """Delete downloaded files whose rows are gone (paths are relative to the dialog's
    directory, or absolute)."""
    if paths:
        await asyncio.to_thread(_unlink_all, [directory / path for path in paths])


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            log.warning("could not delete %s: %s", path, error)


def _log_orphan_failure(task: asyncio.Task) -> None:
    """A write whose caller was cancelled has nobody to raise to: log its failure."""
    if not task.cancelled() and task.exception() is not None:
        log.error("cache write failed", exc_info=task.exception())
