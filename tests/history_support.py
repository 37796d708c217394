"""Helpers shared by the history tests: expected ids from the fakegram world, stream calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.sse_client import SseResult, read_stream

#: 2024-01-01 00:00:00 UTC
JAN_1 = 1_704_067_200
DAY = 86_400


def world_ids(world: Any, viewer: int, peer: int, start: int = 0, end: int = 2**62) -> list[int]:
    """Ids of the messages `viewer` sees in `peer` with start <= date < end, oldest first."""
    history = world.history(viewer, peer)
    return [i for i, d in zip(history.ids, history.dates, strict=True) if start <= d < end]


async def history(app: Any, dialog: Any, **params: Any) -> SseResult:
    """GET /api/v3/history/{dialog} read to its end (a link is sent percent-encoded, as
    a path segment must be)."""
    headers = params.pop("headers", None)
    account = params.pop("account", None)
    extra = {} if account is None else {"account": account}
    return await read_stream(
        app,
        f"/api/v3/history/{quote(str(dialog), safe='@')}",
        params=params,
        headers=headers,
        **extra,
    )


def history_calls(server: Any) -> int:
    return server.calls["messages.getHistory"]
