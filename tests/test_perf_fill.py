"""Parallel gap filling (history/fill.py): pagers that finish early take over part of the
ranges others still have (work stealing), never more than history_concurrency requests
in flight, and the result is exactly Telegram's history whatever the split."""

from __future__ import annotations

import asyncio

import pytest
from pyrogram import raw

from tests.fakegram.methods.history import get_history
from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, history_calls, world_ids
from tests.sse_client import open_events
from tgscraper.web.appkeys import HISTORY

END = "2024-12-31"


def uneven_channel():
    """4000 posts whose ids 1100..2000 were deleted: a split by evenly spaced ids gives
    one pager a range far poorer than the others'."""
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="uneven", members=[alice])
    posts = w.fill(news, 4000, start=JAN_1, step=3)
    for message in posts[1099:2000]:
        w.delete(message)
    return w, alice, news


class InFlight:
    """A getHistory handler that answers after ``delay`` and counts calls in flight."""

    def __init__(self, delay: float):
        self.delay = delay
        self.now = 0
        self.most = 0

    async def __call__(self, ctx, request):
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(self.delay)
            return await get_history(ctx, request)
        finally:
            self.now -= 1


@pytest.mark.parametrize("reverse", [True, False], ids=["oldest_first", "newest_first"])
async def test_idle_pagers_take_over_the_rest_of_other_ranges(fakegram, make_tgsc, reverse):
    w, alice, news = uneven_channel()
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 4})
    in_flight = InFlight(0.02)
    server.set_handler(raw.functions.messages.GetHistory, in_flight)
    expected = world_ids(w.world, alice.id, news.peer)
    expected = expected if reverse else expected[::-1]
    received = []
    path = f"/api/v3/history/{news.peer}"
    params = {"end_date": END, "chunk_size": 50, "reverse": reverse}
    async with open_events(app, path, params=params) as (response, events):
        assert response.status == 200
        fills = app.app[HISTORY].fills()
        async for event in events:
            if event.event is None:
                received += [m["message_id"] for m in event.json()["messages"]]
            else:
                assert event.event == "done", event.data
    assert received == expected
    (fill,) = fills
    assert len(fill.segments) > 1 + 4  # the first page's segment, 4 parts, and taken-over parts
    assert 2 <= in_flight.most <= 4
    pages = len(expected) // 100 + 1
    assert history_calls(server) <= pages + 2 * len(fill.segments) + 4  # nothing fetched twice
    info = await app.json("GET", f"/api/v3/dialogs/{news.peer}/cache")
    assert info["message_count"] == len(expected)
    assert [(c["start"], c["end"]) for c in info["coverage"]] == [(0, fill.end)]
    again = await history(app, news.peer, end_date=END, reverse=reverse)
    assert again.message_ids == expected
    assert again.done["from_cache"] == len(expected)


async def test_one_pager_when_concurrency_is_one(fakegram, make_tgsc):
    w, alice, news = uneven_channel()
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    in_flight = InFlight(0.005)
    server.set_handler(raw.functions.messages.GetHistory, in_flight)
    result = await history(app, news.peer, end_date=END, chunk_size=1000)
    assert result.message_ids == world_ids(w.world, alice.id, news.peer)
    assert in_flight.most == 1
