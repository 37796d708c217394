"""The stock kurigram client against fakegram's world: what a real account would see."""

from __future__ import annotations

import hashlib

import pytest
from pyrogram import enums, errors, raw

from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.files import file_digest
from tests.fakegram.world.model import ARCHIVE, Entity

T0 = 1_700_000_000
BIG_ID = 2**31 + 99


@pytest.fixture
def world() -> WorldBuilder:
    w = WorldBuilder(now=T0 + 50_000)
    w.alice = w.account("alice", "Alice")
    w.bob = w.account("bob", "Bob")
    w.news = w.channel("News", username="news", members=[w.alice], id=BIG_ID, date=T0)
    w.posts = w.fill(w.news, 10_000, start=T0, step=0.5, text="post {i}")  # 2 per second
    w.secret = w.channel("Secret", members=[w.alice], date=T0)
    w.post(w.secret, "classified", date=T0 + 1)
    w.chat = w.supergroup("Chat", username="chatroom", members=[w.alice, w.bob], date=T0)
    for i in range(30):
        w.post(w.chat, f"chat {i} hello", sender=[w.alice, w.bob][i % 2], date=T0 + 100 + i)
    w.dm = w.private(w.alice, w.bob)
    w.post(w.dm, "hello bob", sender=w.alice, date=T0 + 200)
    w.post(w.dm, "hello alice", sender=w.bob, date=T0 + 201)
    return w


@pytest.fixture
async def alice(world, fakegram, fakegram_client):
    server = await fakegram(world.world)
    client = await fakegram_client(server, world.alice.id, sleep_threshold=0)
    client.fake = server
    return client


async def test_get_me(alice, world):
    me = await alice.get_me()
    assert (me.id, me.first_name, me.username) == (world.alice.id, "Alice", "alice")


async def test_get_chat_by_id_above_two_to_the_31_and_by_username(alice, world):
    by_id = await alice.get_chat(world.news.peer)
    assert (by_id.id, by_id.title, by_id.type) == (world.news.peer, "News", enums.ChatType.CHANNEL)
    assert world.news.peer < -1_000_000_000_000 - 2**31
    by_name = await alice.get_chat("chatroom")
    assert by_name.id == world.chat.peer and by_name.type == enums.ChatType.SUPERGROUP
    assert alice.fake.calls["channels.getChannels"] == 1  # the id lookup with access_hash 0


async def test_history_of_ten_thousand_messages_equals_the_world(alice, world):
    history = alice.get_chat_history(world.news.peer)
    got = [(m.id, int(m.date.timestamp()), m.text) async for m in history]
    expected = [(m.id, m.date, m.text) for m in reversed(world.news.history.messages)]
    assert got == expected
    assert len(got) == 10_000 and got[0][1] == got[1][1]  # same-second messages survive
    assert alice.fake.calls["messages.getHistory"] == 101  # 100 pages and the empty one


async def test_search_messages_pages(alice, world):
    found = [m.text async for m in alice.search_messages(world.news.peer, "post 99")]
    expected = [
        m.text for m in reversed(world.news.history.messages) if m.text.startswith("post 99")
    ]
    assert found == expected and len(found) == 111  # 99, 990-999, 9900-9999
    assert await alice.search_messages_count(world.news.peer, "post 99") == 111
    paged = [m.id async for m in alice.search_messages(world.chat.peer, "hello", limit=25)]
    assert len(paged) == 25 and paged == sorted(paged, reverse=True)
    from_bob = [m.text async for m in alice.search_messages(world.chat.peer, from_user="bob")]
    assert from_bob == [f"chat {i} hello" for i in range(29, 0, -2)]


async def test_search_global_pages_across_chats(alice, world):
    found = [(m.chat.id, m.id) async for m in alice.search_global("hello")]
    assert len(found) == 32 and len(set(found)) == 32
    assert {chat for chat, _ in found} == {world.chat.peer, world.bob.id}
    paged = [m async for m in alice.search_global("post", limit=250)]
    assert [m.text for m in paged] == [f"post {i}" for i in range(9999, 9749, -1)]


async def test_dialogs_with_archive_pins_and_folders(alice, world, fakegram, fakegram_client):
    w = world
    w.archive(w.alice, w.secret)
    w.pin_dialog(w.alice, w.dm)
    w.read(w.alice, w.news, unread=7)
    w.folder(w.alice, "Work", emoticon="💼", include=[w.news, w.chat], exclude=[w.dm])
    dialogs = [d async for d in alice.get_dialogs()]
    ids = [d.chat.id for d in dialogs]
    assert ids[0] == w.bob.id and dialogs[0].is_pinned
    assert set(ids) == {w.news.peer, w.secret.peer, w.chat.peer, w.bob.id}
    news = next(d for d in dialogs if d.chat.id == w.news.peer)
    assert news.unread_messages_count == 7 and news.top_message.id == 10_000
    archived = [d.chat.id async for d in alice.get_dialogs(from_archive=True)]
    assert archived == [w.secret.peer]
    assert w.world.dialog(w.alice.id, w.secret.peer).folder_id == ARCHIVE
    main = [d.chat.id async for d in alice.get_dialogs(from_archive=False)]
    assert w.secret.peer not in main
    assert await alice.get_dialogs_count() == 4
    folders = await alice.get_folders()
    assert [(f.name, f.icon) for f in folders] == [("Work", "💼")]
    assert {c.id for c in folders[0].included_chats} == {w.news.peer, w.chat.peer}
    assert [c.id for c in folders[0].excluded_chats] == [w.bob.id]


