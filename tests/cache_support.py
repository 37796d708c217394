"""Helpers for the cache tests: records, batches, and a paged message history that pages
like messages.getHistory (newest first; ``offset_date`` then ``offset_id``), driving the
real FillProgress + write_batch loop the fill engine will run."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from tgscraper.cache.coverage import FillProgress
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.records import ConvertedBatch, MediaRow, MessageRecord

CHANNEL = -1001234567890
DAY = 86400


def record(message_id: int, date: int, text: str | None = None, **fields) -> MessageRecord:
    return MessageRecord(
        message_id=message_id, date=date, message=text or f"message {message_id}", **fields
    )


def media_row(message_id: int, uuid: str, file_id: int = 0, **fields) -> MediaRow:
    values = {
        "media_type": "photos",
        "size": 1000 + message_id,
        "mime_type": "image/jpeg",
        "original_filename": None,
        "dc_id": 2,
        "location_kind": "photo",
        "file_id": file_id or 10_000 + message_id,
        "access_hash": 77,
        "file_reference": b"ref",
        "thumb_size": "y",
    }
    values.update(fields)
    return MediaRow(uuid=uuid, message_id=message_id, **values)


def batch(records, media=(), dialog_id: int = CHANNEL) -> ConvertedBatch:
    return ConvertedBatch(dialog_id=dialog_id, records=list(records), media=list(media))


@dataclass
class History:
    """A dialog's messages as Telegram holds them: (message_id, date), ids rising with time."""

    messages: dict[int, int] = field(default_factory=dict)
    edits: dict[int, str] = field(default_factory=dict)
    requests: int = 0

    def post(self, message_id: int, date: int) -> None:
        self.messages[message_id] = date

    def delete(self, message_id: int) -> None:
        del self.messages[message_id]

    def page(self, *, offset_id: int = 0, offset_date: int = 0, limit: int = 100):
        """Newest first: ids below offset_id (if given), dates below offset_date (if given)."""
        self.requests += 1
        chosen = sorted(
            (
                (mid, date)
                for mid, date in self.messages.items()
                if (not offset_id or mid < offset_id) and (not offset_date or date < offset_date)
            ),
            reverse=True,
        )[:limit]
        records = [record(mid, date, self.edits.get(mid)) for mid, date in chosen]
        return batch(records), len(chosen) < limit

    def ids_between(self, start: int, end: int) -> list[int]:
        return sorted(mid for mid, date in self.messages.items() if start <= date < end)


async def fill(
    cache: DialogCache,
    history: History,
    start: int,
    end: int,
    *,
    horizon: int,
    page_size: int = 100,
    max_pages: int | None = None,
    force: bool = False,
) -> int:
    """Fill the gaps of [start, end) (all of it when ``force``); returns pages fetched."""
    pages = 0
    targets = [(start, end)] if force else await cache.gaps(start, end)
    for gap_start, gap_end in targets:
        progress = FillProgress(gap_start, gap_end, horizon=horizon)
        offset_id, offset_date = 0, gap_end
        while not progress.done:
            if max_pages is not None and pages >= max_pages:
                return pages
            page, exhausted = history.page(
                offset_id=offset_id, offset_date=offset_date, limit=page_size
            )
            pages += 1
            claim = progress.after_page(page.records, exhausted=exhausted)
            await cache.write_batch(page, claim)
            if page.records:
                offset_id = page.records[-1].message_id
    return pages


async def cached_ids(cache: DialogCache, start: int = 0, end: int = 2**40) -> list[int]:
    ids = []
    async for chunk in cache.read_range(start, end, batch_size=500):
        ids += [orjson.loads(blob)["message_id"] for blob in chunk.json]
    return ids
