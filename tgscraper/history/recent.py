"""The newest part of a request that reaches Telegram's now, fetched from the top of the
chat, newest first:

* the last seconds ``[horizon, high)``, where Telegram may still add messages: stored,
  never claimed, kept for the stream (``RecentPart.tail``);
* the gap that ends at the horizon, ``[recent, horizon)`` (what the chat got since the
  last request, typically), claimed page by page as any fill claims (``FillProgress``).

When the second below ``recent`` is covered, the calls carry ``min_id`` = the newest
cached message below it: every message with a higher id is dated ``recent`` or later
(ids and dates grow together), so Telegram sends only what the cache lacks, and a repeated
request costs one getHistory call (an empty answer) when nothing is new. The fetch stops
once the last seconds are complete and either the gap is claimed or a full page shows
that much is left: that rest is an ordinary gap (``fill.py``: split, followed, in the
stream's direction), which the planner fills next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field

from tgscraper.cache.coverage import FillProgress
from tgscraper.cache.reader import Key
from tgscraper.telegram import gateway

from .events import FillProgressEvent, FloodWaitEvent, Waiting, with_wait_events
from .fill import FillJob, tell_media
from .segments import MAX_TL_DATE


@dataclass
class RecentPart:
    """What :func:`fetch_recent` leaves: ``[claimed_from, horizon)`` is claimed now, and
    the last seconds' messages by (date, id) key."""

    claimed_from: int
    tail: dict[Key, bytes] = field(default_factory=dict)


async def fetch_recent(
    job: FillJob,
    low: int,
    horizon: int,
    high: int,
    *,
    refresh: bool,
    part: RecentPart,
    keep_alive_s: float | None = None,
) -> AsyncIterator[FloodWaitEvent | FillProgressEvent | Waiting]:
    """Fetch the newest part of ``[low, high)`` (``horizon`` < ``high``; see the module
    docstring) into ``part``. ``refresh`` (force_refresh): the last seconds only, with no
    ``min_id`` (the rest of the range is refreshed as one gap by the planner).
    ``keep_alive_s``: a Waiting event after that long without an answer."""
    cache = job.cache
    recent = horizon
    if not refresh and low < horizon:
        gaps = await cache.gaps(low, horizon)
        if gaps and gaps[-1][1] == horizon:
            recent = gaps[-1][0]
    min_id = 0 if refresh else await _newest_below(job, recent)
    progress = FillProgress(recent, horizon, horizon=horizon, newest_first=True)
    offsets = {"offset_date": min(high, MAX_TL_DATE)}
    fetched = 0
    while True:
        holder: list[gateway.HistoryPage] = []
        fetch = with_wait_events(
            job.max_flood_wait_s,
            lambda policy, offsets=offsets: gateway.get_history(
                job.client,
                job.dialog.input_peer,
                job.dialog.dialog_id,
                policy,
                limit=job.batch_size,
                min_id=min_id,
                **offsets,
            ),
            holder,
            keep_alive_s=keep_alive_s,
        )
        async with aclosing(fetch) as waits:
            async for wait in waits:
                yield wait
        page = holder[0]
        claim = progress.after_page(page.batch.records, exhausted=page.empty)
        result = await cache.write_batch(page.batch, claim)
        tell_media(job, page.batch.media)
        part.tail.update(result.in_order(horizon, high))
        part.claimed_from = progress.remaining[1]
        if claim is not None:
            fetched += len(claim.message_ids)
        if not page.empty:
            yield FillProgressEvent(fetched, None, recent, high)
        dates = [record.date for record in page.batch.records]
        tail_done = page.empty or (bool(dates) and min(dates) < horizon)
        if tail_done and (progress.done or len(page.message_ids) >= job.batch_size):
            return
        offsets = {"offset_id": page.lowest_id}


async def _newest_below(job: FillJob, second: int) -> int:
    """``min_id`` for a fetch of what is dated ``second`` or later: the newest cached
    message below it, when the second below is covered (else 0: no bound)."""
    if second <= 0 or await job.cache.gaps(second - 1, second):
        return 0
    batches = job.cache.read_range(0, second, newest_first=True, batch_size=1)
    async with aclosing(batches):
        async for batch in batches:
            return batch.last[1]
    return 0
