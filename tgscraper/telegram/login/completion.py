"""Steps of a login that must not stop half way once begun (saving the session, closing
the login client): the caller may be cancelled meanwhile, but it only goes on (with the
cancellation) once the step has ended, so what follows knows how it ended."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def run_to_end(step: Awaitable[T]) -> T:
    """Await `step` (run as a task) to its end. A cancellation of the caller waits for
    that end and is then raised; so is the step's own exception or result."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.cancelled():  # the step itself was cancelled (its loop is closing)
            raise
        while not task.done():
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                continue  # still the same cancellation to raise once the step ended
        raise


def ended_well(task: asyncio.Future[object] | None) -> bool:
    """Whether `task` exists, ended, and ended without an exception."""
    return task is not None and task.done() and not task.cancelled() and task.exception() is None
