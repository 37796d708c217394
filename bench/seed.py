"""A benchmark cache: a data directory holding a channel of N cached messages written
with ``DialogCache.write_batch`` and ``FillProgress`` claims (the real format, built the
way a fill builds it: realistic text of 50–400 characters, 10 % with media rows), kept
between runs under ``$TGSC_BENCH_DIR`` (default: the temp directory) since 1M rows take a
while to write."""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import BASE_DATE, DAY, END_DATE, SEED_FORMAT, channel_world, corpus

from tgscraper.cache.coverage import FillProgress
from tgscraper.cache.db import SCHEMA_VERSION
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.records import (
    DISABLED,
    FILES,
    PHOTOS,
    VIDEOS,
    ConvertedBatch,
    DialogInfo,
    MediaRow,
    MessageRecord,
    PeerRow,
)

SEED_BATCH = 1000


class _MessageMaker:
    """Channel posts as the converter makes them: 50-400 characters of text, views and
    forwards, some replies, forwards and albums, 10 % with a file (photo, video or
    document) and its media row."""

    def __init__(self, dialog_id: int, seed: int = 1):
        self.dialog_id = dialog_id
        self.rng = random.Random(seed)
        self.corpus = corpus(self.rng)
        self.next_id = 1
        self.date = BASE_DATE

    def page(self, count: int, span_s: int) -> tuple[list[MessageRecord], list[MediaRow]]:
        rng, corpus = self.rng, self.corpus
        records, media = [], []
        for _ in range(count):
            # 15 % share the previous message's second; mean step span_s / count seconds
            if rng.random() >= 0.15:
                step = int(rng.random() * 2 * span_s / count / 0.85)
                self.date = min(self.date + step, END_DATE - 1)
            length = rng.randint(50, 400)
            offset = rng.randrange(len(corpus) - length)
            record = MessageRecord(
                message_id=self.next_id,
                date=self.date,
                sender_id=self.dialog_id,
                first_name="Bench",
                username="bench",
                message=corpus[offset : offset + length],
                views=rng.randint(100, 90_000),
                forwards=rng.randint(0, 300),
            )
            roll = rng.random()
            if roll < 0.05 and self.next_id > 1:
                record.reply_to = rng.randint(max(1, self.next_id - 500), self.next_id - 1)
            elif roll < 0.08:
                record.is_forwarded = 1
                record.forwarded_from_channel_id = -1_001_000_000_000 - rng.randint(1, 999)
                record.forwarded_from_name = "Another channel"
                record.forwarded_from_date = self.date - rng.randint(60, 10 * DAY)
            if rng.random() < 0.10:
                media.append(self._media(record))
            records.append(record)
            self.next_id += 1
        return records, media

    def _media(self, record: MessageRecord) -> MediaRow:
        rng = self.rng
        kind = rng.choice((PHOTOS, PHOTOS, PHOTOS, VIDEOS, FILES))
        photo = kind == PHOTOS
        name = None if photo else f"file_{record.message_id}.{'mp4' if kind == VIDEOS else 'pdf'}"
        row = MediaRow(
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            message_id=record.message_id,
            media_type=kind,
            size=rng.randint(20_000, 300_000) if photo else rng.randint(100_000, 50_000_000),
            mime_type="image/jpeg"
            if photo
            else ("video/mp4" if kind == VIDEOS else "application/pdf"),
            original_filename=name,
            dc_id=2,
            location_kind="photo" if photo else "document",
            file_id=rng.getrandbits(62),
            access_hash=rng.getrandbits(62),
            file_reference=rng.randbytes(24),
            thumb_size="y" if photo else "",
        )
        record.media_type = kind
        record.media_uuid = row.uuid
        record.media_size = row.size
        record.media_original_filename = name
        if rng.random() < 0.3:
            record.grouped_id = rng.getrandbits(60)
        return row


async def seed_channel(data_dir: Path, dialog_id: int, count: int) -> None:
    """``count`` messages in ``dialog_id``'s cache, written page by page with the claims a
    fill would make (coverage ``[0, END_DATE)``). Media rows are left as a server with
    ``download_media: false`` leaves them after its first look (``disabled``), so the
    background media review finds nothing to change."""
    manager = CacheManager(data_dir)
    try:
        cache = await manager.dialog(dialog_id, None)
        maker = _MessageMaker(dialog_id)
        span = int((END_DATE - BASE_DATE) * 0.9 * SEED_BATCH / max(count, 1))
        progress = FillProgress(0, END_DATE, horizon=END_DATE, newest_first=False)
        channel = PeerRow(dialog_id, "channel", "Bench", None, "bench")
        info = DialogInfo(dialog_id, "channel", "Bench", "bench")
        written = 0
        while written < count:
            records, media = maker.page(min(SEED_BATCH, count - written), span)
            written += len(records)
            batch = ConvertedBatch(dialog_id, records, [channel], media, info)
            claim = progress.after_page(records, exhausted=written >= count)
            await cache.write_batch(batch, claim)
        writer = cache.database.writer
        await writer.execute(
            "UPDATE media_files SET status = ?, reason = ?", (DISABLED, "download_media is off")
        )
        await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert progress.done and await cache.gaps(0, END_DATE) == []
    finally:
        await manager.close()


def bench_dir() -> Path:
    return Path(os.environ.get("TGSC_BENCH_DIR") or tempfile.gettempdir()) / "tgsc-bench"


async def seeded_cache(count: int, *, rebuild: bool = False) -> tuple[Path, dict[str, Any]]:
    """A data directory with the ``bench`` channel's world file and ``count`` cached
    messages: reused when a previous run built it (``rebuild`` forces a new one)."""
    name = f"cache-{count}-seed{SEED_FORMAT}-schema{SCHEMA_VERSION}"
    final = bench_dir() / name
    meta_file = final / "seed.json"
    if final.exists() and meta_file.exists() and not rebuild:
        meta = json.loads(meta_file.read_text())
        return final, {**meta, "reused": True}
    shutil.rmtree(final, ignore_errors=True)
    building = bench_dir() / f".{name}.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    (building / "data").mkdir(parents=True)
    dialog_id, username = channel_world(building / "world.json")
    started = time.perf_counter()
    await seed_channel(building / "data", dialog_id, count)
    meta = {
        "messages": count,
        "dialog_id": dialog_id,
        "username": username,
        "seed_s": round(time.perf_counter() - started, 1),
        "path": str(final),
    }
    (building / "seed.json").write_text(json.dumps(meta))
    building.rename(final)
    return final, {**meta, "reused": False}
