"""Stopping a handler promptly when its client goes away.

aiohttp does not cancel a handler whose client disconnected (``handler_cancellation`` is
off), so a handler waiting on Telegram would keep fetching for nobody until its next write
failed. ``async with cancel_on_disconnect(request):`` watches the connection and cancels
the handler's task as soon as it is closed; everything the handler awaits is cancelled
with it (shared work it subscribed to is released by its own ``finally`` blocks).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

#: seconds between two looks at the connection
CHECK_INTERVAL_S = 0.2


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


@contextlib.asynccontextmanager
async def cancel_on_disconnect(
    request: web.Request, *, interval: float = CHECK_INTERVAL_S
) -> AsyncIterator[None]:
    """Cancel the current task when the client of ``request`` disconnects."""
    task = asyncio.current_task()

    async def watch() -> None:
        while not client_gone(request):  # noqa: ASYNC110 - aiohttp offers no event for it
            await asyncio.sleep(interval)
        if task is not None:
            task.cancel()

    watcher = asyncio.create_task(watch(), name=f"watch {request.method} {request.path}")
    try:
        yield
    finally:
        watcher.cancel()
