"""Media rows of a dialog: what a download needs, and its state.

Statuses (``records.MEDIA_STATUSES``): ``pending`` until the MEDIA side decides;
``downloaded`` (``file_path`` set, relative to the dialog's directory, e.g.
``media/<uuid>.jpg``); ``skipped_by_type`` / ``skipped_by_size`` (settings said no);
``disabled`` (media downloads are off); ``failed`` (``reason`` says why).

A row can disappear between reading it and finishing its download (the message was
deleted or edited to another file): :meth:`MediaFiles.set_status` then returns False and
the downloader should delete the file it wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields

from tgscraper.cache.db import Database
from tgscraper.cache.records import MEDIA_STATUSES


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A stored media row. The download location: ``location_kind`` ``photo`` ->
    InputPhotoFileLocation(id=file_id, access_hash, file_reference, thumb_size);
    ``document`` -> InputDocumentFileLocation(id=file_id, access_hash, file_reference,
    thumb_size="") on DC ``dc_id``."""

    uuid: str
    message_id: int
    media_type: str
    size: int | None
    mime_type: str | None
    original_filename: str | None
    file_path: str | None
    status: str
    reason: str | None
    dc_id: int
    location_kind: str
    file_id: int
    access_hash: int
    file_reference: bytes
    thumb_size: str


_SELECT = "SELECT " + ", ".join(f"f.{field.name}" for field in fields(MediaFile))
_SELECT += " FROM media_files AS f"


class MediaFiles:
    def __init__(self, database: Database):
        self._db = database

    async def get(self, uuid: str) -> MediaFile | None:
        async with self._db.reader() as connection:
            rows = await connection.execute_fetchall(f"{_SELECT} WHERE f.uuid = ?", (uuid,))
        return MediaFile(*rows[0]) if rows else None

    async def find(
        self,
        *,
        statuses: tuple[str, ...] | None = None,
        start: int | None = None,
        end: int | None = None,
        limit: int = 1000,
    ) -> list[MediaFile]:
        """Rows of messages with ``start <= date < end`` (bounds optional), in message
        order, optionally only those in ``statuses``."""
        conditions, params = _conditions(statuses, start, end)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"{_SELECT} JOIN messages AS m USING (message_id) {where} "
            "ORDER BY m.date, f.message_id LIMIT ?"
        )
        async with self._db.reader() as connection:
            rows = await connection.execute_fetchall(sql, (*params, limit))
        return [MediaFile(*row) for row in rows]

    async def scan(
        self,
        *,
        statuses: tuple[str, ...] | None = None,
        start: int | None = None,
        end: int | None = None,
        batch_size: int = 1000,
    ) -> AsyncIterator[list[MediaFile]]:
        """Every row ``find`` would match, ``batch_size`` at a time in uuid order (keyset
        paging: bounded memory for dialogs with any number of files; used by repair).

        Each batch walks the uuid index from where the last one stopped (CROSS JOIN keeps
        media_files the outer loop, ``+f.status`` keeps it off the status index): the
        whole scan is linear in the rows, never a sort of all matching rows per batch."""
        conditions, params = _conditions(statuses, start, end, status_index=False)
        after = ""
        while True:
            where = " AND ".join([*conditions, "f.uuid > ?"])
            sql = (
                f"{_SELECT} CROSS JOIN messages AS m USING (message_id) WHERE {where} "
                "ORDER BY f.uuid LIMIT ?"
            )
            async with self._db.reader() as connection:
                rows = await connection.execute_fetchall(sql, (*params, after, batch_size))
            if not rows:
                return
            batch = [MediaFile(*row) for row in rows]
            yield batch
            if len(batch) < batch_size:
                return
            after = batch[-1].uuid

    async def set_status(
        self,
        uuid: str,
        status: str,
        *,
        reason: str | None = None,
        file_path: str | None = None,
        size: int | None = None,
    ) -> bool:
        """Record a download decision or result; False if the row no longer exists."""
        _check_statuses((status,))
        return await self._update(
            "UPDATE media_files SET status = ?, reason = ?, file_path = ?, "
            "size = coalesce(?, size) WHERE uuid = ?",
            (status, reason, file_path, size, uuid),
        )

    async def set_location(
        self, uuid: str, *, file_reference: bytes, access_hash: int | None = None
    ) -> bool:
        """Store a fresh ``file_reference`` (after FILE_REFERENCE_EXPIRED and a refetch)."""
        return await self._update(
            "UPDATE media_files SET file_reference = ?, "
            "access_hash = coalesce(?, access_hash) WHERE uuid = ?",
            (file_reference, access_hash, uuid),
        )

    async def _update(self, sql: str, params: tuple) -> bool:
        async with self._db.write_lock:
            cursor = await self._db.writer.execute(sql, params)
            return cursor.rowcount > 0


def _conditions(
    statuses: tuple[str, ...] | None,
    start: int | None,
    end: int | None,
    *,
    status_index: bool = True,
) -> tuple[list[str], list]:
    """WHERE terms (``status_index=False``: ``+f.status``, see ``scan``)."""
    conditions: list[str] = []
    params: list = []
    if statuses is not None:
        _check_statuses(statuses)
        column = "f.status" if status_index else "+f.status"
        conditions.append(f"{column} IN ({', '.join('?' for _ in statuses)})")
        params += statuses
    if start is not None:
        conditions.append("m.date >= ?")
        params.append(start)
    if end is not None:
        conditions.append("m.date < ?")
        params.append(end)
    return conditions, params


def _check_statuses(statuses: tuple[str, ...]) -> None:
    unknown = set(statuses) - set(MEDIA_STATUSES)
    if unknown:
        raise ValueError(f"Unknown media status {sorted(unknown)}; use one of {MEDIA_STATUSES}.")
