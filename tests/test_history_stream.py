"""GET /api/v3/history: the stream against fakegram, asserting exact message ids."""

from __future__ import annotations

import pytest

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import JAN_1, history, history_calls, world_ids

END = "2024-12-31"


@pytest.fixture
async def big_channel(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * 86_400)
    alice = w.account("alice")
    news = w.channel("News", username="news_feed", members=[alice])
    w.fill(news, 10_000, start=JAN_1, step=0.5)  # two messages per second
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return w, server, app, alice, news


async def test_ten_thousand_messages_stream_exactly_and_the_repeat_asks_telegram_nothing(
    big_channel,
):
    w, server, app, alice, news = big_channel
    expected = world_ids(w.world, alice.id, news.peer)
    assert len(expected) == 10_000
    first = await history(app, news.peer, end_date=END, chunk_size=1000)
    assert first.status == 200, first.body
    assert first.error is None, (first.error, first.events[:3])
    assert first.message_ids == expected
    assert first.done == {
        "dialog_id": news.peer,
        "total": 10_000,
        "from_cache": 0,
        "from_telegram": 10_000,
    }
    assert [len(batch) for batch in first.batches] == [1000] * 10
    assert [event.id for event in first.named(None)] == [str(i) for i in expected[999::1000]]
    calls = history_calls(server)
    second = await history(app, news.peer, end_date=END, chunk_size=1000)
    assert second.message_ids == expected
    assert second.done["from_cache"] == 10_000
    assert history_calls(server) == calls
