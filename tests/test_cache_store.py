"""Writing and reading a dialog cache: upserts, claims (refresh), media rows, keyset reads."""

import asyncio

import orjson
import pytest
from pyrogram import raw

from tests.cache_support import CHANNEL, History, batch, cached_ids, fill, media_row, record
from tests.fakegram.tl.layer import newer_fields
from tgscraper.cache.coverage import Claim
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.reader import messages_payload
from tgscraper.cache.records import DialogInfo, PeerRow
from tgscraper.telegram.convert import convert_messages

T0 = 1_700_000_000


@pytest.fixture
async def manager(tmp_path):
    manager = CacheManager(tmp_path)
    yield manager
    await manager.close()


@pytest.fixture
async def cache(manager):
    return await manager.dialog(CHANNEL, None)


async def rows(cache, sql, params=()):
    async with cache.database.reader() as connection:
        return await connection.execute_fetchall(sql, params)


# -- writing --------------------------------------------------------------------------------


async def test_write_returns_the_stored_json(cache):
    result = await cache.write_batch(batch([record(2, T0 + 5, "b"), record(1, T0, "a")]))
    assert [orjson.loads(blob)["message_id"] for blob in result.json] == [2, 1]
    assert orjson.loads(result.json[1]) == {
        "message_id": 1,
        "date": "2023-11-14 22:13:20",
        "message": "a",
        "is_forwarded": 0,
    }
    assert await cache.coverage() == []  # no claim, no coverage


async def test_edit_replaces_row_and_json(cache):
    await cache.write_batch(batch([record(1, T0, "first")]))
    await cache.write_batch(batch([record(1, T0, "edited", edit_date=T0 + 60)]))
    (chunk,) = [c async for c in cache.read_range(0, T0 + 100)]
    assert [orjson.loads(blob)["message"] for blob in chunk.json] == ["edited"]
    assert orjson.loads(chunk.json[0])["edit_date"] == "2023-11-14 22:14:20"
    assert await rows(cache, "SELECT count(*), max(message) FROM messages") == [(1, "edited")]


async def test_users_and_dialog_rows(cache):
    first = batch([record(1, T0)])
    first.users = [PeerRow(5, "user", "Ann", None, "ann"), PeerRow(6, "user")]
    first.dialog = DialogInfo(CHANNEL, "channel", "Main", "mainchan")
    await cache.write_batch(first)
    second = batch([record(2, T0)])
    second.users = [PeerRow(5, "user", "Ann", "Lee", None), PeerRow(6, "user")]
    await cache.write_batch(second)
    assert await rows(cache, "SELECT * FROM users ORDER BY id") == [
        (5, "user", "Ann", "Lee", None),
        (6, "user", None, None, None),
    ]
    assert await rows(cache, "SELECT * FROM dialog") == [(CHANNEL, "channel", "Main", "mainchan")]


async def test_batch_of_another_dialog_is_refused(cache):
    with pytest.raises(ValueError, match="cannot be written"):
        await cache.write_batch(batch([record(1, T0)], dialog_id=-1009))


async def test_claim_deletes_what_telegram_no_longer_has(cache):
    await cache.write_batch(batch([record(i, T0 + i) for i in range(1, 11)]))
    # Telegram now has 1..10 without 4 and 7; a refresh page proves [T0+3, T0+9).
    page = batch([record(i, T0 + i, f"v2 {i}") for i in (8, 6, 5, 3)])
    result = await cache.write_batch(page, Claim(T0 + 3, T0 + 9, frozenset({3, 5, 6, 8})))
    assert result.deleted == [4, 7]
    assert await cached_ids(cache) == [1, 2, 3, 5, 6, 8, 9, 10]
    assert await cache.coverage() == [(T0 + 3, T0 + 9)]
    # Rows outside the claim were not touched, even though this page did not carry them.
    texts = dict(await rows(cache, "SELECT message_id, message FROM messages"))
    assert texts[1] == "message 1" and texts[5] == "v2 5"


