"""Coverage: the half-open Unix-second intervals ``[start, end)`` in which the cache holds
every message of the dialog.

* :func:`gaps` — the parts of ``[a, b)`` no interval covers, computed in SQL.
* :func:`add_interval` — merge an interval with the overlapping and adjacent ones; runs
  inside the write transaction of the batch that proves it (``DialogCache.write_batch``).
* :class:`FillProgress` — the one place that decides what a Telegram page proves.

The fill contract (the HISTORY engine follows it by using :class:`FillProgress`)::

    progress = FillProgress(gap_start, gap_end, horizon=int(time.time()))
    while not progress.done:
        answer = await invoke(GetHistory(offset_id=..., offset_date=..., limit=100))
        batch = convert_messages(answer, dialog_id)
        claim = progress.after_page(batch.records, exhausted=<Telegram has nothing older>)
        await cache.write_batch(batch, claim)

Pages come newest-first. Several messages can share one second and a page can end in the
middle of them, so after a page whose oldest message has date ``d`` only ``[d + 1,
previous boundary)`` is certainly complete; the messages at ``d`` seen so far are carried
into the next claim. When a page reaches below the gap's start, or Telegram has no older
messages, the rest down to the gap's start is complete. A claim never reaches past
``horizon`` (the second the fill started: messages can still arrive in it). A fill that
stops half-way has committed claims only for what it fetched.

Each page must be requested strictly below the previous one (``offset_id`` = the last id
received; the first page with ``offset_date`` = the gap's end), and the reasoning relies on
Telegram's dates never decreasing as ids grow (both are assigned when a message is sent;
imported history keeps its original date in the forward header, not in ``date``).

A :class:`Claim` lists the ids of every message Telegram has in its range, so the store
deletes cached rows in that range that Telegram no longer has. That is how
``force_refresh`` works: the planner fills the whole requested range as one gap (ignoring
coverage); edits are upserts, deletions fall out of the claims, and a refresh that dies
half-way loses nothing it did not replace.

Parallel filling: split a large gap into *date* sub-gaps ``[D0, D1), [D1, D2), ...`` (pick
the ``D``s from the dates of a cheap probe of evenly spaced messages) and give each its own
``FillProgress``; they are independent, their claims merge in the coverage table, and no
second is ever split between two fills. (Splitting by message id instead would let two
fills each claim half of a shared second — and delete the other half.) A running fill can
hand the far part of what it has left to a new fill the same way, at a second boundary
(:meth:`FillProgress.stop_at`: work stealing between parallel pagers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import aiosqlite

_GAPS_SQL = """
WITH clipped AS (
    SELECT max(start_ts, :a) AS s, min(end_ts, :b) AS e
    FROM coverage
    WHERE end_ts > :a AND start_ts < :b
),
ordered AS (
    SELECT s, e,
           max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM clipped
)
SELECT coalesce(reach, :a) AS gap_start, s AS gap_end
FROM ordered
WHERE s > coalesce(reach, :a)
UNION ALL
SELECT gap_start, gap_end
FROM (SELECT coalesce(max(e), :a) AS gap_start, :b AS gap_end FROM clipped)
WHERE gap_start < gap_end
ORDER BY gap_start
"""


async def gaps(connection: aiosqlite.Connection, start: int, end: int) -> list[tuple[int, int]]:
    """The uncovered parts of ``[start, end)``, in order (empty when fully covered)."""
    if start >= end:
        return []
    rows = await connection.execute_fetchall(_GAPS_SQL, {"a": start, "b": end})
    return [(gap_start, gap_end) for gap_start, gap_end in rows]


async def intervals(connection: aiosqlite.Connection) -> list[tuple[int, int]]:
    rows = await connection.execute_fetchall(
        "SELECT start_ts, end_ts FROM coverage ORDER BY start_ts"
    )
    return [(start, end) for start, end in rows]


async def add_interval(connection: aiosqlite.Connection, start: int, end: int) -> None:
    """Add ``[start, end)``, merged with every overlapping or adjacent interval.

    Call inside an open write transaction (the one committing the messages it covers).
    """
    if start >= end:
        return
    touching = "start_ts <= :e AND end_ts >= :s"
    bounds = {"s": start, "e": end}
    ((count, low, high),) = await connection.execute_fetchall(
        f"SELECT count(*), min(start_ts), max(end_ts) FROM coverage WHERE {touching}", bounds
    )
    if count == 1 and low <= start and high >= end:
        return  # already inside one interval
    await connection.execute(f"DELETE FROM coverage WHERE {touching}", bounds)
    await connection.execute(
        "INSERT INTO coverage (start_ts, end_ts) VALUES (?, ?)",
        (start if low is None else min(low, start), end if high is None else max(high, end)),
    )


class _Dated(Protocol):
    message_id: int
    date: int


@dataclass(frozen=True, slots=True)
class Claim:
    """``[start, end)`` is complete, and ``message_ids`` are all the messages in it."""

    start: int
    end: int
    message_ids: frozenset[int]


class FillProgress:
    """What each page of a gap fill proves (see the module docstring for the contract).

    ``newest_first`` pages (getHistory's natural order) move the unclaimed upper boundary
    down; oldest-first pages move the lower boundary up. :attr:`remaining` is the part of
    the gap not yet claimed; :attr:`done` is True once all of it is.
    """

    def __init__(self, start: int, end: int, *, horizon: int, newest_first: bool = True):
        self.newest_first = newest_first
        self.lower = start
        self.upper = min(end, horizon)
        # Messages already fetched whose second is not claimed yet: id -> date.
        self._pending: dict[int, int] = {}

    @property
    def done(self) -> bool:
        return self.lower >= self.upper

    @property
    def remaining(self) -> tuple[int, int]:
        return self.lower, self.upper

    def stop_at(self, boundary: int) -> None:
        """Hand the far part of :attr:`remaining`, from the second ``boundary`` on (in the
        fill's direction), to another fill: this one claims nothing there any more, even
        from a page already on its way. ``boundary`` must lie strictly inside
        :attr:`remaining` (nothing past it was claimed); the other fill's ``FillProgress``
        starts at it, so the two never share a second."""
        if not self.lower < boundary < self.upper:
            raise ValueError(f"{boundary} is not inside the unclaimed {self.remaining}")
        if self.newest_first:
            self.lower = boundary
        else:
            self.upper = boundary
        self._pending = {
            mid: date for mid, date in self._pending.items() if self.lower <= date < self.upper
        }

    def after_page(self, page: Iterable[_Dated], *, exhausted: bool) -> Claim | None:
        """The claim one page justifies (None when it proves nothing new).

        ``page``: the page's records (``ConvertedBatch.records``); ``exhausted``: Telegram
        has nothing further in the fill's direction (an empty or final short page).
        """
        if self.done:
            return None
        dates = []
        for message in page:
            self._pending[message.message_id] = message.date
            dates.append(message.date)
        if self.newest_first:
            reached = exhausted or not dates or min(dates) < self.lower
            boundary = self.lower if reached else max(self.lower, min(dates) + 1)
            claim_start, claim_end = boundary, self.upper
        else:
            reached = exhausted or not dates or max(dates) >= self.upper
            boundary = self.upper if reached else min(self.upper, max(dates))
            claim_start, claim_end = self.lower, boundary
        if claim_start >= claim_end:
            return None
        claimed = frozenset(
            mid for mid, date in self._pending.items() if claim_start <= date < claim_end
        )
        if self.newest_first:
            self.upper = claim_start
        else:
            self.lower = claim_end
        self._pending = {
            mid: date for mid, date in self._pending.items() if self.lower <= date < self.upper
        }
        return Claim(claim_start, claim_end, claimed)
