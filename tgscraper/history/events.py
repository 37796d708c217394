"""What a history run yields (``HistoryService.run``), and how the flood waits of one
Telegram call become events while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tgscraper.telegram.gateway import FloodPolicy


@dataclass(slots=True)
class Messages:
    """Messages in stream order: their stored JSON and ids, and whether they were fetched
    from Telegram for this request (else read from the cache)."""

    blobs: list[bytes]
    ids: list[int]
    from_telegram: bool


@dataclass(frozen=True, slots=True)
class FillProgressEvent:
    """Telegram answered a page of the range [start, end) being filled: ``fetched``
    messages claimed so far, of about ``estimated_total`` (None: unknown)."""

    fetched: int
    estimated_total: int | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FloodWaitEvent:
    seconds: int


HistoryEvent = Messages | FillProgressEvent | FloodWaitEvent


async def with_wait_events(
    max_wait_s: int,
    call: Callable[[FloodPolicy], Awaitable[Any]],
    result: list[Any],
) -> AsyncIterator[FloodWaitEvent]:
    """Run ``call(policy)`` and yield a FloodWaitEvent for each flood wait it sits out;
    its result is appended to ``result``."""
    waits: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.ensure_future(call(FloodPolicy(max_wait_s, waits.put_nowait)))
    try:
        while True:
            getter = asyncio.ensure_future(waits.get())
            await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield FloodWaitEvent(getter.result())
                continue
            getter.cancel()
            result.append(task.result())
            return
    finally:
        if not task.done():
            task.cancel()