async def test_force_refresh_picks_up_edits_and_deletions(cache):
    history = History()
    for i in range(1, 301):
        history.post(i, T0 + i * 10)
    await fill(cache, history, T0, T0 + 5000, horizon=T0 + 10_000)
    history.edits[150] = "edited later"
    history.delete(42)
    history.delete(260)
    # Without force the range is covered: nothing is fetched, the stale copy is served.
    assert await fill(cache, history, T0, T0 + 5000, horizon=T0 + 10_000) == 0
    assert 42 in await cached_ids(cache)
    pages = await fill(cache, history, T0, T0 + 5000, horizon=T0 + 10_000, force=True)
    assert pages == 3
    assert await cached_ids(cache) == history.ids_between(T0, T0 + 5000)
    texts = dict(await rows(cache, "SELECT message_id, message FROM messages"))
    assert texts[150] == "edited later"
    assert await cache.coverage() == [(T0, T0 + 5000)]


async def test_refresh_that_dies_half_way_loses_nothing(cache):
    history = History()
    for i in range(1, 301):
        history.post(i, T0 + i * 10)
    await fill(cache, history, T0, T0 + 5000, horizon=T0 + 10_000)
    history.delete(290)  # newest part: seen by the first refresh page
    history.delete(10)  # oldest part: never reached
    await fill(cache, history, T0, T0 + 5000, horizon=T0 + 10_000, force=True, max_pages=1)
    ids = await cached_ids(cache)
    assert 290 not in ids
    assert 10 in ids  # not proven gone: kept
    assert len(ids) == 299
    assert await cache.coverage() == [(T0, T0 + 5000)]


# -- media rows -----------------------------------------------------------------------------


async def test_media_rows_and_record_fields(cache):
    rec = record(1, T0, media_type="photos", media_uuid="u-1", media_size=1001)
    await cache.write_batch(batch([rec], [media_row(1, "u-1")]))
    media = await cache.media.get("u-1")
    assert (media.message_id, media.status, media.file_path, media.thumb_size) == (
        1,
        "pending",
        None,
        "y",
    )
    assert (media.location_kind, media.file_id, media.access_hash, media.file_reference) == (
        "photo",
        10_001,
        77,
        b"ref",
    )


def photo_answer(message_id, photo_id, text="pic", file_reference=b"r1"):
    photo = raw.types.Photo(
        id=photo_id,
        access_hash=9,
        file_reference=file_reference,
        date=T0,
        dc_id=2,
        sizes=[raw.types.PhotoSize(type="y", w=10, h=10, size=5)],
    )
    message = raw.types.Message(
        id=message_id,
        peer_id=raw.types.PeerChannel(channel_id=1234567890),
        date=T0,
        message=text,
        media=raw.types.MessageMediaPhoto(photo=photo),
    )
    return raw.types.messages.Messages(
        messages=[message],
        chats=[],
        users=[],
        **newer_fields(raw.types.messages.Messages, topics=[]),
    )


async def test_media_uuid_is_stable_across_refetches(cache, manager):
    first = convert_messages(photo_answer(7, 500), CHANNEL)
    uuid = first.media[0].uuid
    await cache.write_batch(first)
    assert await cache.media.set_status("u-missing", "downloaded") is False
    assert await cache.media.set_status(uuid, "downloaded", file_path="media/x.jpg", size=5)

    again = convert_messages(photo_answer(7, 500, "pic edited", b"r2"), CHANNEL)
    assert again.media[0].uuid != uuid  # the converter mints a fresh one...
    result = await cache.write_batch(again)
    assert again.media[0].uuid == uuid  # ...and the store gives the stored one back
    assert again.records[0].media_uuid == uuid
    assert orjson.loads(result.json[0])["media_uuid"] == uuid
    media = await cache.media.get(uuid)
    assert (media.status, media.file_path, media.file_reference) == (
        "downloaded",
        "media/x.jpg",
        b"r2",
    )
    assert await rows(cache, "SELECT count(*) FROM media_files") == [(1,)]
    assert await manager.media_owner(uuid) is not None


async def test_edit_to_another_file_drops_the_old_row_and_file(cache, manager):
    first = convert_messages(photo_answer(7, 500), CHANNEL)
    old = first.media[0].uuid
    await cache.write_batch(first)
    cache.media_dir.mkdir(parents=True)
    (cache.media_dir / "old.jpg").write_bytes(b"jpeg")
    await cache.media.set_status(old, "downloaded", file_path="media/old.jpg")

    replaced = convert_messages(photo_answer(7, 501), CHANNEL)
    result = await cache.write_batch(replaced)
    assert result.removed_media == [old]
    assert await cache.media.get(old) is None
    assert not (cache.media_dir / "old.jpg").exists()
    assert await manager.media_owner(old) is None
    assert await manager.media_owner(replaced.media[0].uuid) is not None


