"""Dialog databases: pragmas, schema version, migrations from older versions."""

import asyncio
import sqlite3
import threading

import aiosqlite
import pytest

from tests.cache_support import CHANNEL, batch, cached_ids, record
from tgscraper.cache.db import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Database,
    SchemaError,
    immediate_transaction,
    open_database,
)
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_index import MediaOwner
from tgscraper.cache.reader import read_range

T0 = 1_700_000_000


def old_database(path, version: int) -> None:
    """A database as an older tgscraper left it: migrations[:version] only, with data."""
    connection = sqlite3.connect(path)
    for migration in MIGRATIONS[:version]:
        connection.executescript(migration)
    connection.execute(f"PRAGMA user_version={version}")
    row = record(1, T0, "from v1")
    connection.execute(
        "INSERT INTO messages (message_id, date, message, is_forwarded, json) "
        "VALUES (?, ?, ?, 0, ?)",
        (row.message_id, row.date, row.message, row.to_json()),
    )
    connection.execute("INSERT INTO coverage (start_ts, end_ts) VALUES (?, ?)", (T0, T0 + 10))
    connection.commit()
    connection.close()


def columns(path, table):
    connection = sqlite3.connect(path)
    try:
        return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    finally:
        connection.close()


async def test_new_database_is_current_with_pragmas(tmp_path):
    database = await open_database(tmp_path / "d" / "x.db")
    try:
        writer = database.writer
        assert await writer.execute_fetchall("PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert await writer.execute_fetchall("PRAGMA journal_mode") == [("wal",)]
        assert await writer.execute_fetchall("PRAGMA foreign_keys") == [(1,)]
        assert await writer.execute_fetchall("PRAGMA synchronous") == [(1,)]  # NORMAL
        assert (await writer.execute_fetchall("PRAGMA busy_timeout"))[0][0] >= 5000
        async with database.reader() as reader:
            assert await reader.execute_fetchall("PRAGMA query_only") == [(1,)]
            with pytest.raises(sqlite3.OperationalError):
                await reader.execute("DELETE FROM messages")
    finally:
        await database.close()


async def test_migrates_a_version_1_database_keeping_its_data(tmp_path):
    path = tmp_path / "old.db"
    old_database(path, version=1)
    assert "fetched_at" not in columns(path, "messages")
    database = await open_database(path)
    cache = DialogCache(database, MediaOwner(CHANNEL, None, "channel"), None)
    try:
        assert await database.writer.execute_fetchall("PRAGMA user_version") == [(2,)]
        assert await cache.coverage() == [(T0, T0 + 10)]
        assert [c.json async for c in read_range(database, 0, T0 + 100)] == [
            [record(1, T0, "from v1").to_json()]
        ]
        await cache.write_batch(batch([record(2, T0 + 1)]))
        assert await cached_ids(cache) == [1, 2]
        fetched = await database.writer.execute_fetchall(
            "SELECT message_id, fetched_at IS NOT NULL FROM messages ORDER BY message_id"
        )
        assert fetched == [(1, 0), (2, 1)]
        indexes = await database.writer.execute_fetchall("PRAGMA index_list(media_files)")
        assert "media_files_by_status" in {row[1] for row in indexes}
    finally:
        await cache.close()
    assert "fetched_at" in columns(path, "messages")


async def test_reopening_a_current_database_changes_nothing(tmp_path):
    path = tmp_path / "x.db"
    database = await open_database(path)
    cache = DialogCache(database, MediaOwner(CHANNEL, None, "channel"), None)
    await cache.write_batch(batch([record(1, T0)]))
    await cache.close()
    database = await open_database(path)
    try:
        async with database.reader() as reader:
            assert await reader.execute_fetchall("SELECT message_id FROM messages") == [(1,)]
            assert await reader.execute_fetchall("PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert database.connections == 1  # reading a current database needs no writer
    finally:
        await database.close()


async def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(SchemaError, match="newer"):
        await open_database(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
    connection.close()


async def test_failed_migration_rolls_back(tmp_path):
    path = tmp_path / "broken.db"
    connection = sqlite3.connect(path)
    connection.executescript(MIGRATIONS[0])
    connection.execute("ALTER TABLE messages ADD COLUMN fetched_at INTEGER")  # v2 will clash
    connection.execute("PRAGMA user_version=1")
    connection.commit()
    connection.close()
    with pytest.raises(sqlite3.OperationalError, match="duplicate column"):
        await open_database(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone() == (1,)
    indexes = {row[1] for row in connection.execute("PRAGMA index_list(media_files)")}
    assert "media_files_by_status" not in indexes
    connection.close()


async def test_media_rows_need_their_message(tmp_path):
    database = await open_database(tmp_path / "x.db")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            await database.writer.execute(
                "INSERT INTO media_files (uuid, message_id, file_key, media_type, dc_id, "
                "location_kind, file_id, access_hash, file_reference) "
                "VALUES ('u', 404, 'photo:1', 'photos', 1, 'photo', 1, 1, x'00')"
            )
    finally:
        await database.close()


async def test_a_transaction_interrupted_after_its_commit_reports_the_interruption(tmp_path):
    """A cancelled caller can reach the rollback after its COMMIT already ran on the
    connection's thread: the cancellation, not "no transaction is active", comes out."""
    async with aiosqlite.connect(tmp_path / "t.db", isolation_level=None) as connection:
        await connection.execute("CREATE TABLE t (x)")
        with pytest.raises(asyncio.CancelledError):
            async with immediate_transaction(connection):
                await connection.execute("INSERT INTO t VALUES (1)")
                await connection.execute("COMMIT")  # what the cancelled caller's COMMIT did
                raise asyncio.CancelledError
        with pytest.raises(RuntimeError, match="before commit"):
            async with immediate_transaction(connection):
                await connection.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("before commit")
        assert await connection.execute_fetchall("SELECT x FROM t") == [(1,)]
        assert not connection.in_transaction


# -- connections: opened when needed, closed and reopened ------------------------------


def sqlite_threads() -> set[threading.Thread]:
    """aiosqlite's worker threads alive (compared as sets: threads of connections closed
    by earlier tests may still be ending)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def current_database(path) -> None:
    database = await open_database(path)
    cache = DialogCache(database, MediaOwner(CHANNEL, None, "channel"), None)
    await cache.write_batch(batch([record(1, T0), record(2, T0 + 1)]))
    await database.close()


async def test_connections_open_as_they_are_needed(tmp_path):
    path = tmp_path / "x.db"
    await current_database(path)
    threads_before = sqlite_threads()
    database = Database(path, readers=2)
    assert database.connections == 0
    await database.open()
    assert database.connections == 1  # one reader checked the schema
    assert len(sqlite_threads() - threads_before) == 1
    async with database.reader() as first:
        assert database.connections == 1
        async with database.reader() as second:  # two reads at once: a second reader
            assert second is not first
            assert database.connections == 2
    async with database.reader():
        assert database.connections == 2
    with pytest.raises(RuntimeError, match="write_lock"):
        _ = database.writer
    async with database.write_lock:  # the first write opens the writer
        await database.writer.execute("INSERT INTO coverage (start_ts, end_ts) VALUES (5, 6)")
    assert database.connections == 3
    assert len(sqlite_threads() - threads_before) == 3
    await database.close()
    assert database.connections == 0
    assert not sqlite_threads() - threads_before  # Database.close waits for them to end


async def test_reads_beyond_the_pool_wait_for_a_connection(tmp_path):
    path = tmp_path / "x.db"
    await current_database(path)
    database = await open_database(path, readers=1)
    try:
        got = asyncio.Event()

        async def read_count() -> int:
            async with database.reader() as connection:
                got.set()
                return (await connection.execute_fetchall("SELECT count(*) FROM messages"))[0][0]

        async with database.reader():
            waiting = asyncio.ensure_future(read_count())
            cancelled = asyncio.ensure_future(read_count())
            await asyncio.sleep(0.05)
            assert not got.is_set()  # no second connection: they wait for this one
            cancelled.cancel()
        assert await waiting == 2
        assert cancelled.cancelled()
        assert database.connections == 1
        async with database.reader() as connection:  # the pool still works
            assert await connection.execute_fetchall("SELECT 1") == [(1,)]
    finally:
        await database.close()


async def test_close_waits_for_work_in_progress_and_the_next_use_reopens(tmp_path):
    path = tmp_path / "x.db"
    await current_database(path)
    database = await open_database(path)
    async with database.reader() as connection:
        closing = database.start_close()
        later = asyncio.ensure_future(_messages(database))  # arrives while closing
        await asyncio.sleep(0.05)
        assert not closing.done() and not later.done()
        assert await connection.execute_fetchall("SELECT count(*) FROM messages") == [(2,)]
    await closing
    assert await later == [1, 2]  # waited for the close, then opened again
    assert database.opens == 2
    async with database.write_lock:
        closing = database.start_close()
        await asyncio.sleep(0.05)
        assert not closing.done()
        await database.writer.execute("DELETE FROM messages WHERE message_id = 1")
    await closing
    assert database.connections == 0
    assert await _messages(database) == [2]
    await database.close()


async def test_leases_mark_a_database_busy(tmp_path):
    database = await open_database(tmp_path / "x.db")
    try:
        assert not database.busy
        with database.hold():
            lease = database.hold()
            assert database.busy
        assert database.busy
        lease.release()
        lease.release()  # idempotent
        assert not database.busy
    finally:
        await database.close()


async def _messages(database: Database) -> list[int]:
    async with database.reader() as connection:
        rows = await connection.execute_fetchall("SELECT message_id FROM messages ORDER BY 1")
    return [row[0] for row in rows]


async def test_a_read_cancelled_while_its_connection_opens_leaves_nothing_behind(tmp_path):
    threads_before = sqlite_threads()
    database = await open_database(tmp_path / "new.db", readers=1)  # the writer only
    assert database.connections == 1

    async def count() -> int:
        async with database.reader() as connection:
            return (await connection.execute_fetchall("SELECT count(*) FROM messages"))[0][0]

    opening = asyncio.ensure_future(count())
    waiting = asyncio.ensure_future(count())  # no connection to spare: it waits
    await asyncio.sleep(0)
    opening.cancel()  # while its reader connects: the waiting read opens its own
    async with asyncio.timeout(10):
        assert await waiting == 0
    assert opening.cancelled()
    assert database.connections == 2
    await database.close()
    assert not sqlite_threads() - threads_before  # the orphaned connection was closed too
