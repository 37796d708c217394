"""A history stream opens and pings while Telegram is slow, and says how a fill goes
(fakegram with latency; the app's stream timing shortened through its option)."""

from __future__ import annotations

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, history_calls, world_ids
from tests.sse_client import open_events
from tgscraper.web.appkeys import HISTORY
from tgscraper.web.history import STREAM_TIMING, StreamTiming

END = "2024-12-31"


def short_timing(app) -> None:
    app[STREAM_TIMING] = StreamTiming(open_after_s=0.2, ping_interval_s=0.05)


async def channel(fakegram, make_tgsc, count: int, **settings):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, count, start=JAN_1, step=7)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server, settings={"history_concurrency": 1, **settings}, setup=short_timing
    )
    return w, alice, news, server, app


async def test_a_slow_fill_sends_headers_and_pings_while_it_runs(fakegram, make_tgsc):
    w, alice, news, server, app = await channel(fakegram, make_tgsc, 600)
    server.faults.latency("messages.getHistory", 0.15)
    service = app.app[HISTORY]
    params = {"end_date": END, "chunk_size": 5000}  # one batch, at the very end
    path = f"/api/v3/history/{news.peer}"
    async with open_events(app, path, params=params) as (response, events):
        assert response.status == 200
        [fill] = service.fills()  # the headers came while the fill runs...
        assert not fill.done
        assert await response.content.readline() == b": ping\r\n"
        assert not fill.done  # ...and so does a ping
        received = [event async for event in events]
    assert [event.event for event in received] == [None, "done"]
    assert [m["message_id"] for m in received[0].json()["messages"]] == world_ids(
        w.world, alice.id, news.peer
    )


async def test_a_stream_opens_when_telegram_is_slow_to_answer_at_all(fakegram, make_tgsc):
    w, alice, news, server, app = await channel(fakegram, make_tgsc, 50)
    server.faults.latency("messages.getHistory", 1.0)
    service = app.app[HISTORY]
    path = f"/api/v3/history/{news.peer}"
    async with open_events(app, path, params={"end_date": END}) as (response, events):
        assert response.status == 200  # after open_after_s, not after Telegram's answer
        [fill] = service.fills()
        assert (fill.fetched, history_calls(server)) == (0, 1)
        server.faults.latency("messages.getHistory", 0)
        received = [event async for event in events]
    assert received[-1].event == "done"
    assert [m["message_id"] for m in received[0].json()["messages"]] == world_ids(
        w.world, alice.id, news.peer
    )


async def test_a_first_call_refused_at_once_is_still_an_http_status(fakegram, make_tgsc):
    _, _, news, server, app = await channel(fakegram, make_tgsc, 50, max_flood_wait_s=5)
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_60", times=1)
    answer = await app.request("GET", f"/api/v3/history/{news.peer}", params={"end_date": END})
    assert (answer.status, answer.headers["Retry-After"]) == (429, "60")


async def test_progress_events_say_how_the_fill_goes(fakegram, make_tgsc):
    _, _, news, server, app = await channel(fakegram, make_tgsc, 1000)
    server.faults.latency("messages.getHistory", 0.02)
    params = {"end_date": END, "chunk_size": 300, "progress": "true"}
    path = f"/api/v3/history/{news.peer}"
    async with open_events(app, path, params=params) as (_, events):
        received = [event async for event in events]
    assert received[-1].event == "done"
    sent, fetched, progress = 0, 0, []
    for event in received:
        if event.event is None:
            sent += len(event.json()["messages"])
        elif event.event == "progress":
            payload = event.json()
            progress.append(payload)
            assert payload["sent"] == sent  # messages sent before this event
            assert payload["fetched"] >= fetched
            fetched = payload["fetched"]
            estimate = payload["estimated_total"]  # a guess from ids 1..1000: close here
            assert estimate is None or 990 <= estimate <= 1010
            assert payload["segment"] == {"start_date": "1970-01-01 00:00:00",
                                          "end_date": "2025-01-01 00:00:00"}  # fmt: skip
    assert len(progress) >= 10  # one per page, at least
    assert (progress[-1]["fetched"], progress[-1]["estimated_total"]) == (1000, 1000)
    assert sent == 1000 and 0 < progress[-1]["sent"] < 1000


async def test_pings_flow_while_a_flood_wait_is_waited_out(fakegram, make_tgsc):
    w, alice, news, server, app = await channel(fakegram, make_tgsc, 50)
    for progress in (True, False):
        server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_1", times=1)
        result = await history(app, news.peer, end_date=END, progress=progress, force_refresh=True)
        assert result.message_ids == world_ids(w.world, alice.id, news.peer)
        assert len(result.named("wait")) == (1 if progress else 0)
        assert "ping" in result.comments  # a 1 s wait, pings every 0.05 s
