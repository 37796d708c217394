"""One dialog's SQLite database: its connections and their lifecycle, pragmas.

A :class:`Database` holds at most one writer connection (every write of the dialog goes
through it, serialised by :attr:`Database.write_lock`) and a small pool of reader
connections. WAL lets readers run while a write transaction is open, so a stream reading
the cache is never blocked by a fill writing it.

Connections are opened when needed and can all be closed at any time nothing runs on
them: the first use checks the schema on one connection (the writer when it must
migrate, else the first reader), the writer opens on the first write, a second reader
only when two reads overlap. Each connection is a worker thread (aiosqlite) and a few
open files, so a server touching hundreds of dialogs must not keep them all:
:meth:`Database.close` waits for the reads and writes in progress and closes every
connection, and the next use opens again, transparently. Who closes, and when, is the
owner's decision (``manager.py``: a cap on open databases, idle closing), told through
:class:`Lifecycle`; ``hold()`` leases mark a database in use between operations (a
stream, a fill, a download) so that the owner leaves it open.

Operations never nest: code holding a reader or the write lock never asks this database
for another (a close waiting for the first would wait forever).

The schema and its migrations are ``schema.py`` (names re-exported here).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import aiosqlite

from tgscraper.cache.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaError,
    immediate_transaction,
    migrate,
)

__all__ = [
    "MIGRATIONS",
    "READERS",
    "SCHEMA_VERSION",
    "Database",
    "Lease",
    "Lifecycle",
    "SchemaError",
    "immediate_transaction",
    "migrate",
    "open_database",
]

log = logging.getLogger(__name__)

READERS = 2
#: 1 ms each: how long a closed connection's thread may take to end
THREAD_EXIT_POLLS = 1000
BUSY_TIMEOUT_MS = 10_000

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA temp_store=MEMORY",
)


class Lifecycle(Protocol):
    """What the owner of a :class:`Database` is told (``CacheManager``). Called
    synchronously; ``opening`` may raise to refuse the open (the owner is closed)."""

    def opening(self, database: Database) -> None: ...

    def idle(self, database: Database) -> None:
        """Nothing runs on the database and nobody holds it any more."""

    def closed(self, database: Database) -> None: ...


class Database:
    """One dialog database's connections (see the module docstring).

    ``reader()`` and ``write_lock`` are the operations; ``hold()`` leases; ``close()``
    closes (the next operation reopens). ``busy`` is what an owner must not close."""

    def __init__(self, path: Path, *, readers: int = READERS, lifecycle: Lifecycle | None = None):
        if readers < 1:
            raise ValueError("A database needs at least one reader connection.")
        self.path = path
        self.max_readers = readers
        self.lifecycle = lifecycle
        #: ``async with database.write_lock:`` then use ``database.writer``
        self.write_lock = _WriteAccess(self)
        #: when an operation or a lease last ended (``time.monotonic()``)
        self.last_used = time.monotonic()
        #: how many times the connections were opened (reopens after a close included)
        self.opens = 0
        self._writer: aiosqlite.Connection | None = None
        self._mutex = asyncio.Lock()
        self._readers: list[aiosqlite.Connection] = []
        self._idle: list[aiosqlite.Connection] = []
        self._waiting: collections.deque[asyncio.Future[aiosqlite.Connection | None]]
        self._waiting = collections.deque()
        self._new_readers = 0
        self._active = 0
        self._leases = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._open = False
        self._opening: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task] = set()

    # -- state -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Connections are open (or being opened or closed)."""
        return self._open or self._opening is not None or self._closing is not None

    @property
    def closing(self) -> bool:
        return self._closing is not None

    @property
    def connections(self) -> int:
        """Open connections (each one a thread)."""
        return len(self._readers) + (self._writer is not None)

    @property
    def busy(self) -> bool:
        """Held by a lease, an operation running, or opening/closing: not to be closed."""
        return bool(self._leases or self._active or self._opening or self._closing)

    @property
    def writer(self) -> aiosqlite.Connection:
        """The writer connection: use it inside ``async with write_lock`` (which opens it)."""
        if self._writer is None:
            raise RuntimeError(f"No writer is open on {self.path}: enter write_lock first.")
        return self._writer

    # -- operations --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a reader connection for one or a few queries (never across a yield to
        a slow consumer: return it between batches so other streams can read)."""
        await self._begin()
        try:
            connection = await self._borrow()
            try:
                yield connection
            finally:
                self._hand_over(connection)
        finally:
            self._end()

    def hold(self) -> Lease:
        """Mark the database in use until the lease is released (``with`` or
        ``release()``): its owner will not close it in the meantime."""
        self._leases += 1
        return Lease(self)

    async def open(self) -> None:
        """Open (check the schema, create the file if needed); nothing if already open."""
        while True:
            if self._closing is not None:
                await asyncio.shield(self._closing)
            elif self._open:
                return
            else:
                if self._opening is None:
                    self._opening = asyncio.ensure_future(self._open_connections())
                await asyncio.shield(self._opening)

    async def close(self) -> None:
        """Close every connection once the reads and writes in progress are done (an
        orphaned, shielded page write commits first). A failure to close one connection
        never leaves the others open: their worker threads would keep the process from
        exiting. The next operation opens the database again."""
        await asyncio.shield(self.start_close())

    def start_close(self) -> asyncio.Task[None]:
        """Begin closing now (operations arriving from here on wait, then reopen)."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_connections())
        return self._closing

    # -- inside ------------------------------------------------------------------------

    async def _begin(self) -> None:
        while not self._open or self._closing is not None:
            await self.open()
        self._active += 1
        self._quiet.clear()

    def _end(self) -> None:
        self._active -= 1
        self.last_used = time.monotonic()
        if self._active == 0:
            self._quiet.set()
            self._now_idle()

    def _release_lease(self) -> None:
        self._leases -= 1
        self.last_used = time.monotonic()
        self._now_idle()

    def _now_idle(self) -> None:
        if not self.busy and self.lifecycle is not None:
            self.lifecycle.idle(self)

    async def _borrow(self) -> aiosqlite.Connection:
        while True:
            if self._idle:
                return self._idle.pop()
            if len(self._readers) + self._new_readers < self.max_readers:
                self._new_readers += 1
                try:
                    connection = await self._connect(query_only=True)
                except BaseException:
                    self._new_readers -= 1
                    self._hand_over(None)  # a waiting reader may open one itself
                    raise
                self._new_readers -= 1
                self._readers.append(connection)
                return connection
            waiter: asyncio.Future[aiosqlite.Connection | None]
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                connection = await waiter
            except asyncio.CancelledError:
                if not waiter.done():
                    self._waiting.remove(waiter)
                elif not waiter.cancelled():
                    self._hand_over(waiter.result())  # ours arrived too late: pass it on
                raise
            if connection is not None:
                return connection

    def _hand_over(self, connection: aiosqlite.Connection | None) -> None:
        """To the first reader waiting: a connection, or None (try opening one);
        a connection nobody waits for goes back to the pool."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)

    async def _connect(self, *, query_only: bool) -> aiosqlite.Connection:
        """A new connection, opened by a task of its own: a caller cancelled while it
        opens leaves a connection nobody owns, which the task then closes."""
        task = asyncio.ensure_future(_connect(self.path, query_only=query_only))
        self._track(task)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._close_orphan)
            raise

    def _close_orphan(self, task: asyncio.Task[aiosqlite.Connection]) -> None:
        if not task.cancelled() and task.exception() is None:
            self._track(asyncio.ensure_future(_close(task.result(), self.path)))

    def _track(self, task: asyncio.Task) -> None:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _open_connections(self) -> None:
        try:
            if self.lifecycle is not None:
                self.lifecycle.opening(self)  # may refuse: nothing to undo then
            try:
                await self._first_connection()
            except BaseException:
                if self.lifecycle is not None:
                    self.lifecycle.closed(self)
                raise
            self._open = True
            self.opens += 1
            self.last_used = time.monotonic()
        finally:
            self._opening = None

    async def _first_connection(self) -> None:
        """Create the file if need be and check the schema: on a reader in the usual
        case (a current database), on the writer when it must migrate."""
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        connection = await _connect(self.path, query_only=False)
        try:
            ((version,),) = await connection.execute_fetchall("PRAGMA user_version")
            if version == SCHEMA_VERSION:
                await connection.execute("PRAGMA query_only=ON")
                self._readers.append(connection)
                self._idle.append(connection)
            else:
                await migrate(connection)
                self._writer = connection
        except BaseException:
            await connection.close()
            raise

    async def _close_connections(self) -> None:
        try:
            if self._opening is not None:
                await asyncio.wait([self._opening])
            await self._quiet.wait()
            while self._pending:
                await asyncio.wait(set(self._pending))
            connections = [*self._readers, *([self._writer] if self._writer else [])]
            self._writer, self._readers, self._idle, self._open = None, [], [], False
            for connection in connections:
                await _close(connection, self.path)
        finally:
            self._closing = None
            if self.lifecycle is not None:
                self.lifecycle.closed(self)


class Lease:
    """A database marked in use (:meth:`Database.hold`); ``release()`` is idempotent."""

    def __init__(self, database: Database):
        self._database: Database | None = database

    def release(self) -> None:
        if self._database is not None:
            database, self._database = self._database, None
            database._release_lease()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _WriteAccess:
    """``async with database.write_lock``: the writer to oneself (opened if need be)."""

    def __init__(self, database: Database):
        self._database = database

    def locked(self) -> bool:
        return self._database._mutex.locked()

    async def __aenter__(self) -> None:
        database = self._database
        await database._begin()
        try:
            await database._mutex.acquire()
            try:
                if database._writer is None:
                    database._writer = await database._connect(query_only=False)
            except BaseException:
                database._mutex.release()
                raise
        except BaseException:
            database._end()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._database._mutex.release()
        self._database._end()


async def open_database(path: Path, *, readers: int = READERS) -> Database:
    """Open (creating if needed) a dialog database, migrated to ``SCHEMA_VERSION``."""
    database = Database(path, readers=readers)
    await database.open()
    return database


async def _connect(path: Path, *, query_only: bool) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    connection = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in _PRAGMAS:
            await connection.execute(pragma)
        if query_only:
            await connection.execute("PRAGMA query_only=ON")
    except BaseException:
        await connection.close()
        raise
    return connection


async def _close(connection: aiosqlite.Connection, path: Path) -> None:
    """Close a connection and let its worker thread end: aiosqlite's close returns as the
    thread is about to exit, and a closed database should leave no thread behind (the
    thread is private to aiosqlite: without it, closing is all we can do)."""
    try:
        await connection.close()
    except Exception:
        log.exception("Could not close a connection to %s", path)
        return
    thread = getattr(connection, "_thread", None)
    for _ in range(THREAD_EXIT_POLLS):
        if not isinstance(thread, threading.Thread) or not thread.is_alive():
            return
        await asyncio.sleep(0.001)
    log.warning("A connection's thread to %s is still running after its close", path)
