"""Coverage intervals: gaps in SQL, merge on insert, and what each Telegram page proves."""

import asyncio
import tempfile
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tests.cache_support import DAY, History, cached_ids, fill
from tgscraper.cache.coverage import Claim, FillProgress, add_interval, gaps, intervals
from tgscraper.cache.db import migrate
from tgscraper.cache.manager import CacheManager

DOMAIN = 40  # seconds in the property tests: small, so layouts collide a lot

# Keep hypothesis' own files out of the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "tgscraper-hypothesis")


# -- a model: coverage as a set of seconds ----------------------------------------------------


def runs(seconds: set[int], start: int, end: int) -> list[tuple[int, int]]:
    """Maximal runs of ``[start, end)`` seconds *not* in ``seconds``."""
    out, run_start = [], None
    for second in range(start, end):
        if second in seconds:
            if run_start is not None:
                out.append((run_start, second))
                run_start = None
        elif run_start is None:
            run_start = second
    if run_start is not None:
        out.append((run_start, end))
    return out


def merged(seconds: set[int]) -> list[tuple[int, int]]:
    low, high = -1, DOMAIN + 20  # beyond every generated interval
    return runs(set(range(low, high)) - seconds, low, high)


intervals_strategy = st.lists(
    st.tuples(st.integers(0, DOMAIN - 1), st.integers(1, 12)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=8,
)
query_strategy = st.tuples(st.integers(-3, DOMAIN + 3), st.integers(-3, DOMAIN + 3))


async def _memory_db() -> aiosqlite.Connection:
    connection = await aiosqlite.connect(":memory:", isolation_level=None)
    await migrate(connection)
    return connection


async def _check_merged(layout, query):
    connection = await _memory_db()
    try:
        seconds: set[int] = set()
        for start, end in layout:
            await connection.execute("BEGIN")
            await add_interval(connection, start, end)
            await connection.execute("COMMIT")
            seconds |= set(range(start, end))
        assert await intervals(connection) == merged(seconds)
        a, b = query
        assert await gaps(connection, a, b) == (runs(seconds, a, b) if a < b else [])
    finally:
        await connection.close()


async def _check_unmerged(layout, query):
    """gaps() is right even over overlapping rows (it never relies on the merge)."""
    connection = await _memory_db()
    try:
        await connection.executemany(
            "INSERT INTO coverage (start_ts, end_ts) VALUES (?, ?)", layout
        )
        seconds = {s for start, end in layout for s in range(start, end)}
        a, b = query
        assert await gaps(connection, a, b) == (runs(seconds, a, b) if a < b else [])
    finally:
        await connection.close()


@settings(max_examples=150, deadline=None, database=None)
@given(intervals_strategy, query_strategy)
def test_merge_on_insert_and_gaps_match_model(layout, query):
    asyncio.run(_check_merged(layout, query))


@settings(max_examples=150, deadline=None, database=None)
@given(intervals_strategy, query_strategy)
def test_gaps_over_overlapping_rows_match_model(layout, query):
    asyncio.run(_check_unmerged(layout, query))


@pytest.mark.parametrize(
    ("layout", "query", "expected"),
    [
        ([], (0, 10), [(0, 10)]),
        ([(0, 10)], (0, 10), []),
        ([(0, 10)], (2, 5), []),
        ([(2, 5)], (0, 10), [(0, 2), (5, 10)]),
        ([(0, 3), (3, 6)], (0, 6), []),  # adjacent: no gap between
        ([(0, 3), (4, 6)], (0, 6), [(3, 4)]),  # a one-second hole
        ([(0, 10), (2, 4)], (0, 12), [(10, 12)]),  # nested
        ([(5, 8), (1, 3)], (0, 10), [(0, 1), (3, 5), (8, 10)]),
        ([(0, 5)], (5, 9), [(5, 9)]),  # touching the query from below
        ([(9, 12)], (5, 9), [(5, 9)]),  # touching from above
        ([(0, 10)], (4, 4), []),  # empty query
    ],
)
async def test_gap_layouts(layout, query, expected):
    connection = await _memory_db()
    try:
        await connection.executemany(
            "INSERT INTO coverage (start_ts, end_ts) VALUES (?, ?)", layout
        )
        assert await gaps(connection, *query) == expected
    finally:
        await connection.close()


async def test_merge_keeps_disjoint_intervals_apart():
    connection = await _memory_db()
    try:
        for start, end in [(10, 20), (30, 40), (20, 30), (50, 60), (45, 46)]:
            await add_interval(connection, start, end)
        assert await intervals(connection) == [(10, 40), (45, 46), (50, 60)]
        await add_interval(connection, 0, 100)
        assert await intervals(connection) == [(0, 100)]
        await add_interval(connection, 5, 6)  # already covered: no change
        assert await intervals(connection) == [(0, 100)]
    finally:
        await connection.close()


# -- FillProgress: what a page proves -------------------------------------------------------


class Msg:
    def __init__(self, message_id, date):
        self.message_id, self.date = message_id, date


def test_page_claims_only_above_its_oldest_second():
    progress = FillProgress(100, 200, horizon=10**9)
    claim = progress.after_page([Msg(9, 190), Msg(8, 150), Msg(7, 150)], exhausted=False)
    assert claim == Claim(151, 200, frozenset({9}))
    assert progress.remaining == (100, 151)
    # The next page holds the rest of second 150 and reaches below the gap's start.
    claim = progress.after_page([Msg(6, 150), Msg(5, 120), Msg(4, 99)], exhausted=False)
    assert claim == Claim(100, 151, frozenset({8, 7, 6, 5}))
    assert progress.done
    assert progress.after_page([Msg(3, 50)], exhausted=False) is None


def test_exhausted_history_completes_the_gap():
    progress = FillProgress(0, 1000, horizon=10**9)
    assert progress.after_page([Msg(2, 500), Msg(1, 400)], exhausted=True) == Claim(
        0, 1000, frozenset({1, 2})
    )
    assert progress.done


def test_empty_page_means_nothing_older():
    progress = FillProgress(0, 1000, horizon=10**9)
    assert progress.after_page([], exhausted=False) == Claim(0, 1000, frozenset())


def test_claims_stop_at_the_horizon():
    progress = FillProgress(0, 1000, horizon=600)
    claim = progress.after_page([Msg(5, 700), Msg(4, 599), Msg(3, 500)], exhausted=False)
    assert claim == Claim(501, 600, frozenset({4}))
    assert progress.after_page([], exhausted=True) == Claim(0, 501, frozenset({3}))


def test_gap_entirely_after_the_horizon_is_done_at_once():
    progress = FillProgress(700, 1000, horizon=600)
    assert progress.done


def test_250_messages_in_one_second_across_pages_of_100():
    second = 5000
    progress = FillProgress(0, 10_000, horizon=10**9)
    world = [Msg(1000 + i, second) for i in range(250)] + [Msg(i, 4000 + i) for i in range(1, 11)]
    world.sort(key=lambda m: m.message_id, reverse=True)
    pages = [world[i : i + 100] for i in range(0, len(world), 100)]
    claims = [progress.after_page(page, exhausted=len(page) < 100) for page in pages]
    assert claims[0] == Claim(second + 1, 10_000, frozenset())
    assert claims[1] is None  # the second is still incomplete
    assert claims[2] == Claim(0, second + 1, frozenset(m.message_id for m in world))


def test_oldest_first_pages():
    progress = FillProgress(100, 200, horizon=10**9, newest_first=False)
    claim = progress.after_page([Msg(1, 100), Msg(2, 130), Msg(3, 130)], exhausted=False)
    assert claim == Claim(100, 130, frozenset({1}))
    claim = progress.after_page([Msg(4, 130), Msg(5, 210)], exhausted=False)
    assert claim == Claim(130, 200, frozenset({2, 3, 4}))
    assert progress.done


def test_stop_at_hands_the_far_part_to_another_fill():
    # oldest first: the part from second 150 on goes elsewhere, even from a page in flight
    progress = FillProgress(100, 200, horizon=10**9, newest_first=False)
    progress.after_page([Msg(1, 100), Msg(2, 120), Msg(3, 120)], exhausted=False)
    progress.stop_at(150)
    assert progress.remaining == (120, 150)
    claim = progress.after_page([Msg(4, 140), Msg(5, 150), Msg(6, 170)], exhausted=False)
    assert claim == Claim(120, 150, frozenset({2, 3, 4}))
    assert progress.done
    other = FillProgress(150, 200, horizon=10**9, newest_first=False)
    assert other.after_page([Msg(5, 150), Msg(6, 170)], exhausted=True) == Claim(
        150, 200, frozenset({5, 6})
    )
    # newest first: the older part goes elsewhere
    progress = FillProgress(100, 200, horizon=10**9)
    progress.after_page([Msg(9, 190), Msg(8, 160)], exhausted=False)
    progress.stop_at(130)
    assert progress.remaining == (130, 161)
    claim = progress.after_page([Msg(7, 150), Msg(6, 120)], exhausted=False)
    assert claim == Claim(130, 161, frozenset({7, 8}))
    assert progress.done


def test_stop_at_refuses_a_second_already_claimed():
    progress = FillProgress(100, 200, horizon=10**9, newest_first=False)
    progress.after_page([Msg(1, 100), Msg(2, 130), Msg(3, 140)], exhausted=False)
    for boundary in (100, 130, 200, 250):
        with pytest.raises(ValueError):
            progress.stop_at(boundary)


# -- fills against a real dialog cache ------------------------------------------------------


@pytest.fixture
async def cache(tmp_path):
    manager = CacheManager(tmp_path)
    yield await manager.dialog(-1001234567890, None)
    await manager.close()


JAN, FEB, MAR, APR = 1704067200, 1706745600, 1709251200, 1711929600  # 2024-01..04-01 UTC


def quarter_history() -> History:
    history = History()
    for i in range(900):  # one message every ~2.5 hours through Q1 2024
        history.post(i + 1, JAN + i * 9000)
    return history


async def test_january_then_march_then_february_fetches_february(cache):
    history = quarter_history()
    horizon = APR + DAY
    await fill(cache, history, JAN, FEB, horizon=horizon)
    await fill(cache, history, MAR, APR, horizon=horizon)
    assert await cache.gaps(JAN, APR) == [(FEB, MAR)]
    before = history.requests
    await fill(cache, history, FEB, MAR, horizon=horizon)
    feb_pages = history.requests - before
    assert feb_pages == len(history.ids_between(FEB, MAR)) // 100 + 1
    assert await cache.gaps(JAN, APR) == []
    assert await cache.coverage() == [(JAN, APR)]
    assert await cached_ids(cache) == history.ids_between(JAN, APR)
    # A repeat of the whole quarter asks Telegram nothing.
    before = history.requests
    await fill(cache, history, JAN, APR, horizon=horizon)
    assert history.requests == before


async def test_overlapping_requests_fetch_only_the_difference(cache):
    history = quarter_history()
    await fill(cache, history, JAN, FEB + 10 * DAY, horizon=APR)
    assert await cache.gaps(FEB, MAR) == [(FEB + 10 * DAY, MAR)]
    await fill(cache, history, FEB, MAR, horizon=APR)
    assert await cache.coverage() == [(JAN, MAR)]
    assert await cached_ids(cache) == history.ids_between(JAN, MAR)


async def test_same_second_messages_across_pages_are_all_stored_once(cache):
    history = History()
    second = FEB
    for i in range(250):
        history.post(1000 + i, second)
    for i in range(1, 11):
        history.post(i, second - 100 + i)  # older messages
        history.post(2000 + i, second + i)  # newer messages
    for max_pages in (1, 2):  # die after each page: never a claim over `second`
        await fill(cache, history, JAN, MAR, horizon=APR, max_pages=max_pages)
        for start, end in await cache.coverage():
            assert not start <= second < end
    await fill(cache, history, JAN, MAR, horizon=APR)
    assert await cache.coverage() == [(JAN, MAR)]
    ids = await cached_ids(cache)
    assert ids == sorted(history.messages, key=lambda mid: (history.messages[mid], mid))
    assert len(ids) == len(set(ids)) == 270


async def test_fill_that_dies_half_way_claims_only_what_it_fetched(cache):
    history = quarter_history()
    await fill(cache, history, JAN, APR, horizon=APR, max_pages=4)
    stored = set(await cached_ids(cache))
    assert len(stored) == 400
    for start, end in await cache.coverage():
        assert set(history.ids_between(start, end)) <= stored
    assert await cache.coverage() != [(JAN, APR)]
    # Restart: only the rest is fetched, and the result is complete.
    ((gap_start, gap_end),) = await cache.gaps(JAN, APR)
    assert gap_start == JAN
    left = len(history.ids_between(JAN, gap_end))
    before = history.requests
    await fill(cache, history, JAN, APR, horizon=APR)
    assert history.requests - before == left // 100 + 1
    assert await cached_ids(cache) == history.ids_between(JAN, APR)
    assert await cache.coverage() == [(JAN, APR)]


async def test_messages_after_the_horizon_are_fetched_next_time(cache):
    history = quarter_history()
    now = MAR
    await fill(cache, history, JAN, now + 1, horizon=now)
    assert await cache.coverage() == [(JAN, now)]
    history.post(5000, now)  # posted in the second the first fill started
    history.post(5001, now + 10)
    later = now + 20
    assert await cache.gaps(JAN, later + 1) == [(now, later + 1)]
    before = history.requests
    await fill(cache, history, JAN, later + 1, horizon=later)
    assert history.requests - before == 1
    assert (await cached_ids(cache))[-2:] == [5000, 5001]


# -- the contract over real MTProto: raw getHistory pages -> convert -> FillProgress -------


async def wire_fill(client, peer, dialog_id, cache, start, end, horizon):
    from pyrogram import raw

    from tgscraper.telegram.convert import convert_messages

    for gap_start, gap_end in await cache.gaps(start, end):
        progress = FillProgress(gap_start, gap_end, horizon=horizon)
        offset_id, offset_date = 0, gap_end
        while not progress.done:
            answer = await client.invoke(
                raw.functions.messages.GetHistory(
                    peer=peer, offset_id=offset_id, offset_date=offset_date, add_offset=0,
                    limit=100, max_id=0, min_id=0, hash=0,
                )
            )  # fmt: skip
            page = convert_messages(answer, dialog_id)
            claim = progress.after_page(page.records, exhausted=len(answer.messages) < 100)
            await cache.write_batch(page, claim)
            if answer.messages:
                offset_id, offset_date = answer.messages[-1].id, 0


async def test_fill_over_mtproto_with_a_crowded_second(fakegram, fakegram_client, tmp_path):
    from tests.fakegram.world.builder import WorldBuilder

    w = WorldBuilder(now=MAR)
    alice = w.account("alice")
    news = w.channel("News", username="newsroom", members=[alice])
    w.fill(news, 120, start=JAN, step=3600)
    w.fill(news, 250, start=FEB, step=0)  # 250 messages in one second
    w.fill(news, 130, start=FEB + 60, step=3600)
    server = await fakegram(w.world)
    client = await fakegram_client(server, alice.id, sleep_threshold=0)
    peer = await client.resolve_peer("newsroom")
    dialog_id = -1000000000000 - peer.channel_id

    manager = CacheManager(tmp_path)
    try:
        cache = await manager.dialog(dialog_id, "alice")
        server.reset_calls()
        await wire_fill(client, peer, dialog_id, cache, JAN, MAR + 1, horizon=MAR)
        assert server.calls["messages.getHistory"] == 6  # 500 messages, pages of 100
        assert await cached_ids(cache) == list(range(1, 501))
        assert await cache.coverage() == [(JAN, MAR)]
        server.reset_calls()
        await wire_fill(client, peer, dialog_id, cache, JAN, MAR, horizon=MAR)
        assert server.calls["messages.getHistory"] == 0
    finally:
        await manager.close()
