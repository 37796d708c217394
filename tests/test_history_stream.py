"""GET /api/v3/history: what a stream holds and in which order, against fakegram, with
exact message ids."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pyrogram import raw

from tests.fakegram.methods.history import get_history
from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, history_calls, world_ids

END = "2024-12-31"
FEB_1 = JAN_1 + 31 * DAY
MAR_1 = FEB_1 + 29 * DAY
APR_1 = MAR_1 + 31 * DAY


@pytest.fixture
async def big_channel(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="news_feed", members=[alice])
    w.fill(news, 10_000, start=JAN_1, step=0.5)  # two messages per second
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return SimpleNamespace(w=w, server=server, app=app, alice=alice, news=news)


async def test_ten_thousand_messages_stream_exactly_and_the_repeat_asks_telegram_nothing(
    big_channel,
):
    expected = world_ids(big_channel.w.world, big_channel.alice.id, big_channel.news.peer)
    assert len(expected) == 10_000
    first = await history(big_channel.app, big_channel.news.peer, end_date=END, chunk_size=1000)
    assert first.status == 200, first.body
    assert first.message_ids == expected
    assert first.done == {
        "dialog_id": big_channel.news.peer,
        "total": 10_000,
        "from_cache": 0,
        "from_telegram": 10_000,
    }
    assert [len(batch) for batch in first.batches] == [1000] * 10
    assert [event.id for event in first.named(None)] == [str(i) for i in expected[999::1000]]
    calls = history_calls(big_channel.server)
    second = await history(big_channel.app, big_channel.news.peer, end_date=END, chunk_size=1000)
    assert second.message_ids == expected
    assert second.done["from_cache"] == 10_000
    assert history_calls(big_channel.server) == calls


async def test_newest_first_fill_of_a_large_gap(big_channel):
    expected = world_ids(big_channel.w.world, big_channel.alice.id, big_channel.news.peer)[::-1]
    result = await history(
        big_channel.app, big_channel.news.peer, end_date=END, chunk_size=700, reverse=False
    )
    assert result.message_ids == expected
    assert result.done["from_telegram"] == 10_000
    again = await history(
        big_channel.app, big_channel.news.peer, end_date=END, chunk_size=700, reverse=False
    )
    assert again.message_ids == expected
    assert again.done["from_cache"] == 10_000


@pytest.fixture
async def quarter(fakegram, make_tgsc):
    """A channel with messages every 6 hours from January to March 2024."""
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="quarter_news", members=[alice])
    w.fill(news, (APR_1 - JAN_1) // (6 * 3600), start=JAN_1, step=6 * 3600)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return SimpleNamespace(w=w, server=server, app=app, alice=alice, news=news)


async def test_january_then_march_then_february_fetches_only_february(quarter):

    def ids(start, end):
        return world_ids(quarter.w.world, quarter.alice.id, quarter.news.peer, start, end)

    january = await history(
        quarter.app, quarter.news.peer, start_date="2024-01-01", end_date="2024-01-31"
    )
    assert january.message_ids == ids(JAN_1, FEB_1)
    march = await history(
        quarter.app, quarter.news.peer, start_date="2024-03-01", end_date="2024-03-31"
    )
    assert march.message_ids == ids(MAR_1, APR_1)
    february = await history(
        quarter.app, quarter.news.peer, start_date="2024-02-01", end_date="2024-02-29"
    )
    assert february.message_ids == ids(FEB_1, MAR_1)
    assert february.done["from_telegram"] == len(ids(FEB_1, MAR_1))
    assert february.done["from_cache"] == 0
    calls = history_calls(quarter.server)
    for reverse in (True, False):
        whole = await history(
            quarter.app,
            quarter.news.peer,
            start_date="2024-01-01",
            end_date="2024-03-31",
            reverse=reverse,
        )
        expected = ids(JAN_1, APR_1)
        assert whole.message_ids == (expected if reverse else expected[::-1])
        assert whole.done["from_cache"] == len(expected)
    assert history_calls(quarter.server) == calls


async def test_cache_and_telegram_parts_interleave_in_order(quarter):
    await history(quarter.app, quarter.news.peer, start_date="2024-01-10", end_date="2024-01-20")
    await history(quarter.app, quarter.news.peer, start_date="2024-02-10", end_date="2024-02-20")
    for reverse in (False, True):
        expected = world_ids(quarter.w.world, quarter.alice.id, quarter.news.peer, JAN_1, APR_1)
        result = await history(
            quarter.app,
            quarter.news.peer,
            start_date="2024-01-01",
            end_date="2024-03-31",
            reverse=reverse,
            chunk_size=7,
        )
        assert result.message_ids == (expected if reverse else expected[::-1])
        assert len(set(result.message_ids)) == len(expected)


async def test_overlapping_requests_fetch_only_the_difference(quarter):

    def ids(first_day, last_day):
        start, end = JAN_1 + first_day * DAY, JAN_1 + (last_day + 1) * DAY
        return world_ids(quarter.w.world, quarter.alice.id, quarter.news.peer, start, end)

    await history(quarter.app, quarter.news.peer, start_date="2024-01-01", end_date="2024-01-20")
    result = await history(
        quarter.app, quarter.news.peer, start_date="2024-01-10", end_date="2024-01-31"
    )
    assert result.message_ids == ids(9, 30)
    assert result.done["from_cache"] == len(ids(9, 19))
    assert result.done["from_telegram"] == len(ids(20, 30))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_messages_sharing_one_second_across_page_boundaries(fakegram, make_tgsc, concurrency):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 130, start=JAN_1, step=1)
    w.fill(news, 250, start=JAN_1 + 1000, step=0)  # 250 messages in one second
    w.fill(news, 130, start=JAN_1 + 1001, step=1)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server,
        settings={"telegram_batch_size": 100, "history_concurrency": concurrency},
    )
    expected = world_ids(w.world, alice.id, news.peer)
    assert history_calls(server) == 0
    newest_first = await history(app, news.peer, end_date=END, reverse=False, chunk_size=100)
    assert newest_first.message_ids == expected[::-1]
    oldest_first = await history(app, news.peer, end_date=END, chunk_size=100, force_refresh=True)
    assert oldest_first.message_ids == expected
    # the one-second burst alone, from the cache and from a fresh fill
    second = {"start_date": str(JAN_1 + 1000), "end_date": str(JAN_1 + 1000)}
    cached = await history(app, news.peer, **second)
    assert cached.message_ids == world_ids(w.world, alice.id, news.peer, JAN_1 + 1000,
                                           JAN_1 + 1001)  # fmt: skip
    assert len(cached.message_ids) == 250 and cached.done["from_cache"] == 250


@pytest.mark.parametrize(
    ("chunk_size", "sizes"),
    [(1, [1] * 12), (4, [4, 4, 4]), (5, [5, 5, 2]), (12, [12]), (5000, [12])],
)
async def test_chunk_sizes(fakegram, make_tgsc, chunk_size, sizes):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 12, start=JAN_1, step=60)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    expected = world_ids(w.world, alice.id, news.peer)
    for source in ("from_telegram", "from_cache"):
        result = await history(app, news.peer, end_date=END, chunk_size=chunk_size)
        assert [len(batch) for batch in result.batches] == sizes
        assert result.message_ids == expected
        ends = [sum(sizes[: i + 1]) - 1 for i in range(len(sizes))]
        assert [event.id for event in result.named(None)] == [str(expected[i]) for i in ends]
        assert result.done[source] == 12


async def test_an_empty_range_is_just_done(big_channel):
    result = await history(
        big_channel.app, big_channel.news.peer, start_date="2023-01-01", end_date="2023-06-30"
    )
    assert result.events[-1].event == "done"
    assert result.message_ids == []
    assert result.done == {"dialog_id": big_channel.news.peer, "total": 0, "from_cache": 0,
                           "from_telegram": 0}  # fmt: skip


async def test_last_event_id_resumes_exactly_after_that_message(quarter):
    expected = world_ids(quarter.w.world, quarter.alice.id, quarter.news.peer, JAN_1, APR_1)
    params = {"start_date": "2024-01-01", "end_date": "2024-03-31", "chunk_size": 10}
    for reverse in (True, False):
        order = expected if reverse else expected[::-1]
        full = await history(quarter.app, quarter.news.peer, reverse=reverse, **params)
        assert full.message_ids == order
        resume_id = full.named(None)[3].id
        resumed = await history(
            quarter.app,
            quarter.news.peer,
            reverse=reverse,
            headers={"Last-Event-ID": resume_id},
            **params,
        )
        position = order.index(int(resume_id))
        assert resumed.message_ids == order[position + 1 :]
        assert resumed.done["total"] == len(order) - position - 1


async def test_last_event_id_before_anything_was_cached_resumes_through_telegram(quarter):
    expected = world_ids(quarter.w.world, quarter.alice.id, quarter.news.peer, JAN_1, FEB_1)
    params = {"start_date": "2024-01-01", "end_date": "2024-01-31", "chunk_size": 10}
    first = await history(quarter.app, quarter.news.peer, **params)
    resume_id = first.named(None)[1].id
    # force_refresh fetches again from Telegram, after the resume point only
    resumed = await history(
        quarter.app,
        quarter.news.peer,
        force_refresh=True,
        headers={"Last-Event-ID": resume_id},
        **params,
    )
    assert resumed.message_ids == expected[expected.index(int(resume_id)) + 1 :]
    assert resumed.done["from_telegram"] == len(resumed.message_ids)


async def test_default_chunk_size_and_telegram_batch_size(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 250, start=JAN_1, step=60)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server, settings={"telegram_batch_size": 40, "history_concurrency": 1}
    )
    limits = []

    async def recording(ctx, request):
        limits.append(request.limit)
        return await get_history(ctx, request)

    server.set_handler(raw.functions.messages.GetHistory, recording)
    expected = world_ids(w.world, alice.id, news.peer)
    for source in ("from_telegram", "from_cache"):
        result = await history(app, news.peer, end_date=END)  # chunk_size: 100
        assert [len(batch) for batch in result.batches] == [100, 100, 50]
        assert result.message_ids == expected
        assert result.done[source] == 250
    # every page asked of Telegram is of telegram_batch_size messages (a probe may ask 1)
    assert limits and set(limits) <= {40, 1} and limits.count(40) >= 250 // 40
