"""A segment: the date range one sequential pager of a fill fetches, what it has claimed,
and how an idle pager takes over its far half (work stealing).

Pages are requested ahead of their writes (``fill.py``), so :attr:`Segment.progress` (what
the fetched pages prove) runs one page ahead of :meth:`Segment.claimed` (what is committed
in the cache, the only thing readers may see).
"""

from __future__ import annotations

import time

from tgscraper.cache.coverage import Claim, FillProgress

#: TL dates are int32: an offset_date must not exceed this
MAX_TL_DATE = 2**31 - 1


class Segment:
    """``[start, end)`` filled by one sequential pager, in the fill's direction.

    ``position_id`` is the id where paging stands (the near end before the first page)
    and ``far_id`` the id of the message at the far end, when known: their distance
    estimates what is left (ids are dense in a chat, bar deleted messages).
    """

    def __init__(
        self,
        start: int,
        end: int,
        newest_first: bool,
        *,
        horizon: int | None = None,
        position_id: int | None = None,
        far_id: int | None = None,
    ):
        self.start = start
        self.end = end
        self.newest_first = newest_first
        self.horizon = int(time.time()) if horizon is None else horizon
        self.progress = FillProgress(start, end, horizon=self.horizon, newest_first=newest_first)
        self.next_offset: dict[str, int] = (
            {"offset_date": min(end, MAX_TL_DATE)} if newest_first else oldest_first_from(start)
        )
        self.position_id = position_id
        self.far_id = far_id
        #: every claim of the range is committed
        self.done = False
        self._claimed = (end, end) if newest_first else (start, start)

    def claimed(self) -> tuple[int, int]:
        """The part of the range already complete in the cache (committed)."""
        return self._claimed

    def committed(self, claim: Claim | None, *, final: bool) -> None:
        """``claim`` (of this segment, in page order) is in the database; ``final``: it was
        the segment's last."""
        if claim is not None:
            self._claimed = (
                (claim.start, self.end) if self.newest_first else (self.start, claim.end)
            )
        if final:
            self.done = True
            self._claimed = (self.start, self.end)

    def stop_at_claimed(self) -> None:
        """End this segment where its claims reached (the rest goes to other segments)."""
        self.start, self.end = self._claimed
        self.done = True

    @property
    def paging(self) -> bool:
        """Pages are still to be fetched for this segment (not stopped, not through)."""
        return not self.done and not self.progress.done

    def ids_left(self) -> int | None:
        """Estimated messages left to fetch (None when unknown)."""
        if not self.paging or self.position_id is None or self.far_id is None:
            return None
        return abs(self.far_id - self.position_id)

    def split_at(
        self, date: int, date_id: int | None, *, newest_first: bool | None = None
    ) -> Segment | None:
        """Hand the far part, from second ``date`` on (``date_id``: a message there, if
        known), to a new segment paging in this one's direction, or in ``newest_first``'s
        (then from the far end towards ``date``); None if this one's pages have passed
        ``date`` already."""
        lower, upper = self.progress.remaining
        if not lower < date < upper:
            return None
        direction = self.newest_first if newest_first is None else newest_first
        self.progress.stop_at(date)
        if self.newest_first:  # the far part is the older one
            part = Segment(self.start, date, direction, horizon=self.horizon)
            self.start = date
        else:
            part = Segment(date, self.end, direction, horizon=self.horizon)
            self.end = date
        if direction == self.newest_first:  # it starts at `date`
            part.position_id, part.far_id = date_id, self.far_id
        else:  # it starts at this segment's far end
            part.position_id, part.far_id = self.far_id, date_id
        self.far_id = date_id
        return part


def oldest_first_from(start: int) -> dict[str, int]:
    """getHistory offsets for paging towards newer messages from ``start``."""
    if start <= 0:
        return {"offset_id": 1}  # offset_date=0 would mean "from the newest"
    return {"offset_date": min(start, MAX_TL_DATE)}