async def test_download_a_five_megabyte_document_from_dc_4(alice, world):
    document = world.document(5_000_000, seed=4242, dc_id=4, file_name="big.bin")
    posted = world.post(world.news, "the file", media=document)
    message = await alice.get_messages(world.news.peer, posted.id)
    assert message.document.file_name == "big.bin"
    data = await alice.download_media(message, in_memory=True)
    assert hashlib.sha256(data.getvalue()).hexdigest() == file_digest(4242, 5_000_000)
    assert alice.fake.calls["auth.importAuthorization"] >= 1  # a session on the other DC


async def test_every_media_kind_reaches_the_client(alice, world):
    w = world
    kinds = [
        w.photo(),
        w.video(),
        w.round_video(),
        w.voice(),
        w.audio(),
        w.sticker(),
        w.gif(),
        w.document(),
        w.webpage("https://example.org", title="Example"),
    ]
    for media in kinds:
        w.post(w.news, "m", media=media)
    messages = [m async for m in alice.get_chat_history(w.news.peer, limit=len(kinds))][::-1]
    got = [m.media for m in messages]
    assert got == [
        enums.MessageMediaType.PHOTO,
        enums.MessageMediaType.VIDEO,
        enums.MessageMediaType.VIDEO_NOTE,
        enums.MessageMediaType.VOICE,
        enums.MessageMediaType.AUDIO,
        enums.MessageMediaType.STICKER,
        enums.MessageMediaType.ANIMATION,
        enums.MessageMediaType.DOCUMENT,
        enums.MessageMediaType.WEB_PAGE,
    ]
    photo = await alice.download_media(messages[0], in_memory=True)
    assert len(photo.getvalue()) == kinds[0].sizes[-1].size
    video, round_video, voice, audio, sticker, gif, document, page = messages[1:]
    assert (video.video.duration, video.video.width, video.video.file_name) == (
        12,
        1280,
        "video.mp4",
    )
    assert video.video.thumbs and round_video.video_note.length == 384
    assert (voice.voice.duration, voice.voice.mime_type) == (5, "audio/ogg")
    assert (audio.audio.title, audio.audio.performer, audio.audio.file_name) == (
        "Song",
        "Band",
        "song.mp3",
    )
    assert (sticker.sticker.emoji, gif.animation.mime_type) == ("🙂", "video/mp4")
    assert (document.document.file_name, document.document.mime_type) == (
        "file.bin",
        "application/octet-stream",
    )
    assert document.document.file_size == kinds[7].size
    assert (page.web_page.url, page.web_page.title) == ("https://example.org", "Example")


async def test_private_channel_is_invisible_to_a_non_member(world, fakegram, fakegram_client):
    secret_post = world.secret.history.messages[0]
    world.forward(secret_post, world.dm, sender=world.alice)  # bob learns the channel exists
    server = await fakegram(world.world)
    bob = await fakegram_client(server, world.bob.id, sleep_threshold=0)
    with pytest.raises(errors.ChannelInvalid):  # by id alone: no access_hash to send
        await bob.get_chat(world.secret.peer)
    [forwarded] = [m async for m in bob.get_chat_history(world.alice.id, limit=1)]
    assert forwarded.forward_from_chat.id == world.secret.peer  # known as channelForbidden
    with pytest.raises(errors.ChannelPrivate):  # with its access_hash: still no entry
        [m async for m in bob.get_chat_history(world.secret.peer)]
    public = await bob.get_chat("news")  # a public channel is readable without joining
    assert public.id == world.news.peer


async def test_unknown_username(alice):
    with pytest.raises(errors.UsernameNotOccupied):
        await alice.get_chat("nobody_is_called_this")


async def test_expired_file_reference_recovers_after_refetch(alice, world):
    document = world.document(300_000, seed=77)
    posted = world.post(world.news, "doc", media=document)
    message = await alice.get_messages(world.news.peer, posted.id)
    world.expire_file_reference(document)
    with pytest.raises(errors.FileReferenceExpired):
        await alice.download_media(message, in_memory=True)
    fresh = await alice.get_messages(world.news.peer, posted.id)
    data = await alice.download_media(fresh, in_memory=True)
    assert hashlib.sha256(data.getvalue()).hexdigest() == file_digest(77, 300_000)


async def test_changes_while_the_client_runs(alice, world):
    before = await alice.get_messages(world.news.peer, 10_000)
    world.edit(world.posts[-1], "post 9999 (edited)", date=T0 + 60_000)
    world.delete(world.posts[-2])
    after = await alice.get_messages(world.news.peer, [10_000, 9_999])
    assert before.text == "post 9999" and after[0].text == "post 9999 (edited)"
    assert after[0].edit_date is not None and after[1].empty


