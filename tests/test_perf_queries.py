"""The paged queries of the cache (history reads, media scans) walk an index in the order
they page in: each batch costs its own rows, never a sort of every matching row again
(which makes paging through N rows quadratic). Checked on the query plans SQLite chose
for the statements the cache really ran."""

from __future__ import annotations

import contextlib
import sqlite3

from tests.cache_support import CHANNEL, batch, media_row, record
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.records import DISABLED, DOWNLOADED, FAILED, PENDING

BASE = 1_700_000_000


async def cache_with_media(tmp_path):
    manager = CacheManager(tmp_path, readers=1)
    cache = await manager.dialog(CHANNEL, None)
    records, media = [], []
    for message_id in range(1, 3001):
        fields = {}
        if message_id % 10 == 0:
            row = media_row(message_id, f"{message_id * 7919 % 3001:08d}-uuid")
            media.append(row)
            fields = {"media_type": "photos", "media_uuid": row.uuid}
        records.append(record(message_id, BASE + message_id // 3, **fields))
    for page in range(0, 3000, 500):
        chosen = {r.message_id for r in records[page : page + 500]}
        await cache.write_batch(
            batch(records[page : page + 500], [m for m in media if m.message_id in chosen])
        )
    for index, row in enumerate(media):
        status = (PENDING, DISABLED, DOWNLOADED, FAILED)[index % 4]
        await cache.media.set_status(row.uuid, status, file_path=f"media/{row.uuid}")
    return manager, cache


async def statements_run(cache, reads) -> list[str]:
    """The SELECT statements (parameters bound) the reader connection ran for ``reads``."""
    seen: list[str] = []
    async with cache.database.reader() as connection:
        await connection.set_trace_callback(seen.append)
    try:
        await reads()
    finally:
        async with cache.database.reader() as connection:
            await connection.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]


def plan(database, sql: str) -> str:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return " | ".join(row[-1] for row in rows)


async def test_history_reads_page_along_the_date_index_both_ways(tmp_path):
    manager, cache = await cache_with_media(tmp_path)

    async def reads():
        for newest_first in (False, True):
            async for _ in cache.read_range(BASE, BASE + 900, newest_first=newest_first,
                                            batch_size=100):  # fmt: skip
                pass
        async for _ in cache.read_range(BASE, BASE + 900, batch_size=100, after=(BASE + 5, 17)):
            pass

    statements = await statements_run(cache, reads)
    assert len(statements) >= 3 * 9
    for sql in statements:
        chosen = plan(cache.database.path, sql)
        assert "TEMP B-TREE" not in chosen, (sql, chosen)
        assert "messages_by_date" in chosen, (sql, chosen)
    await manager.close()


async def test_media_scans_page_along_the_uuid_index(tmp_path):
    manager, cache = await cache_with_media(tmp_path)
    found: list[list[str]] = []

    async def reads():
        for statuses, start, end in (
            ((PENDING, DISABLED, DOWNLOADED), BASE, BASE + 800),  # the media review's scan
            (None, None, None),  # the repair's
            ((FAILED,), None, None),
        ):
            uuids = []
            async for rows in cache.media.scan(statuses=statuses, start=start, end=end,
                                               batch_size=20):  # fmt: skip
                uuids += [row.uuid for row in rows]
            found.append(uuids)

    statements = await statements_run(cache, reads)
    assert len(statements) >= 3
    for sql in statements:
        chosen = plan(cache.database.path, sql)
        assert "TEMP B-TREE" not in chosen, (sql, chosen)
    # and the answers are what they were: every matching row once, in uuid order
    async with cache.database.reader() as connection:
        rows = await connection.execute_fetchall(
            "SELECT f.uuid, f.status, m.date FROM media_files AS f JOIN messages AS m "
            "USING (message_id) ORDER BY f.uuid"
        )
    reviewed = [u for u, s, d in rows if s in (PENDING, DISABLED, DOWNLOADED) and d < BASE + 800]
    assert found[0] == reviewed and len(reviewed) > 100
    assert found[1] == [u for u, _, _ in rows]
    assert found[2] == [u for u, s, _ in rows if s == FAILED]
    await manager.close()


async def test_the_cache_summary_reads_indexes_not_the_stored_json(tmp_path):
    manager, cache = await cache_with_media(tmp_path)
    summaries = []

    async def reads():
        for hidden_up_to in (0, 1500):
            summaries.append(await cache.summary(hidden_up_to))

    statements = await statements_run(cache, reads)
    message_reads = [sql for sql in statements if "FROM messages" in sql]
    assert len(message_reads) == 2 * 3  # count, oldest, newest
    for sql in message_reads:
        chosen = plan(cache.database.path, sql)
        assert "TEMP B-TREE" not in chosen, (sql, chosen)
        assert "messages_by_date" in chosen, (sql, chosen)  # never a walk of the rows
    everything, later = summaries
    assert (everything["message_count"], later["message_count"]) == (3000, 1500)
    assert (everything["media"]["count"], later["media"]["count"]) == (300, 150)
    assert later["oldest_message"]["message_id"] == 1501
    await manager.close()
