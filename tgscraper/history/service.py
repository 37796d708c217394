"""The history service (``app[HISTORY]``): the fills running in this server (one
registry, so concurrent requests share them: single-flight), its media listeners, and
its shutdown. How one request is served is ``run.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pyrogram

from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.manager import CacheManager
from tgscraper.settings import SettingsStore
from tgscraper.telegram.access import ResolvedDialog
from tgscraper.telegram.sessions import SessionManager
from tgscraper.web.errors import ApiError

from .events import HistoryEvent
from .fill import FillJob, GapFill, MediaListener
from .run import HistoryRequest, Run
from .visibility import Floors

_FillKey = tuple[int, str | None]


class HistoryService:
    """The fills running in this server, and how requests are served (``run.py``)."""

    def __init__(self, cache: CacheManager, sessions: SessionManager, settings: SettingsStore):
        self.cache = cache
        self.sessions = sessions
        self.settings = settings
        self._fills: dict[_FillKey, list[GapFill]] = {}
        self._media_listeners: list[MediaListener] = []
        self.floors = Floors()
        self._closed = False

    def add_media_listener(self, listener: MediaListener) -> None:
        """``listener(account, dialog_cache, media_rows)`` is called (synchronously: queue
        the work, never download inline) after each page that stored media rows."""
        self._media_listeners.append(listener)

    def run(self, request: HistoryRequest) -> AsyncIterator[HistoryEvent]:
        return Run(self, request).events()

    @property
    def running(self) -> int:
        """Fills running now (all dialogs)."""
        return len(self.fills())

    def fills(self) -> list[GapFill]:
        """Every fill running now."""
        return [fill for fills in self._fills.values() for fill in fills]

    def active_fills(self, cache: DialogCache) -> list[GapFill]:
        return list(self._fills.get(_key_of(cache), ()))

    def start_fill(self, job: FillJob, start: int, end: int, *, newest_first: bool) -> GapFill:
        if self._closed:
            raise ApiError(503, "shutting_down", "The server is shutting down.")
        fill = GapFill(job, start, end, newest_first=newest_first)
        key = _key_of(job.cache)
        self._fills.setdefault(key, []).append(fill)
        fill.on_finish = lambda done: self._forget(key, done)
        fill.start_task()
        return fill

    def _forget(self, key: _FillKey, fill: GapFill) -> None:
        fills = self._fills.get(key, [])
        if fill in fills:
            fills.remove(fill)
        if not fills:
            self._fills.pop(key, None)

    def job(
        self,
        account: str,
        client: pyrogram.Client,
        dialog: ResolvedDialog,
        cache: DialogCache,
        *,
        horizon: int | None = None,
    ) -> FillJob:
        current = self.settings.current
        return FillJob(
            horizon=horizon,
            account=account,
            client=client,
            dialog=dialog,
            cache=cache,
            batch_size=current.telegram_batch_size,
            concurrency=current.history_concurrency,
            max_flood_wait_s=current.max_flood_wait_s,
            media_listeners=self._media_listeners,
        )

    async def close(self) -> None:
        """Stop every fill (shutdown); what they committed stays."""
        self._closed = True
        fills = self.fills()
        for fill in fills:
            if fill.task is not None:
                fill.task.cancel()
        await asyncio.gather(
            *(fill.task for fill in fills if fill.task is not None), return_exceptions=True
        )


def _key_of(cache: DialogCache) -> _FillKey:
    return (cache.dialog_id, cache.owner.account)
