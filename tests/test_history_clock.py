"""Whose clock decides what is certainly complete: Telegram's (message dates are its), not
this host's (fakegram with a clock that differs from the host's)."""

from __future__ import annotations

import time

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import history
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
