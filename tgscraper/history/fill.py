"""The fill engine: one uncovered date range of one dialog, fetched from Telegram into the
cache, page by page, with coverage claimed as it goes (``cache/coverage.py``'s contract).

A :class:`GapFill` fills ``[start, end)`` in one direction — the direction of the stream
that started it, so the first messages a client needs are fetched first:

* newest first: ``getHistory(offset_date=end)``, then ``offset_id`` = the lowest id seen;
* oldest first: ``getHistory(offset_date=start, add_offset=-limit)`` (or ``offset_id=1``
  from the chat's beginning), then ``offset_id`` = the highest id seen + 1 with
  ``add_offset=-limit`` — Telegram's documented way to page towards newer messages.

Either way each page is committed with ``write_batch`` and the claim ``FillProgress``
proves, so everything a fill fetched stays cached whatever happens to it afterwards. A
pager requests its next page while the previous one is written (one write in flight, in
page order): the writes cost the fetch path nothing.

Large gaps are split: after the first page, one probe finds the message at the far end of
what remains; if the id span suggests more than :func:`split_threshold` messages and
``concurrency`` > 1, K-1 more probes find the dates of evenly spaced ids, and the rest is
filled as K date sub-ranges (``segments.py``) by K concurrent pagers (split by date, never
by id: see coverage.py). Each sub-range claims its own coverage, so readers can stream the
first one while the others fill. A pager that finishes its range takes over the far half
of the range with the most left (one probe finds the date there): a pager held up by a
flood wait, or a range poorer in messages than its ids suggested, does not leave the
others idle at the end. Never more than K requests are in flight, but for one more pager
when a follower streaming the other way comes (:meth:`GapFill.meet`): its end of the range
is filled in its direction, from the middle of what is left, so it need not wait for all.

Streams never read pages from here: they read the cache behind :meth:`GapFill.claimed`
(claimed ranges are complete and hold nothing Telegram no longer has), waking up on
:meth:`GapFill.wait_change`. A fill runs as long as someone follows it: the last
subscriber leaving cancels it (a write already started still commits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyrogram

from tgscraper.cache.coverage import Claim
from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.records import MediaRow
from tgscraper.telegram import gateway
from tgscraper.telegram.access import ResolvedDialog
from tgscraper.telegram.gateway import FloodPolicy, HistoryPage

from .segments import MAX_TL_DATE, Segment, oldest_first_from

log = logging.getLogger(__name__)

#: (account, dialog cache, media rows just stored): the seam for media downloads
MediaListener = Callable[[str, DialogCache, list[MediaRow]], None]

#: an idle pager takes over half of a range only when that leaves each at least this
#: many pages (the probe finding the split date costs about one)
STEAL_MIN_PAGES = 2


def split_threshold(concurrency: int, batch_size: int) -> int:
    """Fewest remaining messages (estimated) worth splitting among ``concurrency`` pagers."""
    return 2 * concurrency * batch_size


@dataclass
class FillJob:
    """What a fill needs: who fetches, which chat, where to store, and how."""

    account: str
    client: pyrogram.Client
    dialog: ResolvedDialog
    cache: DialogCache
    batch_size: int
    concurrency: int
    max_flood_wait_s: int
    media_listeners: list[MediaListener] = field(default_factory=list)
    #: claims stop at this second (Telegram's now less a margin); None: this host's now
    horizon: int | None = None


class GapFill:
    """One running fill of ``[start, end)`` (see the module docstring)."""

    def __init__(self, job: FillJob, start: int, end: int, *, newest_first: bool):
        self.job = job
        self.start = start
        self.end = end
        self.newest_first = newest_first
        self.segments: list[Segment] = []
        #: messages claimed so far (each counted once, in the range)
        self.fetched = 0
        #: a guess of how many messages the whole range holds (None until known)
        self.estimated_total: int | None = None
        #: every flood wait so far: (seconds, loop time when it is over)
        self.waits: list[tuple[int, float]] = []
        self.error: BaseException | None = None
        self.done = False
        self.version = 0
        self._changed = asyncio.Event()
        self._subscribers = 0
        self._policy = FloodPolicy(job.max_flood_wait_s, self._note_wait)
        self._splitting = asyncio.Lock()
        self._group: asyncio.TaskGroup | None = None
        self.task: asyncio.Task[None] | None = None
        self.on_finish: Callable[[GapFill], None] | None = None

    def start_task(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"fill {self.job.dialog.dialog_id}")

    # -- followers -----------------------------------------------------------------

    @property
    def followers(self) -> int:
        return self._subscribers

    def subscribe(self) -> None:
        self._subscribers += 1

    def release(self) -> None:
        """A follower is gone; the last one leaving stops the fill."""
        self._subscribers -= 1
        if self._subscribers <= 0 and not self.done and self.task is not None:
            self.task.cancel()

    def claimed(self) -> list[tuple[int, int]]:
        return [segment.claimed() for segment in self.segments]

    async def wait_change(self, seen_version: int) -> None:
        """Return once something changed after ``seen_version`` (claims, waits, the end)."""
        while self.version == seen_version:
            await self._changed.wait()

    def _notify(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def waits_running(self) -> list[int]:
        """Seconds left of the flood waits not over yet (what a follower joining now hears)."""
        now = asyncio.get_running_loop().time()
        return [math.ceil(until - now) for _, until in self.waits if until > now]

    def _note_wait(self, seconds: int) -> None:
        self.waits.append((seconds, asyncio.get_running_loop().time() + seconds))
        self._notify()

    # -- the work ------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            first = Segment(self.start, self.end, self.newest_first, horizon=self.job.horizon)
            self.segments.append(first)
            page, claim = await self._fetch(first)
            await self._store(first, page, claim, final=first.progress.done)
            if not first.done:
                async with self._splitting:
                    await self._maybe_split(first, page)
            async with asyncio.TaskGroup() as group:
                self._group = group
                for segment in list(self.segments):
                    if not segment.done:
                        group.create_task(self._pager(segment))
        except asyncio.CancelledError:
            self.error = asyncio.CancelledError()
            raise
        except BaseExceptionGroup as group:
            self.error = group.exceptions[0]
        except Exception as exc:
            self.error = exc
        finally:
            self._group = None
            self.done = True
            if self.error is None:
                self.estimated_total = self.fetched
            self._notify()
            if self.on_finish is not None:
                self.on_finish(self)

    async def meet(self, newest_first: bool) -> None:
        """A follower streaming the other way came: its end of the range gets a pager of
        its own, in its direction, from the middle of what that end's segment has left
        (by id when known: they meet halfway), so it streams while the rest fills."""
        async with self._splitting:
            paging = [segment for segment in self.segments if segment.paging]
            if self.done or not paging:
                return
            if newest_first:  # its end: the newest unclaimed second
                victim = max(paging, key=lambda segment: segment.progress.remaining[1])
            else:
                victim = min(paging, key=lambda segment: segment.progress.remaining[0])
            if victim.newest_first == newest_first:
                return  # that end is already fetched in its direction
            lower, upper = victim.progress.remaining
            date, date_id = (lower + upper) // 2, None
            if victim.position_id is not None and victim.far_id is not None:
                probe = await self._probe(offset_id=(victim.position_id + victim.far_id) // 2 + 1)
                lower, upper = victim.progress.remaining  # its pages went on meanwhile
                if probe is not None and lower < probe[1] < upper:
                    date_id, date = probe
            part = victim.split_at(date, date_id, newest_first=newest_first)
            if part is None:
                return
            self.segments.append(part)
            if self._group is not None:  # else _run starts its pager with the others
                with contextlib.suppress(RuntimeError):  # a failing fill: its error tells
                    self._group.create_task(self._pager(part))
            log.debug("fill %s: a pager from the other end", self.job.dialog.dialog_id)

    async def _pager(self, segment: Segment | None) -> None:
        """Fill ``segment``, then take over part of another, until none is worth it."""
        while segment is not None:
            await self._fill(segment)
            segment = await self._steal() if self.job.concurrency > 1 else None

    async def _fill(self, segment: Segment) -> None:
        """Page through ``segment``; each page is requested while the previous one is
        written (at most one write in flight, written in page order)."""
        writing: asyncio.Task[None] | None = None
        try:
            while not segment.progress.done:
                page, claim = await self._fetch(segment)
                if writing is not None:
                    await writing
                store = self._store(segment, page, claim, final=segment.progress.done)
                writing = asyncio.create_task(store)
            if writing is not None:
                await writing
        except asyncio.CancelledError:
            if writing is not None:  # it goes on (a write that started commits): unwatched
                writing.add_done_callback(_log_write_failure)
            raise
        except BaseException:
            if writing is not None:
                await asyncio.wait([writing])  # the page fetched before the failure is kept
                _ = writing.cancelled() or writing.exception()  # the failure raised wins
            raise

    async def _fetch(self, segment: Segment) -> tuple[HistoryPage, Claim | None]:
        """The segment's next page and the claim it proves; moves the segment on."""
        job = self.job
        towards_newer = {} if segment.newest_first else {"add_offset": -job.batch_size}
        page = await gateway.get_history(
            job.client,
            job.dialog.input_peer,
            job.dialog.dialog_id,
            self._policy,
            limit=job.batch_size,
            **segment.next_offset,
            **towards_newer,
        )
        if "offset_id" in segment.next_offset:
            page.drop_seen(segment.next_offset["offset_id"], towards_newer=not segment.newest_first)
        claim = segment.progress.after_page(page.batch.records, exhausted=page.empty)
        if not page.empty:
            if segment.newest_first:
                segment.position_id = page.lowest_id
                segment.next_offset = {"offset_id": page.lowest_id}
            else:
                segment.position_id = page.highest_id
                segment.next_offset = {"offset_id": page.highest_id + 1}
        return page, claim

    async def _store(
        self, segment: Segment, page: HistoryPage, claim: Claim | None, *, final: bool
    ) -> None:
        await self.job.cache.write_batch(page.batch, claim)
        tell_media(self.job, page.batch.media)
        segment.committed(claim, final=final)
        if claim is not None:
            self.fetched += len(claim.message_ids)
        self._notify()

    async def _maybe_split(self, first: Segment, page: HistoryPage) -> None:
        """After the first page: estimate what remains and, when it is large, split the
        rest into date sub-ranges filled concurrently."""
        lower, upper = first.progress.remaining
        if page.empty or lower >= upper or len(page.message_ids) < self.job.batch_size:
            return  # a short first page: little is left, not worth a probe
        near_id = page.lowest_id if self.newest_first else page.highest_id
        far = await self._far_end(lower, upper)
        first.far_id = far  # what is left of it can be estimated (and met halfway)
        remaining = abs(near_id - far) if far is not None else 0
        bound = page.count if page.count is not None else remaining
        self.estimated_total = self.fetched + min(remaining, bound)
        self._notify()
        concurrency = self.job.concurrency
        if concurrency < 2 or remaining < split_threshold(concurrency, self.job.batch_size):
            return
        low_id, high_id = sorted((near_id, far))
        probe_ids = [low_id + (high_id - low_id) * k // concurrency for k in range(1, concurrency)]
        probes = await asyncio.gather(*(self._probe(offset_id=mid + 1) for mid in probe_ids))
        found = [(date, found_id) for found_id, date in filter(None, probes)]
        cuts = dict(sorted(cut for cut in found if lower < cut[0] < upper))  # date -> an id there
        if not cuts:
            return
        bounds = [lower, *cuts, upper]
        bound_ids = [low_id, *cuts.values(), high_id]
        parts = [
            Segment(bounds[k], bounds[k + 1], self.newest_first, horizon=first.horizon,
                    position_id=bound_ids[k + 1 if self.newest_first else k],
                    far_id=bound_ids[k if self.newest_first else k + 1])
            for k in range(len(bounds) - 1)
        ]  # fmt: skip
        if self.newest_first:
            parts.reverse()
        first.stop_at_claimed()
        self.segments.extend(parts)
        log.debug(
            "fill %s: split [%d, %d) into %d ranges (~%d messages)",
            self.job.dialog.dialog_id,
            lower,
            upper,
            len(parts),
            remaining,
        )

    async def _steal(self) -> Segment | None:
        """For a pager done with its range: the far half of the range with the most
        left, as a new segment (None when no range is worth splitting)."""
        async with self._splitting:  # one split at a time: each sees the others' result
            for _ in range(3):
                running = [(s.ids_left(), s) for s in self.segments if s.ids_left() is not None]
                if not running:
                    return None
                left, victim = max(running, key=lambda item: item[0])
                if left < 2 * STEAL_MIN_PAGES * self.job.batch_size:
                    return None
                assert victim.position_id is not None and victim.far_id is not None
                middle = (victim.position_id + victim.far_id) // 2
                probe = await self._probe(offset_id=middle + 1)  # the message at or below
                part = None if probe is None else victim.split_at(probe[1], probe[0])
                if part is None:  # deleted messages around the middle id: halve the dates
                    lower, upper = victim.progress.remaining
                    probe = await self._probe(offset_date=(lower + upper) // 2)
                    part = victim.split_at((lower + upper) // 2, probe[0] if probe else middle)
                if part is not None:
                    self.segments.append(part)
                    return part
            return None  # the ranges moved past every split point tried

    async def _far_end(self, lower: int, upper: int) -> int | None:
        """Id of the message at the far end of ``[lower, upper)`` from where the fill
        stands (None when nothing is there)."""
        if self.newest_first:  # the oldest message at or after `lower`
            offset = oldest_first_from(lower)
            probe = await self._probe(**offset, add_offset=-1)
        else:  # the newest message before `upper`
            probe = await self._probe(offset_date=min(upper, MAX_TL_DATE))
        if probe is None or not lower <= probe[1] < upper:
            return None
        return probe[0]

    async def _probe(self, **offsets: Any) -> tuple[int, int] | None:
        """(id, date) of the one message getHistory answers with ``limit=1``."""
        job = self.job
        page = await gateway.get_history(
            job.client,
            job.dialog.input_peer,
            job.dialog.dialog_id,
            self._policy,
            limit=1,
            **offsets,
        )
        records = page.batch.records
        return (records[0].message_id, records[0].date) if records else None


def tell_media(job: FillJob, rows: list[MediaRow]) -> None:
    """Hand the media rows a page stored to the media listeners (they queue, never wait)."""
    if not rows:
        return
    for listener in job.media_listeners:
        try:
            listener(job.account, job.cache, rows)
        except Exception:
            log.exception("A media listener failed")


def _log_write_failure(task: asyncio.Task[None]) -> None:
    """A page write nobody waits for any more (its fill stopped) must not fail silently."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Storing a page failed", exc_info=task.exception())


def covering_extent(intervals: list[tuple[int, int]], position: int, *, newest_first: bool) -> int:
    """How far from ``position`` the ``intervals`` cover without a hole: the highest bound
    reached going up (oldest first) or the lowest going down (newest first)."""
    moved = True
    while moved:
        moved = False
        for low, high in intervals:
            if newest_first and low < position <= high:
                position, moved = low, True
            elif not newest_first and low <= position < high:
                position, moved = high, True
    return position
