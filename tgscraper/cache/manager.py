"""Which database file a dialog lives in; each opened once, shared, closed on shutdown.

Layout under ``data_dir`` (ids in Bot-API form)::

    channels/<id>/<id>.db + media/                    channels and supergroups (shared:
                                                      ids mean the same to every account)
    accounts/<account>/chats/<id>/<id>.db + media/    private chats, bots, Saved Messages
                                                      and basic groups (their message ids
                                                      are per account in Telegram)
    media_index.db                                    media uuid -> owning dialog

Access control is not the cache's job: the caller checks that the account can open the
chat before asking for a shared channel's cache.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tgscraper.accounts import check_account_name
from tgscraper.cache.db import READERS, open_database
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_index import MediaIndex, MediaOwner
from tgscraper.config import CHANNELS_DIR
from tgscraper.dialogs import PeerType, peer_type_of

ACCOUNTS_DIR = "accounts"
PER_ACCOUNT_TYPES: frozenset[PeerType] = frozenset({"user", "chat"})


class CacheManager:
    def __init__(self, data_dir: Path | str, *, readers: int = READERS):
        self.data_dir = Path(data_dir)
        self._readers = readers
        self._open: dict[tuple[int, str | None], asyncio.Task[DialogCache]] = {}
        self._index: asyncio.Task[MediaIndex] | None = None
        self._closed = False

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

    async def dialog(self, dialog_id: int, account: str | None) -> DialogCache:
        """The cache of a dialog as ``account`` sees it (opened on first use)."""
        if self._closed:
            raise RuntimeError("The cache is closed.")
        owner = self.owner_of(dialog_id, account)
        key = (owner.dialog_id, owner.account)
        task = self._open.get(key)
        if task is None:
            task = asyncio.ensure_future(self._open_dialog(owner))
            self._open[key] = task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            raise
        except BaseException:
            if self._open.get(key) is task:
                del self._open[key]  # let the next caller retry
            raise

    async def existing_dialog(self, dialog_id: int, account: str | None) -> DialogCache | None:
        """The dialog's cache if anything was ever cached for it, else None (asking
        creates no database)."""
        key = (dialog_id, self.owner_of(dialog_id, account).account)
        if key not in self._open:
            path = self.database_path(self.owner_of(dialog_id, account))
            if not await asyncio.to_thread(path.exists):
                return None
        return await self.dialog(dialog_id, account)

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

    async def close(self) -> None:
        """Close every open database (idempotent)."""
        self._closed = True
        tasks, self._open = list(self._open.values()), {}
        for task in tasks:
            try:
                cache = await task
            except Exception:
                continue
            await cache.close()
        if self._index is not None:
            index_task, self._index = self._index, None
            try:
                index = await index_task
            except Exception:
                return
            await index.close()

    async def _open_dialog(self, owner: MediaOwner) -> DialogCache:
        index = await self.media_index()
        database = await open_database(self.database_path(owner), readers=self._readers)
        return DialogCache(database, owner, index)