async def test_deleted_message_takes_its_media_row(cache):
    rec = record(1, T0, media_type="photos", media_uuid="u-1")
    await cache.write_batch(batch([rec], [media_row(1, "u-1")]))
    result = await cache.write_batch(batch([]), Claim(T0, T0 + 1, frozenset()))
    assert (result.deleted, result.removed_media) == ([1], ["u-1"])
    assert await rows(cache, "SELECT count(*) FROM media_files") == [(0,)]


async def test_media_find_and_statuses(cache):
    records = [record(i, T0 + i, media_type="photos", media_uuid=f"u-{i}") for i in range(1, 6)]
    await cache.write_batch(batch(records, [media_row(i, f"u-{i}") for i in range(1, 6)]))
    await cache.media.set_status("u-2", "skipped_by_size", reason="over 10 MB")
    await cache.media.set_status("u-4", "failed", reason="FILE_REFERENCE_EXPIRED")
    assert [m.uuid for m in await cache.media.find(statuses=("pending",))] == ["u-1", "u-3", "u-5"]
    assert [m.uuid for m in await cache.media.find(start=T0 + 2, end=T0 + 4)] == ["u-2", "u-3"]
    assert [m.uuid for m in await cache.media.find(limit=2)] == ["u-1", "u-2"]
    assert (await cache.media.get("u-4")).reason == "FILE_REFERENCE_EXPIRED"
    assert await cache.media.set_location("u-4", file_reference=b"fresh")
    assert (await cache.media.get("u-4")).file_reference == b"fresh"
    with pytest.raises(ValueError, match="Unknown media status"):
        await cache.media.set_status("u-1", "lost")


# -- reading --------------------------------------------------------------------------------


@pytest.fixture
async def filled(cache):
    # 25 messages; three share each of the seconds T0+10 and T0+20.
    dates = {i: T0 + i for i in range(1, 20)} | {20: T0 + 10, 21: T0 + 10, 22: T0 + 20}
    dates |= {23: T0 + 20, 24: T0 + 20, 25: T0 + 30}
    await cache.write_batch(batch([record(mid, date) for mid, date in dates.items()]))
    order = sorted(dates, key=lambda mid: (dates[mid], mid))
    return cache, dates, order


async def read_ids(cache, *args, **kwargs):
    chunks = [c async for c in cache.read_range(*args, **kwargs)]
    ids = [[orjson.loads(blob)["message_id"] for blob in c.json] for c in chunks]
    for chunk, chunk_ids in zip(chunks, ids, strict=True):
        assert chunk.last_message_id == chunk_ids[-1]
    return ids


@pytest.mark.parametrize("batch_size", [1, 3, 5, 25, 1000])
async def test_read_oldest_first_in_batches(filled, batch_size):
    cache, _, order = filled
    ids = await read_ids(cache, 0, T0 + 1000, batch_size=batch_size)
    assert [mid for chunk in ids for mid in chunk] == order
    assert all(len(chunk) == batch_size for chunk in ids[:-1])


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
async def test_read_newest_first(filled, batch_size):
    cache, _, order = filled
    ids = await read_ids(cache, 0, T0 + 1000, newest_first=True, batch_size=batch_size)
    assert [mid for chunk in ids for mid in chunk] == order[::-1]


async def test_read_respects_half_open_range(filled):
    cache, dates, _ = filled
    ids = await read_ids(cache, T0 + 10, T0 + 20, batch_size=100)
    expected = sorted((m for m, d in dates.items() if T0 + 10 <= d < T0 + 20),
                      key=lambda m: (dates[m], m))  # fmt: skip
    assert ids == [expected]
    assert 22 not in expected and 20 in expected


@pytest.mark.parametrize("newest_first", [False, True])
async def test_resume_after_a_message_inside_a_shared_second(filled, newest_first):
    cache, _, order = filled
    if newest_first:
        order = order[::-1]
    for position, message_id in enumerate(order):
        key = await cache.message_key(message_id)
        ids = await read_ids(cache, 0, T0 + 1000, newest_first=newest_first, batch_size=2,
                             after=key)  # fmt: skip
        assert [mid for chunk in ids for mid in chunk] == order[position + 1 :]
    assert await cache.message_key(999) is None


