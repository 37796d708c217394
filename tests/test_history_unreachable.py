"""Telegram out of reach while history is served: 502 ``telegram_unavailable`` before the
stream starts, an ``error`` event of that code after (fakegram faults, real HTTP)."""

from __future__ import annotations

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, world_ids
from tests.sse_client import open_events
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.history import STREAM_TIMING, StreamTiming

END = "2024-12-31"


async def news_channel(fakegram, make_tgsc, count: int, **app_options):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, count, start=JAN_1, step=600)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1}, **app_options)
    return w, alice, news, server, app


def patient(app) -> None:
    """Streams open only at their first batch (so a failure before is an HTTP status)."""
    app[STREAM_TIMING] = StreamTiming(open_after_s=60)


async def test_telegram_giving_no_answer_before_anything_was_streamed_is_502(fakegram, make_tgsc):
    _, _, news, server, app = await news_channel(fakegram, make_tgsc, 50, setup=patient)
    await history(app, news.peer, start_date="2024-01-01", end_date="2024-01-01")  # warm
    server.faults.fail("messages.getHistory", 500, "RPC_CALL_FAIL", times=100)
    server.reset_calls()
    params = {"end_date": END, "force_refresh": "true"}
    answer = await app.request("GET", f"/api/v3/history/{news.peer}", params=params)
    assert answer.status == 502, answer.body
    assert answer.json()["error"] == "telegram_unavailable"
    assert server.calls["messages.getHistory"] == 10  # pyrogram tried, then gave up
    server.faults.clear()
    sync = await app.request("POST", f"/api/v3/sync/{news.peer}", params={"end_date": END})
    assert sync.status == 200  # and all is well once Telegram answers again


async def test_telegram_out_of_reach_mid_stream_ends_it_with_an_error_event(fakegram, make_tgsc):
    w, alice, news, server, app = await news_channel(fakegram, make_tgsc, 1000)
    server.faults.latency("messages.getHistory", 0.05)
    path, params = f"/api/v3/history/{news.peer}", {"end_date": END, "progress": "true"}
    async with open_events(app, path, params=params) as (_, events):
        first = await anext(events)
        while first.event is not None:  # up to the first batch
            first = await anext(events)
        server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_2", times=1)
        wait = await anext(events)
        while wait.event != "wait":
            wait = await anext(events)
        # while the fill sits out the wait, its client loses its connection: the next
        # call fails in pyrogram ("Client has not been started yet")
        await app.app[SESSIONS].evict("alice")
        rest = [event async for event in events]
    assert rest[-1].event == "error"
    assert rest[-1].json()["error"] == "telegram_unavailable"
    again = await history(app, news.peer, end_date=END)  # a new client fetches the rest
    assert again.message_ids == world_ids(w.world, alice.id, news.peer)
