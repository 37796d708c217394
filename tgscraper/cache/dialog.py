"""``DialogCache``: everything one dialog's cache offers, behind one object.

Obtain it from ``CacheManager.dialog(dialog_id, account)`` or ``CacheManager.use(...)``
(one per dialog, shared). Its database may be closed by the manager whenever nothing runs
on it and nobody holds it (``manager.py``), and reopens on the next call: keep the object
as long as you like, and hold a lease while you work on it. Methods:

* ``await gaps(start, end) -> [(start, end), ...]`` — uncovered parts of ``[start, end)``.
* ``await coverage() -> [(start, end), ...]`` — the merged coverage intervals.
* ``await write_batch(batch, claim=None) -> WriteResult`` — store one converted page
  (``store.py``; the claim comes from ``coverage.FillProgress``); ``result.in_order(start,
  end, newest_first=...)`` is the page's stored JSON ready to stream.
* ``read_range(start, end, *, newest_first=False, batch_size=1000, after=None)`` — async
  iterator of ``CachedBatch(json, last)`` (``reader.py``).
* ``await message_key(message_id) -> (date, message_id) | None`` — for ``Last-Event-ID``.
* ``await summary(hidden_up_to=0) -> dict`` — for ``GET /api/v3/dialogs/{dialog}/cache``
  (as an account that sees only the messages above ``hidden_up_to`` sees it).
* ``media`` — ``MediaFiles``: get / find / set_status / set_location (``media_files.py``).
* ``directory`` / ``media_dir`` — where the database and its downloaded files live.
* ``hold() -> Lease`` — ``with cache.hold():`` (or ``lease.release()`` later): in use,
  not to be closed by the manager, between operations too (a stream, a fill, a download).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tgscraper.cache import coverage, reader
from tgscraper.cache.coverage import Claim
from tgscraper.cache.db import Database, Lease
from tgscraper.cache.media_files import MediaFiles
from tgscraper.cache.media_index import MediaIndex, MediaOwner
from tgscraper.cache.reader import CachedBatch, Key
from tgscraper.cache.records import ConvertedBatch
from tgscraper.cache.store import BatchWriter, WriteResult


class DialogCache:
    def __init__(self, database: Database, owner: MediaOwner, media_index: MediaIndex | None):
        self.database = database
        self.owner = owner
        self.dialog_id = owner.dialog_id
        self.directory: Path = database.path.parent
        self.media_dir: Path = self.directory / "media"
        self.media = MediaFiles(database)
        self._writer = BatchWriter(database, self.directory, owner, media_index)

    async def gaps(self, start: int, end: int) -> list[tuple[int, int]]:
        return await reader.gaps(self.database, start, end)

    async def coverage(self) -> list[tuple[int, int]]:
        async with self.database.reader() as connection:
            return await coverage.intervals(connection)

    async def write_batch(self, batch: ConvertedBatch, claim: Claim | None = None) -> WriteResult:
        if batch.dialog_id != self.dialog_id:
            raise ValueError(
                f"A batch of dialog {batch.dialog_id} cannot be written to {self.dialog_id}."
            )
        return await self._writer.write_batch(batch, claim)

    def read_range(
        self,
        start: int,
        end: int,
        *,
        newest_first: bool = False,
        batch_size: int = 1000,
        after: Key | None = None,
    ) -> AsyncIterator[CachedBatch]:
        return reader.read_range(
            self.database,
            start,
            end,
            newest_first=newest_first,
            batch_size=batch_size,
            after=after,
        )

    async def message_key(self, message_id: int) -> Key | None:
        return await reader.message_key(self.database, message_id)

    async def summary(self, hidden_up_to: int = 0) -> dict[str, Any]:
        return {"dialog_id": self.dialog_id, **await reader.summary(self.database, hidden_up_to)}

    def hold(self) -> Lease:
        return self.database.hold()

    async def close(self) -> None:
        """Close the database's connections now (the next call reopens them)."""
        await self.database.close()
