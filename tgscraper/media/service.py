"""The media service (``app[MEDIA]``): which files are fetched, when, and only once.

* :meth:`MediaService.notice` is history's media listener (``HistoryService.
  add_media_listener``): called with the rows of each stored page, it returns at once; a
  background task applies the policy (``policy.automatic``), records skips
  (``skipped_by_type`` / ``skipped_by_size`` / ``disabled`` with the reason) and queues the
  rest. Streams never wait for a download.
* :meth:`settle` does the same and waits: ``POST /sync`` reports exact counts from it. A
  file the sync's own pages already had downloaded in the background before ``settle``
  ran still counts, because the service remembers when each recent download finished.
* :meth:`fetch` is an on-demand download (``GET /files/{uuid}``): it starts at once,
  outside the pool, or joins the download of that file already running.
* :meth:`repair` (``POST /media/repair/{dialog}``) and :meth:`review` (serving cached
  history with ``repair_media`` on) queue what the settings allow now: skipped files,
  files never decided, failed ones (repair only), files missing or truncated on disk.

Queued downloads run in a pool per account of ``media_concurrency`` workers (read when
work arrives, so a PATCH applies to the next downloads). Single flight: one download per
uuid at a time, whoever asks; a waiter that goes away never cancels it.

The tasks are the service's own (the listener is synchronous, so work starts with
``asyncio.ensure_future``); :meth:`close` cancels them on shutdown, before the Telegram
clients stop. A cancelled download keeps its recorded parts and resumes next time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_files import MediaFile
from tgscraper.cache.records import (
    DISABLED,
    DOWNLOADED,
    PENDING,
    SKIPPED_BY_SIZE,
    SKIPPED_BY_TYPE,
    MediaRow,
)
from tgscraper.media import policy
from tgscraper.media.downloader import DownloadOptions
from tgscraper.media.fetcher import FileFetcher, MediaGone, present
from tgscraper.media.partfile import remove_orphans
from tgscraper.media.reviews import ChatReviews, ReviewLog
from tgscraper.settings import SettingsStore
from tgscraper.telegram.sessions import SessionManager

log = logging.getLogger(__name__)

__all__ = ["MediaCounts", "MediaGone", "MediaService", "RepairReport"]

#: how many finished downloads are remembered (uuid -> loop time) for settle's counts
RECENTLY_FINISHED = 50_000

#: what serving cached history looks at again (failed files wait for an explicit repair)
REVIEWED = (PENDING, SKIPPED_BY_TYPE, SKIPPED_BY_SIZE, DISABLED, DOWNLOADED)


@dataclass(slots=True)
class MediaCounts:
    """What happened to the files of one sync: downloaded now, skipped by the settings,
    failed (the row says why)."""

    downloaded: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(slots=True)
class RepairReport:
    queued: int = 0
    already_present: int = 0
    still_skipped: int = 0


@dataclass(eq=False)
class _Download:
    account: str
    cache: DialogCache
    uuid: str
    future: asyncio.Future[MediaFile]
    started: bool = False


@dataclass(eq=False)
class _Pool:
    waiting: deque[_Download] = field(default_factory=deque)
    #: workers alive: ``running`` a download, the others about to take a waiting one
    workers: int = 0
    running: int = 0


class MediaService:
    def __init__(
        self,
        settings: SettingsStore,
        sessions: SessionManager,
        *,
        options: DownloadOptions | None = None,
    ):
        self._settings = settings
        self.fetcher = FileFetcher(settings, sessions, options or DownloadOptions())
        self._downloads: dict[str, _Download] = {}
        self._finished: OrderedDict[str, float] = OrderedDict()
        self._pools: dict[str, _Pool] = {}
        self._reviews = ReviewLog()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # -- what other parts call -----------------------------------------------------------

    def notice(self, account: str, cache: DialogCache, rows: list[MediaRow]) -> None:
        """History's media listener: decide and queue these rows in the background."""
        if rows and not self._closed:
            self._spawn(self._decide(account, cache, [row.uuid for row in rows], wait=False))

    async def settle(
        self, account: str, cache: DialogCache, uuids: Iterable[str], *, since: float
    ) -> MediaCounts:
        """Decide these files, download what the settings allow and wait for it. Files
        whose download finished at or after ``since`` (``asyncio`` loop time: when the
        caller started) count as downloaded by this call."""
        return await self._decide(account, cache, list(uuids), wait=True, since=since)

    async def fetch(self, account: str, cache: DialogCache, uuid: str) -> MediaFile:
        """Download one file now (or join its running download); its downloaded row.
        Raises MediaGone, ApiError (flood wait), DownloadError or pyrogram's errors."""
        job = self._downloads.get(uuid) or self._register(account, cache, uuid)
        if not job.started:
            job.started = True  # a pool worker that reaches it skips it
            self._spawn(self._run(job))
        return await asyncio.shield(job.future)

    async def repair(
        self, account: str, cache: DialogCache, *, hidden_up_to: int = 0
    ) -> RepairReport:
        """Queue every file of the dialog the settings allow and that is not on disk
        (failed ones included); count what is already there and what stays skipped.
        Files of messages up to ``hidden_up_to`` (``ResolvedDialog.hidden_up_to``: hidden
        from this account) are neither counted nor touched. Partial downloads of files
        the dialog no longer has are deleted."""
        report = RepairReport()
        unfinished: set[str] = set()
        async for batch in cache.media.scan():
            on_disk = await present(cache, batch)
            for media in batch:
                if media.message_id <= hidden_up_to:
                    if media.uuid not in on_disk:
                        unfinished.add(media.uuid)  # its parts are not orphans
                    continue
                if media.uuid in on_disk:
                    report.already_present += 1
                    continue
                unfinished.add(media.uuid)
                queued = media.uuid in self._downloads
                if queued or await self._reconsider(account, cache, media):
                    report.queued += 1
                else:
                    report.still_skipped += 1
        await remove_orphans(cache.media_dir, unfinished | set(self._downloads))
        return report

    def review(
        self, account: str, cache: DialogCache, start: int, end: int, *, hidden_up_to: int = 0
    ) -> None:
        """Serving cached history: with ``repair_media`` on, queue in the background what
        was skipped and is allowed now, and files missing on disk, in ``[start, end)``
        (never files of messages up to ``hidden_up_to``, hidden from this account).
        Ranges wait their turn per chat; a range already reviewed under the current
        settings is not looked at again (``reviews.py``)."""
        settings = self._settings.current
        if self._closed or not settings.repair_media:
            return
        chat = self._reviews.of(account, cache.dialog_id)
        chat.hidden_up_to = hidden_up_to
        if chat.add((start, end), settings) and not chat.running:
            chat.running = True
            self._spawn(self._review(account, cache, chat))

    async def close(self) -> None:
        """Cancel every download and task (shutdown); parts written so far stay."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.fetcher.close()

    # -- deciding ------------------------------------------------------------------------

    async def _decide(
        self,
        account: str,
        cache: DialogCache,
        uuids: list[str],
        *,
        wait: bool,
        since: float | None = None,
    ) -> MediaCounts:
        counts = MediaCounts()
        jobs: list[_Download] = []
        settings = self._settings.current
        for uuid in uuids:
            job = self._downloads.get(uuid)  # queued or running already: wait for it
            if job is None:
                media = await cache.media.get(uuid)
                if media is None:
                    continue  # gone
                if media.status == DOWNLOADED:
                    if since is not None and self._finished.get(uuid, -1.0) >= since:
                        counts.downloaded += 1  # by this call's pages, in the background
                    continue
                verdict = policy.automatic(settings, media.media_type, media.size)
                if not verdict.download:
                    await _record_skip(cache, media, verdict)
                    counts.skipped += 1
                    continue
                job = self._enqueue(account, cache, uuid)
            jobs.append(job)
        if wait:
            for job in jobs:
                if await _succeeded(job.future):
                    counts.downloaded += 1
                else:
                    counts.failed += 1
        return counts

    async def _reconsider(self, account: str, cache: DialogCache, media: MediaFile) -> bool:
        """Queue ``media`` (not on disk) if allowed now, else record why not; True if
        queued."""
        verdict = policy.automatic(self._settings.current, media.media_type, media.size)
        if verdict.download:
            self._enqueue(account, cache, media.uuid)
            return True
        await _record_skip(cache, media, verdict)
        return False

    async def _review(self, account: str, cache: DialogCache, chat: ChatReviews) -> None:
        """Work through the chat's queued ranges (one review per chat at a time)."""
        try:
            while (span := chat.next(settings := self._settings.current)) is not None:
                if not settings.repair_media:
                    chat.waiting.clear()
                    return
                start, end = span
                async for batch in cache.media.scan(statuses=REVIEWED, start=start, end=end):
                    on_disk = await present(cache, batch)
                    for media in batch:
                        if media.message_id <= chat.hidden_up_to:
                            continue
                        if media.uuid not in self._downloads and media.uuid not in on_disk:
                            await self._reconsider(account, cache, media)
                chat.reviewed_under(span, settings)
        finally:
            chat.running = False

    # -- the pool ------------------------------------------------------------------------

    def _register(self, account: str, cache: DialogCache, uuid: str) -> _Download:
        future: asyncio.Future[MediaFile] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        job = self._downloads[uuid] = _Download(account, cache, uuid, future)
        return job

    def _enqueue(self, account: str, cache: DialogCache, uuid: str) -> _Download:
        job = self._downloads.get(uuid)
        if job is not None:
            return job
        job = self._register(account, cache, uuid)
        pool = self._pools.setdefault(account, _Pool())
        pool.waiting.append(job)
        # a worker for each waiting job (busy workers take none) up to media_concurrency
        limit = self._settings.current.media_concurrency
        while pool.workers < limit and pool.workers - pool.running < len(pool.waiting):
            pool.workers += 1
            self._spawn(self._work(pool))
        return job

    async def _work(self, pool: _Pool) -> None:
        try:
            while pool.waiting and pool.workers <= self._settings.current.media_concurrency:
                job = pool.waiting.popleft()
                if not job.started:
                    job.started = True
                    pool.running += 1
                    try:
                        await self._run(job)
                    finally:
                        pool.running -= 1
        finally:
            pool.workers -= 1

    async def _run(self, job: _Download) -> None:
        try:
            with job.cache.hold():  # the database stays open while the file downloads
                media = await self.fetcher.fetch(job.account, job.cache, job.uuid)
            job.future.set_result(media)
            self._remember_finished(job.uuid)
        except asyncio.CancelledError:
            job.future.cancel()
            raise
        except Exception as exc:
            job.future.set_exception(exc)
        finally:
            if self._downloads.get(job.uuid) is job:
                del self._downloads[job.uuid]

    def _remember_finished(self, uuid: str) -> None:
        self._finished[uuid] = asyncio.get_running_loop().time()
        self._finished.move_to_end(uuid)
        while len(self._finished) > RECENTLY_FINISHED:
            self._finished.popitem(last=False)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("media task failed", exc_info=task.exception())


async def _record_skip(cache: DialogCache, media: MediaFile, verdict: policy.Verdict) -> None:
    if (media.status, media.reason, media.file_path) != (verdict.skip, verdict.reason, None):
        await cache.media.set_status(media.uuid, verdict.skip, reason=verdict.reason)


async def _succeeded(future: asyncio.Future[MediaFile]) -> bool:
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.cancelled():
            raise  # our caller was cancelled, not the download
        return False
    except Exception:
        return False
    return True


def _retrieve(future: asyncio.Future) -> None:
    """Mark a failure as seen: nobody may be waiting for a background download."""
    if not future.cancelled():
        future.exception()
