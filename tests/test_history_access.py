"""resolve_dialog: references, the access check and its per-account memory (over fakegram)."""

from __future__ import annotations

import asyncio

import pytest
from pyrogram import errors as tg_errors
from pyrogram import raw

from tests.fakegram.world.builder import WorldBuilder
from tgscraper.dialogs import parse_dialog_ref
from tgscraper.telegram.access import forget_dialog, resolve_dialog
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.errors import ApiError

CHECK_CALLS = ("channels.getChannels", "messages.getChats", "users.getUsers")


def build_world():
    w = WorldBuilder(now=1_700_000_000)
    alice = w.account("alice", "Alice")
    bob = w.account("bob", "Bob")
    news = w.channel("News", username="news_channel", members=[alice])
    vault = w.channel("Vault", members=[alice])
    family = w.group("Family", members=[alice], creator=alice)
    helper = w.bot("helper_bot")
    w.private(alice, bob)
    w.post(news, "hello", date=1_699_000_000)
    # bob meets the private channel only through a forward in his chat with alice
    secret = w.post(vault, "secret", date=1_699_000_001)
    w.forward(secret, w.private(bob, alice), sender=alice)
    return w, {"alice": alice, "bob": bob, "news": news, "vault": vault, "family": family,
               "helper": helper}  # fmt: skip


@pytest.fixture
async def env(fakegram, make_tgsc):
    w, peers = build_world()
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return app, server, peers


def checks(server) -> int:
    return sum(server.calls[name] for name in CHECK_CALLS)


async def test_every_reference_form_names_the_same_channel(env):
    app, _server, peers = env
    news_id = peers["news"].peer
    for text in ("news_channel", "@news_channel", "https://t.me/news_channel", str(news_id)):
        dialog = await resolve_dialog(app.app, "alice", parse_dialog_ref(text))
        assert dialog.dialog_id == news_id
        assert (dialog.kind, dialog.title, dialog.username) == ("channel", "News", "news_channel")
        assert isinstance(dialog.input_peer, raw.types.InputPeerChannel)


async def test_a_positive_answer_is_remembered_per_account(env):
    app, server, peers = env
    ref = parse_dialog_ref(str(peers["news"].peer))
    await resolve_dialog(app.app, "alice", ref)
    first = checks(server)
    assert first >= 1
    await resolve_dialog(app.app, "alice", ref)
    assert checks(server) == first  # remembered
    # public: bob may read it too (once he learnt its access hash from the username)
    await resolve_dialog(app.app, "bob", parse_dialog_ref("news_channel"))
    assert checks(server) > first
    before = checks(server)
    await resolve_dialog(app.app, "bob", ref)
    assert checks(server) == before  # the answer for the username also names the id
    forget_dialog(app.app, "alice")
    before = checks(server)
    await resolve_dialog(app.app, "alice", ref)
    assert checks(server) == before + 1


async def test_concurrent_first_requests_share_one_check(env):
    app, server, peers = env
    ref = parse_dialog_ref(str(peers["family"].peer))
    dialogs = await asyncio.gather(*(resolve_dialog(app.app, "alice", ref) for _ in range(5)))
    assert {d.dialog_id for d in dialogs} == {peers["family"].peer}
    assert dialogs[0].kind == "group"
    assert server.calls["messages.getChats"] == 2  # pyrogram's own lookup + our one check


async def test_private_channel_seen_through_a_forward_is_403(env):
    app, _server, peers = env
    client = await app.app[SESSIONS].get("bob")
    # bob's client reads his chat with alice and so meets the channel (channelForbidden)
    await client.invoke(
        raw.functions.messages.GetHistory(
            peer=await client.resolve_peer(peers["alice"].id),
            offset_id=0, offset_date=0, add_offset=0, limit=10, max_id=0, min_id=0, hash=0,
        )
    )  # fmt: skip
    # Telegram refuses (CHANNEL_PRIVATE, which the error middleware answers 403) or
    # answers channelForbidden (403 from the check itself)
    with pytest.raises((ApiError, tg_errors.ChannelPrivate)) as caught:
        await resolve_dialog(app.app, "bob", parse_dialog_ref(str(peers["vault"].peer)))
    assert getattr(caught.value, "status", 403) == 403
    # alice is a member
    dialog = await resolve_dialog(app.app, "alice", parse_dialog_ref(str(peers["vault"].peer)))
    assert dialog.title == "Vault"


async def test_unknown_chats_raise_telegram_not_found_errors(env):
    app, _server, peers = env
    with pytest.raises(tg_errors.BadRequest):
        await resolve_dialog(app.app, "alice", parse_dialog_ref("nobody_here"))
    with pytest.raises(tg_errors.BadRequest):
        await resolve_dialog(app.app, "bob", parse_dialog_ref(str(peers["vault"].peer)))


async def test_users_bots_and_saved_messages(env):
    app, _server, peers = env
    bob = await resolve_dialog(app.app, "alice", parse_dialog_ref(str(peers["bob"].id)))
    assert (bob.dialog_id, bob.kind, bob.title) == (peers["bob"].id, "user", "Bob")
    bot = await resolve_dialog(app.app, "alice", parse_dialog_ref("helper_bot"))
    assert (bot.dialog_id, bot.kind) == (peers["helper"].id, "bot")
    saved = await resolve_dialog(app.app, "alice", parse_dialog_ref(str(peers["alice"].id)))
    assert (saved.dialog_id, saved.kind) == (peers["alice"].id, "saved")
