"""History over HTTP: dialog references, access, per-account private chats, parameters."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest
from pyrogram import raw

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, world_ids
from tgscraper.web.appkeys import CACHE, SESSIONS

END = "2024-12-31"


@pytest.fixture
async def env(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice", "Alice")
    bob = w.account("bob", "Bob")
    carol = w.user("carol", "Carol")
    news = w.channel("News", username="daily_news", members=[alice])
    vault = w.channel("Vault", members=[alice])
    w.fill(news, 30, start=JAN_1, step=60)
    w.fill(vault, 20, start=JAN_1, step=60)
    secret = w.post(vault, "secret", date=JAN_1 + DAY)
    w.forward(secret, w.private(bob, alice), sender=alice, date=JAN_1 + 2 * DAY)
    w.post(w.private(alice, carol), "hello alice", sender=carol, date=JAN_1 + 3 * DAY)
    w.post(w.private(alice, carol), "hi carol", sender=alice, date=JAN_1 + 3 * DAY + 5)
    w.post(w.private(bob, carol), "hello bob", sender=carol, date=JAN_1 + 4 * DAY)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    peers = {"alice": alice, "bob": bob, "carol": carol, "news": news, "vault": vault}
    return SimpleNamespace(w=w, server=server, app=app, peers=peers)


@pytest.mark.parametrize(
    "reference",
    ["daily_news", "@daily_news", "https://t.me/daily_news", "t.me/s/daily_news",
     "https://t.me/daily_news/5"],
)  # fmt: skip
async def test_usernames_and_links_resolve(env, reference):
    result = await history(env.app, reference, end_date=END)
    assert result.status == 200, result.body
    assert result.message_ids == world_ids(
        env.w.world, env.peers["alice"].id, env.peers["news"].peer
    )
    assert result.done["dialog_id"] == env.peers["news"].peer


async def test_private_channel_link_by_id(env):
    raw_id = str(env.peers["vault"].peer)[4:]
    result = await history(env.app, f"https://t.me/c/{raw_id}/3", end_date=END)
    assert result.message_ids == world_ids(
        env.w.world, env.peers["alice"].id, env.peers["vault"].peer
    )


async def test_a_cached_private_channel_is_403_for_an_account_without_access(env):
    vault = env.peers["vault"].peer
    assert (await history(env.app, vault, end_date=END)).done["total"] == 21  # alice caches it
    # bob met the channel through a forward in his chat with alice (channelForbidden)
    client = await env.app.app[SESSIONS].get("bob")
    await client.invoke(
        raw.functions.messages.GetHistory(
            peer=await client.resolve_peer(env.peers["alice"].id),
            offset_id=0, offset_date=0, add_offset=0, limit=10, max_id=0, min_id=0, hash=0,
        )
    )  # fmt: skip
    for path in (f"/api/v3/history/{vault}", f"/api/v3/dialogs/{vault}/cache"):
        answer = await env.app.request("GET", path, account="bob", params={"end_date": END})
        assert answer.status == 403, answer.body
        assert answer.json()["error"] == "no_access"
    sync = await env.app.request("POST", f"/api/v3/sync/{vault}", account="bob")
    assert sync.status == 403


async def test_unknown_chats_are_404(env):
    for dialog in ("nobody_at_all", "-1009999999999", "-4242"):
        for method, path in (
            ("GET", f"/api/v3/history/{dialog}"),
            ("POST", f"/api/v3/sync/{dialog}"),
            ("GET", f"/api/v3/dialogs/{dialog}/cache"),
        ):
            answer = await env.app.request(method, path)
            assert answer.status == 404, (path, answer.body)
            assert answer.json()["error"] == "not_found"


async def test_private_chats_of_two_accounts_stay_apart(env):
    carol = env.peers["carol"].id
    for account, texts in (("alice", ["hello alice", "hi carol"]), ("bob", ["hello bob"])):
        result = await history(env.app, carol, end_date=END, account=account)
        assert result.status == 200, result.body
        viewer = env.peers[account].id
        assert result.message_ids == world_ids(env.w.world, viewer, carol)
        assert [m["message"] for m in result.messages] == texts
    assert (env.app.data_dir / "accounts" / "alice" / "chats" / str(carol)).is_dir()
    assert (env.app.data_dir / "accounts" / "bob" / "chats" / str(carol)).is_dir()
    again = await history(env.app, carol, end_date=END, account="bob")
    assert [m["message"] for m in again.messages] == ["hello bob"]
    assert again.done["from_cache"] == 1


async def test_saved_messages_by_the_accounts_own_id(env):
    alice = env.peers["alice"]
    env.w.post(env.w.saved(alice), "note to self", date=JAN_1 + 5 * DAY)
    result = await history(env.app, alice.id, end_date=END)
    assert [m["message"] for m in result.messages] == ["note to self"]


async def test_saved_messages_are_described_alike_everywhere(env):
    alice = env.peers["alice"]
    env.w.post(env.w.saved(alice), "note to self", date=JAN_1 + 5 * DAY)
    described = {"id": alice.id, "type": "saved", "title": "Saved Messages", "username": None}
    path = f"/api/v3/dialogs/{alice.id}/cache"
    before = await env.app.json("GET", path)
    assert before["dialog"] == described
    info = await env.app.json("GET", f"/api/v3/dialogs/{alice.id}")
    assert (info["type"], info["title"], info.get("username")) == ("saved", "Saved Messages", None)
    await history(env.app, alice.id, end_date=END)
    after = await env.app.json("GET", path)
    assert after["dialog"] == described and after["message_count"] == 1
    cache = await env.app.app[CACHE].dialog(alice.id, "alice")
    assert (await cache.summary())["dialog"] == described  # as stored by the fill too


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2024-13-01"}, "end_date"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-01"}, "start_date"),
        ({"start_date": "2024-01-01 10:00:00", "end_date": "2024-01-01 09:59:59"}, "start_date"),
        ({"chunk_size": "0"}, "chunk_size"),
        ({"chunk_size": "5001"}, "chunk_size"),
        ({"chunk_size": "many"}, "chunk_size"),
        ({"force_refresh": "perhaps"}, "force_refresh"),
        ({"reverse": "sideways"}, "reverse"),
        ({"progress": "2"}, "progress"),
        ({"limit": "10"}, "limit"),
    ],
)
async def test_bad_parameters_are_400_naming_them(env, params, parameter):
    for method, path in (
        ("GET", "/api/v3/history/daily_news"),
        ("POST", "/api/v3/sync/daily_news"),
    ):
        if method == "POST" and parameter in ("chunk_size", "reverse", "progress"):
            continue
        answer = await env.app.request(method, path, params=params)
        assert answer.status == 400, (params, answer.body)
        body = answer.json()
        assert body["error"] == "invalid_parameter"
        assert f"'{parameter}'" in body["detail"]


@pytest.mark.parametrize("dialog", ["a b", "x", "https://t.me/+invite", "-0"])
async def test_bad_dialog_references_are_400(env, dialog):
    answer = await env.app.request("GET", f"/api/v3/history/{quote(dialog, safe='')}")
    assert answer.status == 400, answer.body
    assert "'dialog'" in answer.json()["detail"]


@pytest.mark.parametrize("value", ["abc", "99999"])
async def test_bad_last_event_id_is_400(env, value):
    await history(env.app, "daily_news", end_date=END)
    answer = await env.app.request(
        "GET", "/api/v3/history/daily_news", headers={"Last-Event-ID": value}
    )
    assert answer.status == 400
    assert "Last-Event-ID" in answer.json()["detail"]


async def test_losing_access_is_noticed_at_the_next_telegram_call(env):
    vault = env.peers["vault"].peer
    assert (await history(env.app, vault, end_date=END)).status == 200
    env.w.leave(env.peers["vault"], env.peers["alice"])
    # the access answer is remembered for a while; the cache alone still answers...
    assert (await history(env.app, vault, end_date=END)).status == 200
    # ...until Telegram refuses a call: from then on the check runs again
    refused = await history(env.app, vault, end_date=END, force_refresh=True)
    assert (refused.status, refused.error["error"]) == (403, "no_access")
    again = await history(env.app, vault, end_date=END)
    assert (again.status, again.error["error"]) == (403, "no_access")