async def test_private_chat_ids_are_per_account(world, fakegram, fakegram_client):
    server = await fakegram(world.world)
    alice = await fakegram_client(server, world.alice.id)
    bob = await fakegram_client(server, world.bob.id)
    alice_side = [(m.id, m.text, m.outgoing) async for m in alice.get_chat_history(world.bob.id)]
    bob_side = [(m.id, m.text, m.outgoing) async for m in bob.get_chat_history(world.alice.id)]
    assert (
        [t for _, t, _ in alice_side] == [t for _, t, _ in bob_side] == ["hello alice", "hello bob"]
    )
    assert [o for *_, o in alice_side] == [not o for *_, o in bob_side]
    raw_history = await alice.invoke(
        raw.functions.messages.GetHistory(
            peer=await alice.resolve_peer(world.bob.id),
            offset_id=0,
            offset_date=0,
            add_offset=0,
            limit=10,
            max_id=0,
            min_id=0,
            hash=0,
        )
    )
    assert isinstance(raw_history, raw.types.messages.Messages)


async def test_message_details_reach_the_client(fakegram, fakegram_client):
    """Every message feature of the world arrives as pyrogram parses Telegram's."""
    w = WorldBuilder(now=T0 + 1000)
    alice, bob, carol = w.account("alice", "Alice"), w.user("bob", "Bob"), w.user("carol", "Carol")
    blog = w.channel("Blog", username="blog", members=[alice], signatures=True, date=T0)
    w.service(blog, "channel_create", title="Blog", date=T0)
    bold, link = Entity("bold", 0, 3), Entity("text_url", 4, 7, url="https://x.org")
    counts = {"views": 120, "forwards": 3, "replies": 4}
    post = w.post(blog, "big release", sender=carol, date=T0 + 1, entities=[bold, link], **counts)
    reply = w.post(blog, "yay", reply_to=post, quote="release", date=T0 + 2)
    album = w.album(blog, [w.photo(), w.video()], "two", date=T0 + 3)
    w.pin(blog, post, date=T0 + 4)
    w.edit(reply, "yay!", date=T0 + 5)
    saved = w.saved(alice)
    said = w.post(w.private(alice, bob), "from bob", sender=bob, date=T0 + 6)
    from_channel = w.forward(post, saved, sender=alice, date=T0 + 7)
    from_user = w.forward(said, saved, sender=alice, date=T0 + 8)
    hidden = w.forward(said, saved, hidden_name="Someone", date=T0 + 9)
    family = w.group("Family", members=[alice, bob], creator=alice)
    w.service(family, "chat_create", title="Family", users=[alice, bob], date=T0 + 10)

    server = await fakegram(w.world)
    client = await fakegram_client(server, alice.id)
    by_id = {m.id: m async for m in client.get_chat_history("blog")}
    created, got = by_id[1], by_id[post.id]
    assert created.service == enums.MessageServiceType.CHANNEL_CHAT_CREATED
    assert (got.text, got.date.timestamp(), got.author_signature) == (
        "big release",
        T0 + 1,
        "Carol",
    )
    assert (got.views, got.forwards) == (120, 3)
    assert [(e.type, e.offset, e.length, e.url) for e in got.entities] == [
        (enums.MessageEntityType.BOLD, 0, 3, None),
        (enums.MessageEntityType.TEXT_LINK, 4, 7, "https://x.org"),
    ]
    replies = await client.invoke(
        raw.functions.channels.GetMessages(
            channel=await client.resolve_peer("blog"), id=[raw.types.InputMessageID(id=post.id)]
        )
    )
    assert replies.messages[0].replies.replies == 4
    answer = by_id[reply.id]
    assert answer.reply_to_message_id == post.id and answer.quote.text == "release"
    assert answer.text == "yay!" and answer.edit_date.timestamp() == T0 + 5
    first, second = (by_id[m.id] for m in album)
    assert first.media_group_id == second.media_group_id is not None
    assert (first.caption, first.media, second.media) == (
        "two",
        enums.MessageMediaType.PHOTO,
        enums.MessageMediaType.VIDEO,
    )
    pinned = by_id[max(by_id)]
    assert pinned.service == enums.MessageServiceType.PINNED_MESSAGE
    assert pinned.reply_to_message_id == post.id
    assert (await client.get_chat("blog")).pinned_message.id == post.id

    saved_box = {m.id: m async for m in client.get_chat_history("me")}
    channel_origin = saved_box[from_channel.id].forward_origin
    assert (channel_origin.chat.id, channel_origin.message_id) == (blog.peer, post.id)
    assert channel_origin.author_signature == "Carol"
    assert saved_box[from_user.id].forward_origin.sender_user.id == bob.id
    assert saved_box[hidden.id].forward_origin.sender_user_name == "Someone"
    [group_created] = [m async for m in client.get_chat_history(family.peer)]
    assert group_created.service == enums.MessageServiceType.GROUP_CHAT_CREATED
    assert group_created.chat.title == "Family"
