"""GET /api/v3/folders, GET /api/v3/dialogs/{dialog}, and the dialog list of an account
with thousands of dialogs (each exactly once, paged the way Telegram pages)."""

from __future__ import annotations

import pytest
from pyrogram import raw

from tests.fakegram.methods.channels import get_full_channel
from tests.fakegram.world.builder import WorldBuilder
from tests.search_world import T0, build_search_world
from tgscraper.dates import format_date


@pytest.fixture
async def setup(fakegram, make_tgsc):
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(telegram=server, accounts={"alice": sw.alice.id})
    return sw, server, app


async def test_folders(setup):
    sw, server, app = setup
    body = await app.json("GET", "/api/v3/folders")
    assert body == {
        "folders": [
            {"id": sw.folders["work"], "title": "Work", "emoticon": "💼"},
            {"id": sw.folders["friends"], "title": "Friends", "emoticon": "👥"},
            {"id": sw.folders["news"], "title": "Unread news", "emoticon": None},
            {"id": sw.folders["picked"], "title": "Picked", "emoticon": None},
        ]
    }
    assert server.calls["messages.getDialogs"] == 0  # folders alone need no dialog list


async def test_folders_with_their_dialogs(setup):
    sw, server, app = setup
    body = await app.json("GET", "/api/v3/folders?include_dialogs=true")
    dialogs = {folder["title"]: folder["dialogs"] for folder in body["folders"]}
    friend00 = next(d for d in sw.dialogs.values() if d.username == "friend00")
    assert dialogs["Work"] == [
        {"id": sw.chats["crypto_traders"].peer, "title": "Crypto Traders"},
        {"id": sw.chats["firehose"].peer, "title": "Firehose"},
    ]
    assert dialogs["Friends"] == [] and dialogs["Unread news"] == []  # rules, not lists
    assert dialogs["Picked"] == [  # pinned first, then included
        {"id": sw.alice.id, "title": "Saved Messages"},
        {"id": friend00.id, "title": "Alpha Friend"},
    ]
    calls = server.calls["messages.getDialogFilters"]
    await app.json("GET", "/api/v3/folders")
    assert server.calls["messages.getDialogFilters"] == calls  # kept for the TTL
    sw.builder.folder(sw.alice, "Later", emoticon="⏰")
    assert len((await app.json("GET", "/api/v3/folders"))["folders"]) == 4
    refreshed = await app.json("GET", "/api/v3/folders?refresh=true")
    assert [folder["title"] for folder in refreshed["folders"]][-1] == "Later"


async def test_folders_bad_parameters(setup):
    _, _, app = setup
    for query, name in (("include_dialogs=perhaps", "include_dialogs"), ("x=1", "x")):
        reply = await app.request("GET", f"/api/v3/folders?{query}")
        assert reply.status == 400 and f"'{name}'" in reply.json()["detail"]


async def test_dialog_info_of_a_supergroup(setup):
    sw, _, app = setup
    room = sw.chats["team_room"]
    info = await app.json("GET", "/api/v3/dialogs/teamroom")
    want = sw.dialogs[room.peer]
    assert info["id"] == room.peer and info["type"] == "supergroup"
    assert info["title"] == "Team Room" and info["username"] == "teamroom"
    assert info["participants_count"] == 3
    assert info["message_count"] == len(sw.world.history(sw.alice.id, room.peer))
    assert info["last_message_date"] == format_date(want.last_message_date)
    assert info["folder_ids"] == want.folder_ids and info["unread_count"] == want.unread_count
    assert info["description"] is None and info["linked_chat_id"] is None
    assert info["created_date"] is None  # alice is a member, not the creator
    assert info["is_cached"] is False and info["cache"] is None
    assert not (app.data_dir / "channels" / str(room.peer)).exists()  # no empty database

    await app.json("GET", f"/api/v3/search/messages/{room.peer}?q=report")
    cached = await app.json("GET", f"/api/v3/dialogs/{room.peer}")
    assert cached["is_cached"] is True
    assert cached["cache"]["message_count"] == 7 and cached["cache"]["coverage"] == []


