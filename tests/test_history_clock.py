"""Whose clock decides what is certainly complete: Telegram's (message dates are its), not
this host's (fakegram with a clock that differs from the host's)."""

from __future__ import annotations

import time

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import history, world_ids
from tgscraper.web.appkeys import SESSIONS

SKEW = 10  # this host's clock is ahead of Telegram's by this many seconds


def telegram_now() -> int:
    return int(time.time()) - SKEW


async def test_the_fakes_clock_offset_reaches_pyrogram(fakegram, make_tgsc):
    w = WorldBuilder()
    w.account("alice")
    server = await fakegram(w.world, clock_offset=-SKEW)
    app = await make_tgsc(telegram=server)
    client = await app.app[SESSIONS].get("alice")
    assert abs(client.server_time - (time.time() - SKEW)) < 2


async def test_a_host_clock_ahead_of_telegrams_leaves_no_hole(fakegram, make_tgsc):
    w = WorldBuilder()
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 50, start=telegram_now() - 1000, step=10)
    server = await fakegram(w.world, clock_offset=-SKEW)
    app = await make_tgsc(telegram=server)
    first = await history(app, news.peer)  # end_date: now
    assert len(first.message_ids) == 50
    # sent after the first request: dated by Telegram's clock, seconds our clock had
    # already passed when the first request claimed what it fetched
    late = w.post(news, "late", date=telegram_now())
    second = await history(app, news.peer)
    assert second.message_ids == [*first.message_ids, late.id]
    assert second.done["from_telegram"] >= 1


async def test_a_host_clock_behind_telegrams_still_serves_up_to_telegrams_now(fakegram, make_tgsc):
    ahead = 20  # Telegram's clock is ahead of this host's
    w = WorldBuilder()
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    telegram_now = int(time.time()) + ahead
    w.fill(news, 30, start=telegram_now - 1000, step=30)
    # dated by Telegram in seconds this host has not reached yet
    newest = [w.post(news, f"new {i}", date=telegram_now - 5 + i).id for i in range(3)]
    server = await fakegram(w.world, clock_offset=ahead)
    app = await make_tgsc(telegram=server)
    expected = world_ids(w.world, alice.id, news.peer)
    assert expected[-3:] == newest
    synced = await app.json("POST", f"/api/v3/sync/{news.peer}")  # end_date: now, Telegram's
    assert synced["messages_downloaded"] == len(expected)
    result = await history(app, news.peer)
    assert result.message_ids == expected
    newest_first = await history(app, news.peer, reverse=False)
    assert newest_first.message_ids == expected[::-1]
    # an explicit end_date means what it says
    host_now = int(time.time())
    bounded = await history(app, news.peer, end_date=str(host_now - ahead - 10))
    assert set(bounded.message_ids).isdisjoint(newest)
