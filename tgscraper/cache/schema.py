"""The dialog database schema: tables, migrations, and the transaction they run in.

The schema version is ``PRAGMA user_version``: the number of entries of ``MIGRATIONS``
applied. :func:`migrate` applies the missing ones in one transaction; a database from
a newer tgscraper (a version we do not know) is refused rather than guessed at. A migration
that changes the message JSON must re-encode ``messages.json`` from the columns
(``MessageRecord.from_row``), which is why every record field is also a column.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

import aiosqlite

from tgscraper.cache.records import MEDIA_STATUSES

_STATUSES = ", ".join(f"'{status}'" for status in MEDIA_STATUSES)

# Version 1: the first schema.
_V1 = f"""
CREATE TABLE dialog (
    id INTEGER PRIMARY KEY,
    type TEXT,
    title TEXT,
    username TEXT
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    username TEXT
);
CREATE TABLE messages (
    message_id INTEGER PRIMARY KEY,
    date INTEGER NOT NULL,
    edit_date INTEGER,
    sender_id INTEGER,
    first_name TEXT,
    last_name TEXT,
    username TEXT,
    message TEXT,
    reply_to INTEGER,
    reply_quote_text TEXT,
    reply_quote_offset INTEGER,
    post_author TEXT,
    is_forwarded INTEGER NOT NULL DEFAULT 0,
    forwarded_from_channel_id INTEGER,
    forwarded_from_user_id INTEGER,
    forwarded_from_name TEXT,
    forwarded_from_date INTEGER,
    media_type TEXT,
    media_uuid TEXT,
    media_size INTEGER,
    media_original_filename TEXT,
    views INTEGER,
    forwards INTEGER,
    replies INTEGER,
    grouped_id INTEGER,
    action TEXT,
    action_data TEXT,
    json BLOB NOT NULL
);
CREATE INDEX messages_by_date ON messages (date, message_id);
CREATE TABLE media_files (
    uuid TEXT PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (message_id) ON DELETE CASCADE,
    file_key TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER,
    mime_type TEXT,
    original_filename TEXT,
    file_path TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ({_STATUSES})),
    reason TEXT,
    dc_id INTEGER NOT NULL,
    location_kind TEXT NOT NULL CHECK (location_kind IN ('photo', 'document')),
    file_id INTEGER NOT NULL,
    access_hash INTEGER NOT NULL,
    file_reference BLOB NOT NULL,
    thumb_size TEXT NOT NULL DEFAULT '',
    UNIQUE (message_id, file_key)
);
CREATE TABLE coverage (
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    CHECK (start_ts < end_ts)
);
CREATE INDEX coverage_by_start ON coverage (start_ts);
"""

# Version 2: when each message row was last written from Telegram (cache summary,
# staleness), and media lookups by download state (the media queue, summaries).
_V2 = """
ALTER TABLE messages ADD COLUMN fetched_at INTEGER;
CREATE INDEX media_files_by_status ON media_files (status);
"""

Migration = str | Callable[[aiosqlite.Connection], Awaitable[None]]
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database file was written by a newer tgscraper (or is not ours)."""


@contextlib.asynccontextmanager
async def immediate_transaction(connection: aiosqlite.Connection) -> AsyncIterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any failure or cancellation.

    aiosqlite runs statements in order on the connection's thread, and a statement whose
    awaiting task was cancelled still runs there: a cancellation can arrive after COMMIT
    (or before BEGIN) really ran. The ROLLBACK is queued behind them, and its "no
    transaction is active" is then expected, not an error to replace the real one.
    """
    try:
        await connection.execute("BEGIN IMMEDIATE")
        yield
        await connection.execute("COMMIT")
    except BaseException:
        try:
            await connection.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise
        raise


async def migrate(connection: aiosqlite.Connection) -> int:
    """Apply the missing migrations in one transaction; returns the version found."""
    async with immediate_transaction(connection):
        ((found,),) = await connection.execute_fetchall("PRAGMA user_version")
        if found > SCHEMA_VERSION:
            raise SchemaError(
                f"Cache database schema version {found} is newer than this tgscraper "
                f"supports ({SCHEMA_VERSION}); upgrade tgscraper to use it."
            )
        for migration in MIGRATIONS[found:]:
            if isinstance(migration, str):
                for statement in _statements(migration):
                    await connection.execute(statement)
            else:
                await migration(connection)
        if found != SCHEMA_VERSION:
            await connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return found


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction first; run statement by statement.
    return [statement.strip() for statement in script.split(";") if statement.strip()]
