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


@dataclass(frozen=True, slots=True)
class Waiting:
    """The run has waited ``seconds`` for Telegram with nothing to report (a stream opens,
    to keep its client and proxies from giving up; see ``HistoryRequest.keep_alive_s``)."""

    seconds: float


HistoryEvent = Messages | FillProgressEvent | FloodWaitEvent | Waiting


async def with_wait_events(
    max_wait_s: int,
    call: Callable[[FloodPolicy], Awaitable[Any]],
    result: list[Any],
    *,
    keep_alive_s: float | None = None,
) -> AsyncIterator[FloodWaitEvent | Waiting]:
    """Run ``call(policy)`` and yield a FloodWaitEvent for each flood wait it sits out (and
    a Waiting event every ``keep_alive_s`` without an answer); its result is appended to
    ``result``."""
    waits: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.ensure_future(call(FloodPolicy(max_wait_s, waits.put_nowait)))
    getter: asyncio.Future[int] | None = None
    try:
        while True:
            getter = getter or asyncio.ensure_future(waits.get())
            await asyncio.wait(
                {task, getter}, timeout=keep_alive_s, return_when=asyncio.FIRST_COMPLETED
            )
            if getter.done():
                seconds, getter = getter.result(), None
                yield FloodWaitEvent(seconds)
            elif task.done():
                result.append(task.result())
                return
            else:
                yield Waiting(keep_alive_s or 0.0)
    finally:
        if getter is not None:
            getter.cancel()
        if not task.done():
            task.cancel()
