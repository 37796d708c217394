"""Which database file a dialog lives in; how many stay open, and for how long.

Layout under ``data_dir`` (ids in Bot-API form)::

    channels/<id>/<id>.db + media/                    channels and supergroups (shared:
                                                      ids mean the same to every account)
    accounts/<account>/chats/<id>/<id>.db + media/    private chats, bots, Saved Messages
                                                      and basic groups (their message ids
                                                      are per account in Telegram)
    media_index.db                                    media uuid -> owning dialog

Access control is not the cache's job: the caller checks that the account can open the
chat before asking for a shared channel's cache.

Open databases are bounded. A server archiving hundreds of chats would otherwise keep a
thread and a few files per connection of every dialog it ever touched, until it hits the
open-file limit. Each dialog has one :class:`DialogCache` (and one ``Database``) while
anybody holds it; its connections are closed

* when more than ``max_open`` databases are open: the least recently used ones that are
  not busy, and
* when unused for ``idle_timeout`` seconds,

and open again on the next use, transparently. Busy means an operation running on it
(a read, a write: ``Database.close`` would wait for them anyway) or a lease: ``async with
manager.use(dialog_id, account) as cache`` or ``with cache.hold()`` around a stream, a
fill, a download, whose operations come and go. ``max_open`` is a soft cap: when more
databases than that are busy at once, they all stay open and the extra ones close as
they become idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from tgscraper.accounts import check_account_name
from tgscraper.cache.db import READERS, Database
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_index import MediaIndex, MediaOwner
from tgscraper.config import CHANNELS_DIR
from tgscraper.dialogs import PeerType, peer_type_of

ACCOUNTS_DIR = "accounts"
PER_ACCOUNT_TYPES: frozenset[PeerType] = frozenset({"user", "chat"})
#: open dialog databases kept at most (each: 1-3 connections, a thread and ~3 files each)
MAX_OPEN = 64
#: seconds a database stays open unused
IDLE_TIMEOUT_S = 300.0

_Key = tuple[int, str | None]


class CacheManager:
    def __init__(
        self,
        data_dir: Path | str,
        *,
        readers: int = READERS,
        max_open: int = MAX_OPEN,
        idle_timeout: float = IDLE_TIMEOUT_S,
    ):
        if max_open < 1 or idle_timeout <= 0:
            raise ValueError("max_open must be at least 1 and idle_timeout positive.")
        self.data_dir = Path(data_dir)
        self.max_open = max_open
        self.idle_timeout = idle_timeout
        self._readers = readers
        # one DialogCache and one Database per dialog while anybody holds them
        self._caches: weakref.WeakValueDictionary[_Key, DialogCache] = weakref.WeakValueDictionary()
        self._databases: weakref.WeakValueDictionary[_Key, Database] = weakref.WeakValueDictionary()
        # the databases with connections (opening, open or closing)
        self._open: set[Database] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._index: asyncio.Task[MediaIndex] | None = None
        self._closed = False

    # -- where -------------------------------------------------------------------------

    def owner_of(self, dialog_id: int, account: str | None) -> MediaOwner:
        """Whose cache a dialog is: channels are shared (account None), others per account."""
        peer_type = peer_type_of(dialog_id)
        if peer_type not in PER_ACCOUNT_TYPES:
            return MediaOwner(dialog_id, None, peer_type)
        if account is None:
            raise ValueError(f"Dialog {dialog_id} is a private chat or group: name the account.")
        return MediaOwner(dialog_id, check_account_name(account), peer_type)

    def database_path(self, owner: MediaOwner) -> Path:
        if owner.account is None:
            base = self.data_dir / CHANNELS_DIR
        else:
            base = self.data_dir / ACCOUNTS_DIR / owner.account / "chats"
        return base / str(owner.dialog_id) / f"{owner.dialog_id}.db"

    # -- getting a cache ---------------------------------------------------------------

    async def dialog(self, dialog_id: int, account: str | None) -> DialogCache:
        """The cache of a dialog as ``account`` sees it, open (created on first use).

        Nothing keeps it open after this returns: hold a lease (:meth:`use`,
        ``cache.hold()``) for work that spans many operations; the cache object stays
        valid either way (a closed one reopens on its next operation)."""
        if self._closed:
            raise RuntimeError("The cache is closed.")
        owner = self.owner_of(dialog_id, account)
        index = await self.media_index()
        key = (owner.dialog_id, owner.account)
        cache = self._caches.get(key)
        if cache is None:
            database = self._databases.get(key)
            if database is None:
                path = self.database_path(owner)
                database = Database(path, readers=self._readers, lifecycle=_Tracker(self))
                self._databases[key] = database
            cache = self._caches[key] = DialogCache(database, owner, index)
        await cache.database.open()
        return cache

    @contextlib.asynccontextmanager
    async def use(self, dialog_id: int, account: str | None) -> AsyncIterator[DialogCache]:
        """``async with manager.use(dialog_id, account) as cache:``: the cache, kept open
        for the whole block (a lease: see the module docstring)."""
        cache = await self.dialog(dialog_id, account)
        with cache.hold():
            yield cache

    async def existing_dialog(self, dialog_id: int, account: str | None) -> DialogCache | None:
        """The dialog's cache if anything was ever cached for it, else None (asking
        creates no database)."""
        owner = self.owner_of(dialog_id, account)
        known = (owner.dialog_id, owner.account) in self._databases
        if not known and not await asyncio.to_thread(self.database_path(owner).exists):
            return None
        return await self.dialog(dialog_id, account)

    # -- the media index ---------------------------------------------------------------

    async def media_index(self) -> MediaIndex:
        if self._index is None:
            self._index = asyncio.ensure_future(MediaIndex.open(self.data_dir / "media_index.db"))
        try:
            return await asyncio.shield(self._index)
        except asyncio.CancelledError:
            raise
        except BaseException:
            self._index = None
            raise

    async def media_owner(self, uuid: str) -> MediaOwner | None:
        """Which dialog (and account, for private chats and groups) holds a media uuid."""
        return await (await self.media_index()).lookup(uuid)

    # -- what is open ------------------------------------------------------------------

    @property
    def open_databases(self) -> int:
        """Dialog databases with connections now (opening, open or closing)."""
        return len(self._open)

    @property
    def open_connections(self) -> int:
        """SQLite connections of the dialog databases now (one thread each)."""
        return sum(database.connections for database in self._open)

    def is_open(self, dialog_id: int, account: str | None) -> bool:
        owner = self.owner_of(dialog_id, account)
        database = self._databases.get((owner.dialog_id, owner.account))
        return database is not None and database in self._open

    async def wait_closing(self) -> None:
        """Return once the closes started so far (cap, idle time) are done."""
        while self._closing:
            await asyncio.wait(set(self._closing))

    async def close(self) -> None:
        """Close every open database, waiting for the operations running on them; any
        later use raises RuntimeError (idempotent)."""
        self._closed = True
        if self._sweeper is not None:
            sweeper, self._sweeper = self._sweeper, None
            sweeper.cancel()
            await asyncio.wait([sweeper])
        for database in list(self._open):
            self._start_close(database)
        await self.wait_closing()
        if self._index is not None:
            index_task, self._index = self._index, None
            try:
                index = await index_task
            except Exception:
                return
            await index.close()

    # -- closing what is not needed ----------------------------------------------------

    def _opening(self, database: Database) -> None:
        if self._closed:
            raise RuntimeError("The cache is closed.")
        self._open.add(database)
        self._shrink()
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep())

    def _idle(self, database: Database) -> None:
        if len(self._open) > self.max_open:  # cheap test first: this runs after every read
            self._shrink()

    def _closed_now(self, database: Database) -> None:
        self._open.discard(database)

    def _shrink(self) -> None:
        """Close the least recently used idle databases beyond ``max_open`` (those
        closing already are on their way out: not counted)."""
        excess = sum(not database.closing for database in self._open) - self.max_open
        if excess <= 0:
            return
        idle = sorted(
            (database for database in self._open if not database.busy),
            key=lambda database: database.last_used,
        )
        for database in idle[:excess]:
            self._start_close(database)

    def _start_close(self, database: Database) -> None:
        task = database.start_close()
        if task not in self._closing:
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _sweep(self) -> None:
        """Close databases unused for ``idle_timeout``; ends when none is open."""
        try:
            while self._open:
                now = time.monotonic()
                deadline = now + self.idle_timeout
                for database in list(self._open):
                    if database.busy:
                        continue
                    expires = database.last_used + self.idle_timeout
                    if expires <= now:
                        self._start_close(database)
                    else:
                        deadline = min(deadline, expires)
                await asyncio.sleep(max(deadline - now, self.idle_timeout / 100))
        finally:
            if self._sweeper is asyncio.current_task():
                self._sweeper = None


class _Tracker:
    """A database's lifecycle reported to its manager (``db.Lifecycle``)."""

    def __init__(self, manager: CacheManager):
        self._manager = manager

    def opening(self, database: Database) -> None:
        self._manager._opening(database)

    def idle(self, database: Database) -> None:
        self._manager._idle(database)

    def closed(self, database: Database) -> None:
        self._manager._closed_now(database)
