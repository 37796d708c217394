"""POST /api/v3/sync/{dialog} and GET /api/v3/dialogs/{dialog}/cache."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, history_calls, world_ids
from tgscraper.dialogs import parse_dialog_ref
from tgscraper.history import HistoryRequest, Messages
from tgscraper.telegram.access import resolve_dialog
from tgscraper.web.appkeys import HISTORY

END = "2024-12-31"


@pytest.fixture
async def env(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="daily_news", members=[alice])
    w.fill(news, 150, start=JAN_1, step=600)
    photos = [w.post(news, f"photo {i}", media=w.photo(), date=JAN_1 + 2 * DAY + i)
              for i in range(3)]  # fmt: skip
    document = w.post(
        news, "doc", media=w.document(5000, file_name="a.pdf", mime_type="application/pdf"),
        date=JAN_1 + 3 * DAY,
    )  # fmt: skip
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return SimpleNamespace(
        w=w, server=server, app=app, alice=alice, news=news, media=[*photos, document]
    )


async def test_sync_fills_the_cache_and_counts_this_call_only(env):
    body = await env.app.json("POST", "/api/v3/sync/daily_news", params={"end_date": END})
    assert body == {
        "dialog_id": env.news.peer,
        "messages_downloaded": 154,
        "messages_with_media": 4,
        "media_downloaded": 4,  # the media service downloads them before sync answers
        "media_skipped": 0,
        "media_failed": 0,
    }
    calls = history_calls(env.server)
    streamed = await history(env.app, env.news.peer, end_date=END)
    assert streamed.message_ids == world_ids(env.w.world, env.alice.id, env.news.peer)
    assert streamed.done["from_cache"] == 154
    assert history_calls(env.server) == calls
    again = await env.app.json("POST", "/api/v3/sync/daily_news", params={"end_date": END})
    assert again["messages_downloaded"] == 0 and again["messages_with_media"] == 0
    refreshed = await env.app.json(
        "POST", "/api/v3/sync/daily_news", params={"end_date": END, "force_refresh": "true"}
    )
    assert refreshed["messages_downloaded"] == 154


async def test_sync_of_part_of_the_range(env):
    params = {"start_date": "2024-01-02", "end_date": "2024-01-02"}
    body = await env.app.json("POST", f"/api/v3/sync/{env.news.peer}", params=params)
    expected = world_ids(env.w.world, env.alice.id, env.news.peer, JAN_1 + DAY, JAN_1 + 2 * DAY)
    assert body["messages_downloaded"] == len(expected) > 0


async def test_cache_info_before_and_after(env):
    path = f"/api/v3/dialogs/{env.news.peer}/cache"
    empty = await env.app.json("GET", path)
    assert empty["dialog_id"] == env.news.peer
    assert empty["dialog"]["title"] == "News"
    assert (empty["message_count"], empty["coverage"], empty["oldest_message"]) == (0, [], None)
    assert not (
        env.app.data_dir / "channels" / str(env.news.peer)
    ).exists()  # asking created nothing
    await history(env.app, env.news.peer, start_date="2024-01-01", end_date="2024-01-02")
    await history(env.app, env.news.peer, start_date="2024-01-03", end_date="2024-01-04")
    info = await env.app.json("GET", "/api/v3/dialogs/daily_news/cache")
    # adjacent ranges merge into one interval
    assert [(c["start_date"], c["end_date"]) for c in info["coverage"]] == [
        ("2024-01-01 00:00:00", "2024-01-05 00:00:00")
    ]
    assert info["coverage"][0]["start"] == JAN_1
    ids = world_ids(env.w.world, env.alice.id, env.news.peer, JAN_1, JAN_1 + 4 * DAY)
    assert info["message_count"] >= len(ids)
    assert info["oldest_message"]["message_id"] == ids[0]
    assert info["oldest_message"]["date"] == "2024-01-01 00:00:00"
    assert info["media"]["count"] == 4
    by_status = info["media"]["by_status"]
    assert sum(entry["count"] for entry in by_status.values()) == 4
    assert info["media"]["bytes_on_disk"] == by_status.get("downloaded", {}).get("bytes", 0)
    assert info["database_bytes"] > 0
    assert info["dialog"] == {"id": env.news.peer, "type": "channel", "title": "News",
                              "username": "daily_news"}  # fmt: skip


async def test_media_uuids_are_in_the_messages_at_once(env):
    result = await history(env.app, env.news.peer, end_date=END)
    by_id = {m["message_id"]: m for m in result.messages}
    for message in env.media:
        shown = by_id[message.id]
        assert shown["media_type"] in ("photos", "files")
        assert len(shown["media_uuid"]) == 36
    assert by_id[env.media[-1].id]["media_original_filename"] == "a.pdf"
    again = await history(env.app, env.news.peer, end_date=END, force_refresh=True)
    assert {m["message_id"]: m.get("media_uuid") for m in again.messages} == {
        m["message_id"]: m.get("media_uuid") for m in result.messages
    }  # a refresh keeps each file's uuid


async def test_sync_counts_files_its_pages_downloaded_in_the_background(env):
    """The first page's files finish downloading (history's media listener) while the
    sync still waits for later pages; they are still this call's downloads."""
    env.server.faults.latency("messages.getHistory", 0.5)
    body = await env.app.json("POST", "/api/v3/sync/daily_news", params={"end_date": END})
    assert (body["messages_with_media"], body["media_downloaded"]) == (4, 4)
    again = await env.app.json(
        "POST", "/api/v3/sync/daily_news", params={"end_date": END, "force_refresh": "true"}
    )
    assert (again["messages_with_media"], again["media_downloaded"]) == (4, 0)  # on disk


