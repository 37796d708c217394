"""Filling gaps from Telegram: single-flight, clients that hang up, flood waits,
force_refresh, the newest seconds."""

from __future__ import annotations

import asyncio
import time

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, history_calls, world_ids
from tests.sse_client import open_events
from tgscraper.web.appkeys import HISTORY

END = "2024-12-31"


def channel_world(*names: str, count: int = 3000):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    chats = []
    for name in names:
        chat = w.channel(name.title(), members=[alice])
        w.fill(chat, count, start=JAN_1, step=7)
        chats.append(chat)
    return w, alice, chats


async def wait_until(condition, limit_s: float = 20.0) -> None:
    """Poll until `condition()` holds (fails the test after `limit_s`)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_two_concurrent_identical_requests_cause_one_fetch(fakegram, make_tgsc):
    w, alice, (first, twin) = channel_world("first", "twin", count=1500)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.01)
    alone = await history(app, first.peer, end_date=END)
    one_fetch = history_calls(server)
    server.reset_calls()
    both = await asyncio.gather(
        history(app, twin.peer, end_date=END), history(app, twin.peer, end_date=END)
    )
    expected = world_ids(w.world, alice.id, twin.peer)
    assert alone.message_ids == world_ids(w.world, alice.id, first.peer)
    for result in both:
        assert result.message_ids == expected
        assert result.done["from_telegram"] == 1500
    assert history_calls(server) == one_fetch


async def test_opposite_directions_share_one_fill(fakegram, make_tgsc):
    w, alice, (first, twin) = channel_world("first", "twin", count=1500)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.01)
    await history(app, first.peer, end_date=END)
    one_fetch = history_calls(server)
    server.reset_calls()
    oldest, newest = await asyncio.gather(
        history(app, twin.peer, end_date=END), history(app, twin.peer, end_date=END, reverse=False)
    )
    expected = world_ids(w.world, alice.id, twin.peer)
    assert oldest.message_ids == expected
    assert newest.message_ids == expected[::-1]
    assert history_calls(server) <= one_fetch + 1


async def test_different_dialogs_fill_in_parallel(fakegram, make_tgsc):
    w, alice, chats = channel_world("one", "two", "three", count=400)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.05)
    seen_together = 0

    async def watch():
        nonlocal seen_together
        while True:
            seen_together = max(seen_together, app.app[HISTORY].running)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    results = await asyncio.gather(*(history(app, chat.peer, end_date=END) for chat in chats))
    watcher.cancel()
    for chat, result in zip(chats, results, strict=True):
        assert result.message_ids == world_ids(w.world, alice.id, chat.peer)
    assert seen_together == 3


async def test_client_hanging_up_stops_the_fill_and_keeps_what_was_fetched(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=3000)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.05)
    service = app.app[HISTORY]
    received = []
    params = {"end_date": END, "chunk_size": 100}
    path = f"/api/v3/history/{news.peer}"
    async with open_events(app, path, params=params) as (response, events):
        assert response.status == 200
        async for event in events:
            received.extend(m["message_id"] for m in event.json()["messages"])
            if len(received) >= 300:
                break
    await wait_until(lambda: service.running == 0)
    calls = history_calls(server)
    await asyncio.sleep(0.3)
    assert history_calls(server) == calls  # nothing fetched for nobody
    expected = world_ids(w.world, alice.id, news.peer)
    assert received == expected[: len(received)]
    server.faults.latency("messages.getHistory", 0)
    server.reset_calls()
    again = await history(app, news.peer, end_date=END)
    assert again.message_ids == expected
    cached = again.done["from_cache"]
    assert len(received) <= cached < 3000
    assert again.done["from_telegram"] == 3000 - cached
    pages_left = -(-(3000 - cached) // 100)
    assert history_calls(server) <= pages_left + 2  # the rest only (and its far-end probe)


async def test_a_short_flood_wait_is_waited_out_with_wait_events(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=250)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_1", times=1)
    result = await history(app, news.peer, end_date=END, progress=True)
    assert result.message_ids == world_ids(w.world, alice.id, news.peer)
    assert [event.json() for event in result.named("wait")] == [{"seconds": 1}]
    assert result.events.index(result.named("wait")[0]) == 0  # before any message
    progress = [event.json() for event in result.named("progress")]
    assert progress and progress[-1]["fetched"] == 250
    assert progress[-1]["segment"] == {"start_date": "1970-01-01 00:00:00",
                                       "end_date": "2025-01-01 00:00:00"}  # fmt: skip
    # without progress=true: waited out too, no wait events
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_1", times=1)
    quiet = await history(app, news.peer, end_date=END, force_refresh=True)
    assert quiet.message_ids == world_ids(w.world, alice.id, news.peer)
    assert quiet.named("wait") == [] and quiet.named("progress") == []


async def test_a_long_flood_wait_before_anything_was_sent_is_429(fakegram, make_tgsc):
    w, _, (news,) = channel_world("news", count=250)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"max_flood_wait_s": 5})
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_60", times=1)
    result = await history(app, news.peer, end_date=END)
    assert result.status == 429
    assert result.headers["Retry-After"] == "60"
    assert result.error["error"] == "flood_wait"


async def test_a_long_flood_wait_mid_stream_ends_it_with_an_error_event(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=1000)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server, settings={"max_flood_wait_s": 5, "history_concurrency": 1}
    )
    server.faults.flood("messages.getHistory", burst=3, refill_seconds=60)
    result = await history(app, news.peer, end_date=END, chunk_size=10)
    assert result.status == 200
    error = result.error
    assert error["error"] == "flood_wait"
    assert 55 <= error["retry_after"] <= 60
    assert error["detail"]
    expected = world_ids(w.world, alice.id, news.peer)
    assert 0 < len(result.message_ids) < 1000
    assert result.message_ids == expected[: len(result.message_ids)]
    # what was fetched stays: asking again streams it from the cache first
    server.faults.no_flood("messages.getHistory")
    again = await history(app, news.peer, end_date=END)
    assert again.message_ids == expected
    assert again.done["from_cache"] >= len(result.message_ids)


async def test_force_refresh_picks_up_an_edit_and_a_deletion(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=300)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    before = await history(app, news.peer, end_date=END)
    history_box = w.world.history(alice.id, news.peer)
    edited, deleted = history_box.messages[50], history_box.messages[60]
    w.edit(edited, "Edited text")
    w.delete(deleted)
    cached = await history(app, news.peer, end_date=END)
    assert cached.messages == before.messages  # the cache answers, Telegram is not asked
    refreshed = await history(app, news.peer, end_date=END, force_refresh=True)
    assert refreshed.message_ids == world_ids(w.world, alice.id, news.peer)
    assert deleted.id not in refreshed.message_ids
    by_id = {m["message_id"]: m for m in refreshed.messages}
    assert by_id[edited.id]["message"] == "Edited text"
    assert "edit_date" in by_id[edited.id]
    after = await history(app, news.peer, end_date=END)
    assert after.messages == refreshed.messages
    assert after.done["from_cache"] == 299


async def test_end_date_now_picks_up_what_was_posted_afterwards(fakegram, make_tgsc):
    w = WorldBuilder()  # real time
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 200, start=int(time.time()) - 10_000, step=3)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    first = await history(app, news.peer)
    assert first.message_ids == world_ids(w.world, alice.id, news.peer)
    posted = [w.post(news, f"late {i}").id for i in range(3)]
    second = await history(app, news.peer)
    assert second.message_ids == first.message_ids + posted
    assert second.done["from_telegram"] == 3
    assert second.done["from_cache"] == 200


async def test_a_client_hanging_up_during_a_flood_wait_stops_the_fill(fakegram, make_tgsc):
    w, _, (news,) = channel_world("news", count=500)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_60", times=1)
    service = app.app[HISTORY]
    params = {"end_date": END, "progress": "true"}
    async with open_events(app, f"/api/v3/history/{news.peer}", params=params) as (_, events):
        async for event in events:
            assert (event.event, event.json()) == ("wait", {"seconds": 60})
            break  # hang up while the server sits out the wait (nothing is being written)
    await wait_until(lambda: service.running == 0, limit_s=30)
    assert history_calls(server) == 1


async def test_a_follower_of_another_accounts_failed_fill_fetches_the_rest(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    w.account("bob")
    news = w.channel("News", username="shared_news", members=[alice])
    w.fill(news, 3000, start=JAN_1, step=7)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.1)
    path, params = f"/api/v3/history/{news.peer}", {"end_date": END}
    async with open_events(app, path, params=params) as (_, alice_events):
        first = await anext(alice_events)
        assert first.event is None
        bob = asyncio.create_task(history(app, "shared_news", end_date=END, account="bob"))
        service = app.app[HISTORY]
        await wait_until(lambda: [fill.followers for fill in service.fills()] == [2])
        server.log_out(alice.id)  # bob follows alice's fill: it fails for her session
        rest = [event async for event in alice_events]
    assert rest[-1].event == "error"
    assert rest[-1].json()["error"] == "session_rejected"
    bob_result = await bob  # her session's failure is not his: he fetches the rest himself
    assert bob_result.message_ids == world_ids(w.world, alice.id, news.peer)
    assert bob_result.done["total"] == 3000


async def test_another_accounts_flood_wait_does_not_stop_a_follower(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    bob = w.account("bob")
    news = w.channel("News", username="shared_news", members=[alice, bob])
    w.fill(news, 1000, start=JAN_1, step=7)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server, settings={"history_concurrency": 1, "max_flood_wait_s": 5}
    )
    server.faults.latency("messages.getHistory", 0.1)
    # each account may make 7 calls, then waits 60 s (too long): alice's fill stops
    # part-way, bob's own calls fetch what it left
    server.faults.flood("messages.getHistory", burst=7, refill_seconds=60)
    path, params = f"/api/v3/history/{news.peer}", {"end_date": END}
    async with open_events(app, path, params=params) as (_, alice_events):
        first = await anext(alice_events)
        assert first.event is None
        bob_task = asyncio.create_task(history(app, news.peer, end_date=END, account="bob"))
        service = app.app[HISTORY]
        await wait_until(lambda: [fill.followers for fill in service.fills()] == [2])
        rest = [event async for event in alice_events]
    assert rest[-1].event == "error" and rest[-1].json()["error"] == "flood_wait"
    bob_result = await bob_task
    assert bob_result.status == 200 and bob_result.done is not None, bob_result.error
    assert bob_result.message_ids == world_ids(w.world, bob.id, news.peer)


async def test_a_late_follower_hears_only_flood_waits_still_running(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=1500)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.1)
    server.faults.fail("messages.getHistory", 420, "FLOOD_WAIT_1", times=1)
    service = app.app[HISTORY]
    path, params = f"/api/v3/history/{news.peer}", {"end_date": END, "progress": "true"}
    async with open_events(app, path, params=params) as (_, events):
        first = [await anext(events)]
        while first[-1].event is not None:  # up to the first messages, after the wait
            first.append(await anext(events))
        late = asyncio.create_task(history(app, news.peer, end_date=END, progress=True))
        await wait_until(lambda: [fill.followers for fill in service.fills()] == [2])
        rest = [event async for event in events]
    assert first[0].event == "wait" and first[0].json() == {"seconds": 1}
    assert rest[-1].event == "done"
    late_result = await late
    assert late_result.named("wait") == []  # that wait was over before it came
    assert late_result.named("progress")  # it did follow the running fill
    assert late_result.message_ids == world_ids(w.world, alice.id, news.peer)


async def test_a_repeat_up_to_now_asks_telegram_only_for_what_is_newer(fakegram, make_tgsc):
    w = WorldBuilder()  # real time
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 500, start=int(time.time()) - 100_000, step=7)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    # the cache ends a minute ago (as after a request a minute ago): the repeats below
    # have a minute to fill before Telegram's last seconds
    first = await history(app, news.peer, end_date=str(int(time.time()) - 60))
    assert first.message_ids == world_ids(w.world, alice.id, news.peer)
    for reverse in (True, False):  # end_date: now
        server.reset_calls()
        again = await history(app, news.peer, reverse=reverse)
        assert again.message_ids == (first.message_ids if reverse else first.message_ids[::-1])
        assert (again.done["from_cache"], again.done["from_telegram"]) == (500, 0)
        assert history_calls(server) == 1  # nothing new: one (empty) answer
    posted = [w.post(news, f"late {i}").id for i in range(3)]
    server.reset_calls()
    third = await history(app, news.peer)
    assert third.message_ids == [*first.message_ids, *posted]
    assert third.done["from_telegram"] == 3
    assert history_calls(server) == 2  # the new messages, and the empty page proving no more


async def test_an_opposite_follower_streams_its_end_while_the_fill_runs(fakegram, make_tgsc):
    w, alice, (news,) = channel_world("news", count=2000)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, settings={"history_concurrency": 1})
    server.faults.latency("messages.getHistory", 0.05)
    service = app.app[HISTORY]
    expected = world_ids(w.world, alice.id, news.peer)
    path, params = f"/api/v3/history/{news.peer}", {"end_date": END}
    async with open_events(app, path, params={**params, "reverse": "false"}) as (_, newest):
        newest_events = [await anext(newest)]  # a newest-first fill is under way
        async with open_events(app, path, params=params) as (_, oldest):
            oldest_events = [await anext(oldest)]
            [fill] = service.fills()
            # its oldest messages came long before the fill reached them from the top
            assert oldest_events[0].event is None and fill.fetched < 1000
            oldest_events += [event async for event in oldest]
        newest_events += [event async for event in newest]
    for events, order in ((oldest_events, expected), (newest_events, expected[::-1])):
        assert events[-1].event == "done"
        assert [m["message_id"] for e in events[:-1] for m in e.json()["messages"]] == order
    assert history_calls(server) <= 20 + 5  # one fill from both ends: pages, probes, the meeting