async def test_dialog_info_of_every_kind(setup):
    sw, _, app = setup
    w = sw.builder
    created = w.channel("My Own", members=[], creator=sw.alice, about="all mine", date=T0 + 5)
    w.post(created, "first", date=T0 + 10)
    w.post(created, "second", date=T0 + 20)
    basic = sw.chats["encrypted"]
    cases = {
        str(created.peer): ("channel", "My Own", 2, "all mine", format_date(T0 + 5)),
        str(basic.peer): ("group", "Encrypted Chat", None, None, format_date(T0)),
        "helper00_bot": ("bot", "Helper Alpha", None, "", None),
        "carol_w": ("user", "Carol White", None, None, None),
        str(sw.alice.id): ("saved", "Saved Messages", None, None, None),
    }
    for ref, (kind, title, count, about, created_date) in cases.items():
        info = await app.json("GET", f"/api/v3/dialogs/{ref}")
        assert (info["type"], info["title"]) == (kind, title), ref
        if count is not None:
            assert info["message_count"] == count
        assert info["description"] == (about or None), ref
        assert info["created_date"] == created_date, ref
        assert isinstance(info["message_count"], int) and info["message_count"] > 0
    own = await app.json("GET", f"/api/v3/dialogs/{created.peer}")
    assert own["is_creator"] is True and own["last_message_preview"] == "second"
    assert own["participants_count"] == 1
    group = await app.json("GET", f"/api/v3/dialogs/{basic.peer}")
    assert group["participants_count"] == 2


async def test_dialog_info_of_a_public_channel_never_joined(setup):
    sw, _, app = setup
    outside = sw.builder.channel("Outside", username="outside_news", members=[sw.bob])
    sw.builder.post(outside, "public post", date=T0 + 99)
    info = await app.json("GET", "/api/v3/dialogs/outside_news")
    assert info["type"] == "channel" and info["title"] == "Outside"
    assert info["last_message_preview"] == "public post" and info["message_count"] == 1
    assert info["unread_count"] == 0 and info["folder_ids"] == []
    assert info["created_date"] == format_date(outside.date)  # not a member: creation date


async def test_dialog_info_errors(setup):
    sw, _, app = setup
    sw.builder.join(sw.chats["hidden"], sw.alice)
    await app.json("GET", "/api/v3/search/dialogs?refresh=true")
    sw.builder.leave(sw.chats["hidden"], sw.alice)
    reply = await app.request("GET", f"/api/v3/dialogs/{sw.chats['hidden'].peer}")
    assert reply.status == 403 and reply.json()["error"] == "no_access"
    reply = await app.request("GET", "/api/v3/dialogs/nobody_here_42")
    assert reply.status == 404 and reply.json()["error"] == "not_found"
    reply = await app.request("GET", "/api/v3/dialogs/t.me%2F+invite")
    assert reply.status == 400 and "'dialog'" in reply.json()["detail"]


async def test_thousands_of_dialogs_are_listed_each_once(fakegram, make_tgsc):
    """2,345 dialogs, many sharing the date of their top message, some pinned and some
    archived: one getDialogs page of 100 after another, nothing lost or repeated."""
    w = WorldBuilder(now=T0)
    alice = w.account("alice")
    peers = []
    for i in range(2_300):
        user = w.user(None, f"Person{i:04d}")
        w.post(w.private(alice, user), "hi", sender=user, date=T0 + 100 + i // 7)
        peers.append(user.id)
    for i in range(45):
        channel = w.channel(f"Channel {i}", members=[alice], date=T0)
        if i % 3:
            w.post(channel, "news", date=T0 + 100 + i)  # same seconds as the chats
        peers.append(channel.peer)
        if i % 5 == 0:
            w.archive(alice, channel)
    for peer in peers[:4]:
        w.pin_dialog(alice, w.private(alice, w.world.users[peer]))
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server, accounts={"alice": alice.id})
    body = await app.json("GET", "/api/v3/search/dialogs?limit=500")
    assert body["total"] == len(peers)
    ids = []
    for offset in range(0, len(peers), 500):
        page = await app.json("GET", f"/api/v3/search/dialogs?limit=500&offset={offset}")
        ids += [item["id"] for item in page["results"]]
    assert sorted(ids) == sorted(peers)
    assert server.calls["messages.getDialogs"] == 24  # ceil(2,345 / 100), fetched once
    archived = await app.json("GET", "/api/v3/search/dialogs?is_archived=true&limit=500")
    assert archived["total"] == 9


async def test_dialog_info_names_the_linked_chat(setup):
    """fakegram's world has no discussion groups: this server answers getFullChannel with
    Telegram's own link (linked_chat_id is the raw channel id of the other side)."""
    sw, server, app = setup
    channel, group = sw.chats["crypto_news"], sw.chats["crypto_traders"]
    links = {channel.id: group.id, group.id: channel.id}

    async def linked(ctx, req):
        answer = await get_full_channel(ctx, req)
        answer.full_chat.linked_chat_id = links.get(answer.full_chat.id)
        return answer

    server.set_handler(raw.functions.channels.GetFullChannel, linked)
    assert (await app.json("GET", f"/api/v3/dialogs/{channel.peer}"))["linked_chat_id"] == (
        group.peer
    )
    assert (await app.json("GET", f"/api/v3/dialogs/{group.peer}"))["linked_chat_id"] == (
        channel.peer
    )
    assert (await app.json("GET", "/api/v3/dialogs/teamroom"))["linked_chat_id"] is None
