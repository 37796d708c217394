"""Where a supergroup's history starts for one account.

An account that joined a supergroup with its pre-history hidden, or cleared its history,
sees only the messages above Telegram's ``available_min_id`` for it
(``ResolvedDialog.hidden_up_to``); others see more. The cache is shared (one database per
supergroup), so for such an account:

* reads keep only the messages it may see (:func:`visible`);
* its fills never claim a second that may hold messages hidden from it: a claim lists the
  ids Telegram gave *it*, and would delete the others' and tell them the range is
  complete. Every message hidden from it is dated at or before its first visible
  message (ids and dates grow together), so its requests are served from the second
  after that one (the "floor"), claims included; the floor second itself is read from
  the cache when another account covered it, else fetched every time and never claimed;
  nothing below it is visible. The floor is found once per (account, chat,
  available_min_id) with one getHistory call (``limit=1`` from ``available_min_id + 1``).
"""

from __future__ import annotations

from tgscraper.telegram import gateway
from tgscraper.telegram.gateway import FloodPolicy

from .fill import FillJob

#: floors remembered (a floor never changes for a given available_min_id)
FLOORS_KEPT = 10_000


class Floors:
    """The date of each restricted account's first visible message, per chat."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], int] = {}

    async def of(self, job: FillJob) -> int | None:
        """The date of the first message ``job``'s account sees in its chat (None: it
        sees none yet)."""
        hidden = job.dialog.hidden_up_to
        key = (job.account, job.dialog.dialog_id, hidden)
        floor = self._known.get(key)
        if floor is None:
            page = await gateway.get_history(
                job.client,
                job.dialog.input_peer,
                job.dialog.dialog_id,
                FloodPolicy(job.max_flood_wait_s),
                limit=1,
                offset_id=hidden + 1,
                add_offset=-1,
            )
            records = [record for record in page.batch.records if record.message_id > hidden]
            if not records:
                return None  # not remembered: the first one may come any time
            if len(self._known) >= FLOORS_KEPT:
                self._known.clear()
            floor = self._known[key] = records[0].date
        return floor


def clamp(start: int, end: int, horizon: int, floor: int | None) -> tuple[int, int | None]:
    """``(start, floor second)`` of a request for an account whose history starts at
    ``floor``: where the claimable part starts, and the floor second to serve apart (None
    when it is outside ``[start, end)`` or among the last seconds, which are never
    claimed anyway)."""
    if floor is None or floor >= horizon:
        return max(start, horizon), None
    floor_second = floor if start <= floor < end else None
    return max(start, floor + 1), floor_second


def visible(blobs: list[bytes], ids: list[int], hidden_up_to: int) -> tuple[list, list]:
    """The messages above ``hidden_up_to`` of a batch (blobs and ids alike)."""
    kept = [index for index, message_id in enumerate(ids) if message_id > hidden_up_to]
    if len(kept) == len(ids):
        return blobs, ids
    return [blobs[index] for index in kept], [ids[index] for index in kept]
