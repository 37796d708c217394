"""The history planner: a request's range, cut into cache parts and Telegram parts, streamed
in (date, message_id) order in the requested direction.

``HistoryService.run(request)`` is an async iterator of :class:`Messages` (stored JSON in
stream order), :class:`FillProgressEvent` and :class:`FloodWaitEvent` (``events.py``).
How a range is served, with ``horizon`` = Telegram's now less a small margin:

* a request reaching past the horizon first fetches its newest part from the top of the
  chat (``recent.py``): the last seconds ``[horizon, end)``, where Telegram may still add
  messages (stored, never claimed as covered, streamed from Telegram's answer), and the
  gap that ends at the horizon, claimed as it comes, bounded by ``min_id`` (a repeat
  costs one call when nothing is new);
* the rest, ``[start, ...)``: the parts covered in the cache are read from it; each gap
  is filled by a :class:`GapFill` (``fill.py``) and streamed from the cache behind the
  fill's claims as they are committed. Gaps are looked at again when the stream reaches
  them (another request may have filled them meanwhile) and a gap another fill is
  already fetching is followed, not fetched again (single-flight; the fill stops when its
  last follower leaves).
* ``force_refresh`` fills the whole range as one gap: rows are replaced, messages
  deleted in Telegram disappear (``cache/coverage.py``).

Nothing is held in memory beyond one read batch (and the last seconds' messages):
Telegram's pages go to SQLite and come back out in order, so a fill split into
concurrent sub-ranges (or followed by several streams, in either direction) still
streams in order without buffering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import pyrogram
from pyrogram.errors import RPCError

from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.reader import Key
from tgscraper.telegram.access import ResolvedDialog, forget_dialog
from tgscraper.web.errors import NO_ACCESS, ApiError, telegram_error_id

from .events import FillProgressEvent, FloodWaitEvent, HistoryEvent, Messages, Waiting
from .fill import FillJob, GapFill, covering_extent
from .recent import RecentPart, fetch_recent
from .visibility import clamp, visible

if TYPE_CHECKING:
    from .service import HistoryService

T = TypeVar("T")

#: seconds before Telegram's "now" that are never claimed as covered (a message being
#: sent may still get a date in them)
CLOCK_MARGIN_S = 2
#: a range ending this long before our clock's now ends before Telegram's too
MAX_CLOCK_SKEW_S = 86_400
#: rows per cache read
READ_BATCH = 1000


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """One history read: ``[start, end)`` in Unix seconds, streamed oldest first unless
    ``newest_first``; ``after`` resumes strictly after that (date, message_id) key."""

    account: str
    dialog: ResolvedDialog
    start: int
    end: int
    newest_first: bool = False
    force_refresh: bool = False
    after: Key | None = None
    #: only the Telegram part: what is cached already is not read (sync)
    skip_cached: bool = False
    #: a :class:`Waiting` event after this many seconds waiting for Telegram without news
    keep_alive_s: float | None = None
    #: ``end`` is "now" (no end_date): it is extended to Telegram's now when that is later
    #: (message dates are Telegram's; a host clock behind it would cut the newest off)
    until_now: bool = False


def partition(
    low: int, high: int, items: list[tuple[int, int, T]], *, newest_first: bool = False
) -> list[tuple[int, int, T | None]]:
    """``[low, high)`` cut into consecutive parts: each item's range (clipped; earlier
    items win overlaps) and ``None`` parts in between; in stream order."""
    parts: list[tuple[int, int, T | None]] = []
    position = low
    for start, end, payload in sorted(items, key=lambda item: item[0]):
        start, end = max(start, position), min(end, high)
        if start >= end:
            continue
        if start > position:
            parts.append((position, start, None))
        parts.append((start, end, payload))
        position = end
    if position < high:
        parts.append((position, high, None))
    return parts[::-1] if newest_first else parts


class Run:
    """One request being served (the module docstring says how)."""

    def __init__(self, service: HistoryService, request: HistoryRequest):
        self.service = service
        self.request = request
        self.newest_first = request.newest_first
        self.last: Key | None = request.after
        self.cache: DialogCache | None = None
        self._client: pyrogram.Client | None = None
        self._followed: list[GapFill] = []
        #: Telegram's now less the margin, when the request reaches it (claims stop there)
        self.horizon: int | None = None
        #: where the last _follow stopped (its range's far end unless a fill failed)
        self._followed_to = 0

    async def events(self) -> AsyncIterator[HistoryEvent]:
        request = self.request
        self.cache = await self.service.cache.dialog(request.dialog.dialog_id, request.account)
        start, end = request.start, request.end
        if request.until_now:
            client = await self._client_for_request()
            end = max(end, int(client.server_time) + 1)
        if request.after is not None:
            if self.newest_first:
                end = min(end, request.after[0] + 1)
            else:
                start = max(start, request.after[0])
        horizon = await self._horizon(end)
        lease = self.cache.hold()  # kept open for the whole request (cache/manager.py)
        try:
            floor_second = None
            if request.dialog.hidden_up_to:  # its history starts later (visibility.py)
                floor = await self.service.floors.of(await self._job())
                start, floor_second = clamp(start, end, horizon, floor)
            recent = RecentPart(claimed_from=min(end, horizon))
            if start < end and end > horizon:  # the newest part first (recent.py)
                job = await self._job()
                fetch = fetch_recent(
                    job,
                    start,
                    horizon,
                    end,
                    refresh=request.force_refresh,
                    part=recent,
                    keep_alive_s=request.keep_alive_s,
                )
                async with aclosing(fetch) as events:
                    async for event in events:
                        yield event
            claimed = (max(start, recent.claimed_from), min(end, horizon))
            sources = [
                self._floor_second(floor_second),
                self._main(start, min(end, recent.claimed_from)),
                self._read(*claimed, True),  # what the fetch from the top claimed
                self._last_seconds(recent),
            ]
            for source in sources[::-1] if self.newest_first else sources:
                async with aclosing(source) as events:
                    async for event in events:
                        yield event
        except RPCError as exc:
            if telegram_error_id(exc) in NO_ACCESS:  # the remembered access answer is stale
                forget_dialog(self.service.sessions, request.account, request.dialog.dialog_id)
            raise
        finally:
            lease.release()
            for fill in self._followed:
                fill.release()
            self._followed.clear()

    async def _horizon(self, end: int) -> int:
        """Where the unclaimed last seconds start: Telegram's now (pyrogram keeps the
        server's clock offset: message dates are Telegram's, a host clock ahead of it would
        claim seconds Telegram has not reached yet) less :data:`CLOCK_MARGIN_S`. A range
        ending long enough ago needs no clock (nor a Telegram client)."""
        if end < time.time() - MAX_CLOCK_SKEW_S:
            return end
        client = await self._client_for_request()
        self.horizon = int(client.server_time) - CLOCK_MARGIN_S
        return self.horizon

    async def _job(self) -> FillJob:
        client = await self._client_for_request()
        request = self.request
        return self.service.job(
            request.account, client, request.dialog, self.cache, horizon=self.horizon
        )

    async def _client_for_request(self) -> pyrogram.Client:
        if self._client is None:
            self._client = await self.service.sessions.get(self.request.account)
        return self._client

    # -- the covered past --------------------------------------------------------------

    async def _main(self, low: int, high: int) -> AsyncIterator[HistoryEvent]:
        if low >= high:
            return
        gaps = [(low, high)] if self.request.force_refresh else await self.cache.gaps(low, high)
        items = [(start, end, True) for start, end in gaps]
        for start, end, is_gap in partition(low, high, items, newest_first=self.newest_first):
            source = self._gap(start, end) if is_gap else self._read(start, end, False)
            async with aclosing(source) as events:
                async for event in events:
                    yield event

    async def _gap(self, low: int, high: int) -> AsyncIterator[HistoryEvent]:
        """A gap as planned: look again, follow running fills, start fills for the rest."""
        if self.request.force_refresh:
            fresh = [(low, high)]
        else:
            fresh = await self.cache.gaps(low, high)
        if not fresh:
            async with aclosing(self._read(low, high, False)) as events:
                async for event in events:
                    yield event
            return
        job = await self._job()
        running = [(fill.start, fill.end, fill) for fill in self.service.active_fills(self.cache)]
        pieces: list[tuple[int, int, GapFill]] = []
        for start, end in fresh:
            for piece_start, piece_end, fill in partition(start, end, running):
                if fill is None:
                    fill = self.service.start_fill(
                        job, piece_start, piece_end, newest_first=self.newest_first
                    )
                elif fill.newest_first != self.newest_first:
                    await fill.meet(self.newest_first)  # not a wait for the whole of it
                fill.subscribe()
                self._followed.append(fill)
                pieces.append((piece_start, piece_end, fill))
        for start, end, fill in partition(low, high, pieces, newest_first=self.newest_first):
            source = (
                self._read(start, end, False) if fill is None else self._follow(fill, start, end)
            )
            async with aclosing(source) as events:
                async for event in events:
                    yield event
            if fill is None:
                continue
            if fill in self._followed:
                self._followed.remove(fill)
                fill.release()
            reached = self._followed_to
            if reached != (start if self.newest_first else end):
                # another account's fill failed part-way: this account fetches the rest
                rest = (start, reached) if self.newest_first else (reached, end)
                async with aclosing(self._gap(*rest)) as events:
                    async for event in events:
                        yield event

    async def _follow(self, fill: GapFill, low: int, high: int) -> AsyncIterator[HistoryEvent]:
        """Stream ``[low, high)`` from the cache as ``fill`` claims it. When ``fill`` is
        another account's and fails, stop where its claims ended (``_followed_to``): the
        failure is that account's (its session, its flood wait), not this one's."""
        position = high if self.newest_first else low
        # flood waits over before this follower came are not its news: only those running
        for seconds in fill.waits_running():
            yield FloodWaitEvent(seconds)
        waits_seen, fetched_seen = len(fill.waits), 0
        while True:
            version, finished = fill.version, fill.done  # claims seen after this are final
            extent = covering_extent(fill.claimed(), position, newest_first=self.newest_first)
            extent = max(extent, low) if self.newest_first else min(extent, high)
            if extent != position:
                span = (extent, position) if self.newest_first else (position, extent)
                async with aclosing(self._read(*span, True)) as events:
                    async for event in events:
                        yield event
                position = extent
            for seconds, _ in fill.waits[waits_seen:]:
                yield FloodWaitEvent(seconds)
            waits_seen = len(fill.waits)
            if fill.fetched != fetched_seen:
                fetched_seen = fill.fetched
                yield FillProgressEvent(fill.fetched, fill.estimated_total, fill.start, fill.end)
            if position == (low if self.newest_first else high) or (
                finished and fill.job.account != self.request.account
            ):
                self._followed_to = position
                return
            if finished:
                raise _fill_failure(fill)
            try:
                await asyncio.wait_for(fill.wait_change(version), self.request.keep_alive_s)
            except TimeoutError:
                yield Waiting(self.request.keep_alive_s or 0.0)

    async def _read(self, low: int, high: int, from_telegram: bool) -> AsyncIterator[Messages]:
        if low >= high or (self.request.skip_cached and not from_telegram):
            return
        after = self.last
        if after is not None and (after > (high, 0) if self.newest_first else after < (low, -1)):
            after = None  # the resume point lies before this part: read all of it
        batches = self.cache.read_range(
            low, high, newest_first=self.newest_first, batch_size=READ_BATCH, after=after
        )
        hidden = self.request.dialog.hidden_up_to
        async with aclosing(batches):
            async for batch in batches:
                self.last = batch.last
                blobs, ids = batch.json, batch.message_ids
                if hidden:  # another account's messages this one may not see
                    blobs, ids = visible(blobs, ids, hidden)
                if ids:
                    yield Messages(blobs, ids, from_telegram)

    async def _floor_second(self, second: int | None) -> AsyncIterator[HistoryEvent]:
        """The second of this account's first visible message (``visibility.py``): from
        the cache when covered, else from Telegram, never claimed."""
        if second is None:
            return
        if not await self.cache.gaps(second, second + 1):
            source = self._read(second, second + 1, False)
        else:
            part = RecentPart(claimed_from=second)
            job = await self._job()
            keep_alive = self.request.keep_alive_s
            fetch = fetch_recent(
                job, second, second, second + 1, refresh=True, part=part, keep_alive_s=keep_alive
            )
            async with aclosing(fetch) as events:
                async for event in events:
                    yield event
            source = self._last_seconds(part)
        async with aclosing(source) as events:
            async for event in events:
                yield event

    async def _last_seconds(self, recent: RecentPart) -> AsyncIterator[Messages]:
        """The last seconds' messages as the fetch from the top found them (never read from
        the cache: nothing claims them complete there)."""
        keys = sorted(recent.tail, reverse=self.newest_first)
        if self.last is not None:
            keys = [k for k in keys if (k < self.last if self.newest_first else k > self.last)]
        if keys:
            self.last = keys[-1]
            yield Messages([recent.tail[key] for key in keys], [key[1] for key in keys], True)


def _fill_failure(fill: GapFill) -> BaseException:
    """What a follower of a failed fill of its own account raises."""
    error = fill.error
    if error is None or isinstance(error, asyncio.CancelledError):
        return ApiError(503, "shutting_down", "The fill was stopped (the server is shutting down).")
    return error