async def test_sync_reports_failed_downloads(env):
    env.server.faults.fail("upload.getFile", 400, "LOCATION_INVALID", times=1000)
    body = await env.app.json("POST", "/api/v3/sync/daily_news", params={"end_date": END})
    assert (body["messages_with_media"], body["media_downloaded"]) == (4, 0)
    assert (body["media_skipped"], body["media_failed"]) == (0, 4)


async def test_the_telegram_only_mode_reads_nothing_cached(env):
    """What sync runs: fills and the Telegram part only, no cached blob read back."""
    await history(env.app, env.news.peer, end_date=END)  # all cached
    dialog = await resolve_dialog(env.app.app, "alice", parse_dialog_ref("daily_news"))
    late = [env.w.post(env.news, f"late {i}", date=JAN_1 + 370 * DAY + i).id for i in range(3)]
    request = HistoryRequest(
        "alice", dialog, 0, JAN_1 + 380 * DAY, newest_first=True, force_refresh=False,
        skip_cached=True,
    )  # fmt: skip
    events = [event async for event in env.app.app[HISTORY].run(request)]
    batches = [event for event in events if isinstance(event, Messages)]
    assert [event.from_telegram for event in batches] == [True] * len(batches)
    assert sorted(i for event in batches for i in event.ids) == late


async def test_a_flood_wait_too_long_for_sync_is_429_and_keeps_what_was_fetched(
    fakegram, make_tgsc
):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    w.fill(news, 1000, start=JAN_1, step=60)
    server = await fakegram(w.world)
    app = await make_tgsc(
        telegram=server, settings={"max_flood_wait_s": 5, "history_concurrency": 1}
    )
    server.faults.flood("messages.getHistory", burst=3, refill_seconds=60)
    path = f"/api/v3/sync/{news.peer}"
    answer = await app.request("POST", path, params={"end_date": END})
    assert answer.status == 429, answer.body
    assert answer.json()["error"] == "flood_wait"
    assert 55 <= int(answer.headers["Retry-After"]) <= 60
    cached = (await app.json("GET", f"/api/v3/dialogs/{news.peer}/cache"))["message_count"]
    assert 0 < cached < 1000  # what was fetched before the wait stays
    server.faults.no_flood("messages.getHistory")
    rest = await app.json("POST", path, params={"end_date": END})
    # the rest only (and the second the first sync's last page could not claim)
    assert 1000 - cached <= rest["messages_downloaded"] <= 1000 - cached + 1
    streamed = await history(app, news.peer, end_date=END)
    assert streamed.message_ids == world_ids(w.world, alice.id, news.peer)
    assert streamed.done["from_cache"] == 1000