async def test_empty_range_yields_nothing(filled):
    cache, _, _ = filled
    assert await read_ids(cache, T0 + 500, T0 + 600) == []
    with pytest.raises(ValueError):
        await read_ids(cache, 0, 1, batch_size=0)


async def test_payload_is_valid_json(filled):
    cache, _, order = filled
    (chunk,) = [c async for c in cache.read_range(0, T0 + 1000)]
    payload = orjson.loads(messages_payload(chunk.json))
    assert [m["message_id"] for m in payload["messages"]] == order
    assert messages_payload([]) == b'{"messages":[]}'


async def test_reading_while_a_write_transaction_is_open(filled):
    cache, _, order = filled
    writer = cache.database.writer
    async with cache.database.write_lock:
        await writer.execute("BEGIN IMMEDIATE")
        await writer.execute("DELETE FROM messages")
        # The reader sees the last committed state and is not blocked.
        ids = await asyncio.wait_for(read_ids(cache, 0, T0 + 1000, batch_size=100), 5)
        await writer.execute("ROLLBACK")
    assert ids == [order]


async def test_cancelled_writer_still_commits_its_page(cache):
    claim = Claim(T0, T0 + 1, frozenset({1}))
    task = asyncio.ensure_future(cache.write_batch(batch([record(1, T0)]), claim))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(500):  # the shielded write finishes on its own
        if await cache.coverage():
            break
        await asyncio.sleep(0.01)
    assert await cached_ids(cache) == [1]
    assert await cache.coverage() == [(T0, T0 + 1)]


# -- summary --------------------------------------------------------------------------------


async def test_summary(cache):
    records = [record(i, T0 + i * 100, media_type="photos", media_uuid=f"u-{i}") for i in (1, 2)]
    records.append(record(3, T0 + 50))
    first = batch(records, [media_row(1, "u-1", size=100), media_row(2, "u-2", size=300)])
    first.dialog = DialogInfo(CHANNEL, "channel", "Main", None)
    await cache.write_batch(first, Claim(T0, T0 + 1000, frozenset({1, 2, 3})))
    await cache.media.set_status("u-2", "downloaded", file_path="media/u-2.jpg", size=250)
    summary = await cache.summary()
    assert summary["dialog_id"] == CHANNEL
    assert summary["dialog"] == {"id": CHANNEL, "type": "channel", "title": "Main",
                                 "username": None}  # fmt: skip
    assert summary["coverage"] == [
        {
            "start": T0,
            "end": T0 + 1000,
            "start_date": "2023-11-14 22:13:20",
            "end_date": "2023-11-14 22:30:00",
        }
    ]
    assert summary["message_count"] == 3
    assert summary["oldest_message"] == {"message_id": 3, "date": "2023-11-14 22:14:10",
                                         "timestamp": T0 + 50}  # fmt: skip
    assert summary["newest_message"]["message_id"] == 2
    assert summary["media"] == {
        "count": 2,
        "by_status": {
            "pending": {"count": 1, "bytes": 100},
            "downloaded": {"count": 1, "bytes": 250},
        },
        "bytes_on_disk": 250,
    }
    assert summary["database_bytes"] > 0


async def test_summary_of_an_empty_cache(cache):
    summary = await cache.summary()
    assert summary["dialog"] is None
    assert (summary["coverage"], summary["message_count"]) == ([], 0)
    assert summary["oldest_message"] is None and summary["newest_message"] is None
    assert summary["media"] == {"count": 0, "by_status": {}, "bytes_on_disk": 0}


async def test_write_result_in_stream_order(cache):
    page = batch([record(5, T0 + 9), record(4, T0 + 9), record(3, T0 + 5), record(2, T0 - 1)])
    result = await cache.write_batch(page)
    ids = [orjson.loads(blob)["message_id"] for _, blob in result.in_order(T0, T0 + 10)]
    assert ids == [3, 4, 5]  # message 2 is before the range
    newest = result.in_order(T0, T0 + 10, newest_first=True)
    assert [key for key, _ in newest] == [(T0 + 9, 5), (T0 + 9, 4), (T0 + 5, 3)]
