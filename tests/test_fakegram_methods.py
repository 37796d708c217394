"""fakegram's data handlers, called directly (no wire): Telegram's semantics and errors.

Every answer is serialised with pyrogram's own TL writer and read back, so each test
also proves the answer is valid TL of the client's layer.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from pyrogram import raw
from pyrogram.raw.core import TLObject

import tests.fakegram.methods  # noqa: F401  (registers the handlers)
from tests.fakegram.methods.common import page_newest_first
from tests.fakegram.rpc import HANDLERS, CallContext, RpcError
from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.demo import build_demo_world
from tests.fakegram.world.files import file_bytes
from tests.fakegram.world.model import World

T0 = 1_700_000_000
EMPTY = raw.types.InputPeerEmpty()
NO_FILTER = raw.types.InputMessagesFilterEmpty()


def roundtrip(value):
    if isinstance(value, list):
        return [roundtrip(v) for v in value]
    if isinstance(value, bool):
        return value
    return TLObject.read(BytesIO(value.write()))


async def call(world: World, viewer: int, request, *, dc_id: int = 2):
    context = CallContext(
        server=None, world=world, dc_id=dc_id, auth_key_id=1, user_id=viewer, connection=None
    )
    return roundtrip(await HANDLERS[type(request)](context, request))


async def fails(code: str, world: World, viewer: int, request, **kwargs) -> None:
    with pytest.raises(RpcError) as caught:
        await call(world, viewer, request, **kwargs)
    assert caught.value.message == code


def history(peer, *, offset_id=0, offset_date=0, add_offset=0, limit=100, max_id=0, min_id=0):
    return raw.functions.messages.GetHistory(
        peer=peer,
        offset_id=offset_id,
        offset_date=offset_date,
        add_offset=add_offset,
        limit=limit,
        max_id=max_id,
        min_id=min_id,
        hash=0,
    )


def search(
    peer,
    q="",
    *,
    filter=NO_FILTER,
    from_id=None,
    min_date=0,
    max_date=0,
    offset_id=0,
    add_offset=0,
    limit=100,
    max_id=0,
    min_id=0,
):
    return raw.functions.messages.Search(
        peer=peer,
        q=q,
        filter=filter,
        from_id=from_id,
        min_date=min_date,
        max_date=max_date,
        offset_id=offset_id,
        add_offset=add_offset,
        limit=limit,
        max_id=max_id,
        min_id=min_id,
        hash=0,
    )


def dialogs(
    *,
    offset_date=0,
    offset_id=0,
    offset_peer=EMPTY,
    limit=100,
    folder_id=None,
    exclude_pinned=False,
):
    return raw.functions.messages.GetDialogs(
        offset_date=offset_date,
        offset_id=offset_id,
        offset_peer=offset_peer,
        limit=limit,
        hash=0,
        folder_id=folder_id,
        exclude_pinned=exclude_pinned,
    )


class Scene:
    """alice (account) in a public channel of 250 posts, a private channel, a chat with
    bob (an account too) and a group; carol is an outsider account."""

    def __init__(self) -> None:
        w = self.w = WorldBuilder(now=T0 + 10_000)
        self.alice = w.account("alice")
        self.bob = w.account("bob")
        self.carol = w.account("carol")
        self.news = w.channel("News", username="news", members=[self.alice], id=2**31 + 7)
        self.posts = w.fill(self.news, 250, start=T0, step=0.5, text="post number {i}")
        self.secret = w.channel("Secret", members=[self.alice])
        w.post(self.secret, "classified", date=T0)
        self.dm = w.private(self.alice, self.bob)
        for i in range(5):
            w.post(self.dm, f"dm {i}", sender=self.bob if i % 2 else self.alice, date=T0 + i)
        self.group = w.group("Family", members=[self.alice, self.bob], creator=self.alice)
        w.post(self.group, "dinner", sender=self.bob, date=T0 + 100)

    @property
    def world(self) -> World:
        return self.w.world

    def peer(self, viewer, channel) -> raw.types.InputPeerChannel:
        return raw.types.InputPeerChannel(
            channel_id=channel.id, access_hash=self.world.access_hash(viewer.id, channel.peer)
        )

    def user_peer(self, viewer, user) -> raw.types.InputPeerUser:
        return raw.types.InputPeerUser(
            user_id=user.id, access_hash=self.world.access_hash(viewer.id, user.id)
        )


@pytest.fixture
def s() -> Scene:
    return Scene()


# --------------------------------------------------------------------------- users, peers


async def test_get_users_self_and_full_user(s):
    me = await call(
        s.world, s.alice.id, raw.functions.users.GetUsers(id=[raw.types.InputUserSelf()])
    )
    assert me[0].is_self and me[0].id == s.alice.id and me[0].phone == s.alice.phone
    full = await call(
        s.world, s.alice.id, raw.functions.users.GetFullUser(id=raw.types.InputUserSelf())
    )
    assert full.full_user.id == s.alice.id and full.users[0].is_self


async def test_access_hashes_are_per_viewer_and_checked(s):
    alice_sees_bob = s.user_peer(s.alice, s.bob)
    carol_sees_bob = s.user_peer(s.carol, s.bob)
    assert alice_sees_bob.access_hash != carol_sees_bob.access_hash
    full = await call(s.world, s.alice.id, raw.functions.users.GetFullUser(id=alice_sees_bob))
    assert full.users[0].access_hash == alice_sees_bob.access_hash
    await fails(
        "USER_ID_INVALID", s.world, s.alice.id, raw.functions.users.GetFullUser(id=carol_sees_bob)
    )
    await fails("PEER_ID_INVALID", s.world, s.alice.id, history(carol_sees_bob))
    await fails("PEER_ID_INVALID", s.world, s.alice.id, history(EMPTY))


async def test_get_users_skips_bad_hashes_and_takes_zero_for_known_users(s):
    zero = raw.types.InputUser(user_id=s.bob.id, access_hash=0)
    found = await call(s.world, s.alice.id, raw.functions.users.GetUsers(id=[zero]))
    assert [u.id for u in found] == [s.bob.id]
    assert await call(s.world, s.carol.id, raw.functions.users.GetUsers(id=[zero])) == []


async def test_resolve_username(s):
    found = await call(s.world, s.carol.id, raw.functions.contacts.ResolveUsername(username="News"))
    assert found.peer.channel_id == s.news.id
    assert found.chats[0].access_hash == s.world.access_hash(s.carol.id, s.news.peer)
    assert found.chats[0].left  # carol may read the public channel without joining
    await fails(
        "USERNAME_NOT_OCCUPIED",
        s.world,
        s.alice.id,
        raw.functions.contacts.ResolveUsername(username="nobody_here"),
    )
    await fails(
        "USERNAME_INVALID",
        s.world,
        s.alice.id,
        raw.functions.contacts.ResolveUsername(username="a b"),
    )


async def test_contacts_search(s):
    found = await call(s.world, s.carol.id, raw.functions.contacts.Search(q="new", limit=10))
    assert [p.channel_id for p in found.results] == [s.news.id] and not found.my_results
    mine = await call(s.world, s.alice.id, raw.functions.contacts.Search(q="bo", limit=10))
    assert [p.user_id for p in mine.my_results] == [s.bob.id]


async def test_resolve_phone_finds_oneself_and_contacts_only(s):
    s.w.contact(s.alice, s.bob)

    def by_phone(user):
        return raw.functions.contacts.ResolvePhone(phone=f"+{user.phone}")

    assert (await call(s.world, s.alice.id, by_phone(s.alice))).peer.user_id == s.alice.id
    found = await call(s.world, s.alice.id, by_phone(s.bob))
    assert found.peer.user_id == s.bob.id and found.users[0].phone == s.bob.phone
    await fails("PHONE_NOT_OCCUPIED", s.world, s.alice.id, by_phone(s.carol))


async def test_get_channels_accepts_hash_zero_from_members_only(s):
    zero = raw.types.InputChannel(channel_id=s.secret.id, access_hash=0)
    found = await call(s.world, s.alice.id, raw.functions.channels.GetChannels(id=[zero]))
    assert found.chats[0].access_hash == s.world.access_hash(s.alice.id, s.secret.peer)
    await fails(
        "CHANNEL_INVALID", s.world, s.carol.id, raw.functions.channels.GetChannels(id=[zero])
    )


async def test_private_channel_is_invisible_to_non_members(s):
    carol_hash = s.peer(s.carol, s.secret)
    await fails("CHANNEL_PRIVATE", s.world, s.carol.id, history(carol_hash))
    await fails(
        "CHANNEL_PRIVATE",
        s.world,
        s.carol.id,
        raw.functions.channels.GetFullChannel(channel=carol_hash),
    )
    wrong = raw.types.InputPeerChannel(channel_id=s.secret.id, access_hash=12345)
    await fails("CHANNEL_INVALID", s.world, s.alice.id, history(wrong))


async def test_full_channel_and_full_chat(s):
    full = await call(
        s.world, s.alice.id, raw.functions.channels.GetFullChannel(channel=s.peer(s.alice, s.news))
    )
    assert full.full_chat.id == s.news.id and full.chats[0].id == s.news.id
    assert full.full_chat.unread_count == 250
    chat = await call(s.world, s.alice.id, raw.functions.messages.GetFullChat(chat_id=s.group.id))
    assert {p.user_id for p in chat.full_chat.participants.participants} == {s.alice.id, s.bob.id}
    chats = await call(s.world, s.carol.id, raw.functions.messages.GetChats(id=[s.group.id]))
    assert isinstance(chats.chats[0], raw.types.ChatForbidden)
    mine = await call(s.world, s.alice.id, raw.functions.messages.GetChats(id=[s.group.id]))
    assert isinstance(mine.chats[0], raw.types.Chat) and mine.chats[0].title == "Family"
    assert mine.chats[0].participants_count == 2


# --------------------------------------------------------------------------- history


def test_paging_rules():
    ids = list(range(1, 11))
    dates = [T0 + i for i in ids]

    def page(**kwargs):
        p = page_newest_first(ids, dates, **kwargs)
        return ids[p.lo : p.hi][::-1]

    assert page(limit=3) == [10, 9, 8]
    assert page(offset_id=8, limit=3) == [7, 6, 5]
    assert page(offset_id=8, add_offset=-2, limit=4) == [9, 8, 7, 6]
    assert page(offset_date=T0 + 5, limit=2) == [4, 3]
    assert page(offset_id=3, limit=5) == [2, 1]
    assert page(offset_id=1) == []
    assert page(min_id=7) == [10, 9, 8]
    assert page(offset_id=9, max_id=6, limit=5) == [5, 4]  # bounds filter the page


async def test_history_pages_newest_first_with_count(s):
    peer = s.peer(s.alice, s.news)
    first = await call(s.world, s.alice.id, history(peer, limit=500))
    assert isinstance(first, raw.types.messages.ChannelMessages)
    assert first.count == 250 and len(first.messages) == 100  # limit capped at 100
    assert [m.id for m in first.messages[:3]] == [250, 249, 248]
    second = await call(s.world, s.alice.id, history(peer, offset_id=first.messages[-1].id))
    assert [m.id for m in second.messages][:1] == [150] and second.offset_id_offset == 100
    same_second = [m.date for m in first.messages[:2]]
    assert same_second[0] == same_second[1]
    await fails("LIMIT_INVALID", s.world, s.alice.id, history(peer, limit=-1))


async def test_history_offsets_and_bounds(s):
    peer = s.peer(s.alice, s.news)  # post i is message i + 1, dated T0 + i // 2

    async def ids(**kwargs):
        return [m.id for m in (await call(s.world, s.alice.id, history(peer, **kwargs))).messages]

    assert await ids(offset_date=T0 + 10, limit=3) == [20, 19, 18]  # sent before that second
    dated = await call(s.world, s.alice.id, history(peer, offset_date=T0 + 10, limit=3))
    assert dated.offset_id_offset == 230
    assert await ids(offset_id=100, add_offset=-5, limit=10) == list(range(104, 94, -1))
    assert await ids(offset_id=60, min_id=50) == list(range(59, 50, -1))
    assert await ids(max_id=245, limit=10) == [244, 243, 242, 241]  # the page, then bounds


async def test_private_history_is_the_accounts_own_box(s):
    alice_view = await call(s.world, s.alice.id, history(s.user_peer(s.alice, s.bob)))
    bob_view = await call(s.world, s.bob.id, history(s.user_peer(s.bob, s.alice)))
    assert isinstance(alice_view, raw.types.messages.Messages)  # everything fits: no slice
    assert [m.message for m in alice_view.messages] == [f"dm {i}" for i in range(4, -1, -1)]
    assert [m.out for m in alice_view.messages] == [True, False, True, False, True]
    assert [m.out for m in bob_view.messages] == [not m.out for m in alice_view.messages]
    incoming = next(m for m in alice_view.messages if not m.out)
    assert incoming.from_id is None and incoming.peer_id.user_id == s.bob.id
    sliced = await call(s.world, s.alice.id, history(s.user_peer(s.alice, s.bob), limit=2))
    assert isinstance(sliced, raw.types.messages.MessagesSlice) and sliced.count == 5


async def test_get_messages_by_id_reply_and_pinned(s):
    first = s.posts[0]
    reply = s.w.post(s.news, "re", reply_to=first, date=T0 + 200)
    s.w.pin(s.news, s.posts[5], date=T0 + 201)
    request = raw.functions.channels.GetMessages(
        channel=s.peer(s.alice, s.news),
        id=[
            raw.types.InputMessageID(id=first.id),
            raw.types.InputMessageReplyTo(id=reply.id),
            raw.types.InputMessagePinned(),
            raw.types.InputMessageID(id=99_999),
        ],
    )
    found = await call(s.world, s.alice.id, request)
    assert [m.id for m in found.messages] == [first.id, first.id, s.posts[5].id, 99_999]
    assert isinstance(found.messages[3], raw.types.MessageEmpty)
    alice_box = s.world.state(s.alice.id).boxes[s.bob.id]
    own = await call(
        s.world,
        s.alice.id,
        raw.functions.messages.GetMessages(id=[raw.types.InputMessageID(id=alice_box.ids[0])]),
    )
    assert own.messages[0].message == "dm 0"


# --------------------------------------------------------------------------- search


async def test_search_in_a_chat(s):
    peer = s.peer(s.alice, s.news)
    found = await call(s.world, s.alice.id, search(peer, "number 1", limit=5))
    assert found.count == 111  # "1" prefixes 1, 10-19, 100-199
    assert [m.message for m in found.messages] == [
        f"post number {i}" for i in (199, 198, 197, 196, 195)
    ]
    later = await call(
        s.world, s.alice.id, search(peer, "number 1", offset_id=found.messages[-1].id, limit=5)
    )
    assert later.messages[0].message == "post number 194"
    back = await call(
        s.world,
        s.alice.id,
        search(peer, "number 1", offset_id=found.messages[-1].id, add_offset=-2, limit=4),
    )
    assert [m.message for m in back.messages] == [f"post number {i}" for i in (196, 195, 194, 193)]
    assert back.offset_id_offset is not None
    dated = await call(s.world, s.alice.id, search(peer, min_date=T0 + 10, max_date=T0 + 12))
    assert sorted(m.date for m in dated.messages) == [T0 + 11, T0 + 11]
    none = await call(s.world, s.alice.id, search(peer, "nothing"))
    assert none.count == 0 and none.messages == []


async def test_search_filters_and_sender(s):
    w = s.w
    w.post(s.news, "a photo", media=w.photo(), date=T0 + 300)
    w.post(s.news, "a video", media=w.video(), date=T0 + 301)
    w.post(s.news, "link", media=w.webpage("https://x.org"), date=T0 + 302)
    photos = await call(
        s.world,
        s.alice.id,
        search(s.peer(s.alice, s.news), filter=raw.types.InputMessagesFilterPhotos()),
    )
    assert [m.message for m in photos.messages] == ["a photo"]
    both = await call(
        s.world,
        s.alice.id,
        search(s.peer(s.alice, s.news), filter=raw.types.InputMessagesFilterPhotoVideo()),
    )
    assert [m.message for m in both.messages] == ["a video", "a photo"]
    urls = await call(
        s.world,
        s.alice.id,
        search(s.peer(s.alice, s.news), filter=raw.types.InputMessagesFilterUrl()),
    )
    assert [m.message for m in urls.messages] == ["link"]
    from_bob = await call(
        s.world,
        s.alice.id,
        search(s.user_peer(s.alice, s.bob), from_id=s.user_peer(s.alice, s.bob)),
    )
    assert [m.message for m in from_bob.messages] == ["dm 3", "dm 1"]


async def test_search_global_pages_through_every_chat_once(s):
    s.w.join(s.news, s.bob)
    s.w.post(s.dm, "post in dm", sender=s.bob, date=T0 + 120)
    seen, offset = [], (0, EMPTY, 0)
    while True:
        request = raw.functions.messages.SearchGlobal(
            q="post",
            filter=NO_FILTER,
            min_date=0,
            max_date=0,
            offset_rate=offset[0],
            offset_peer=offset[1],
            offset_id=offset[2],
            limit=7,
        )
        page = await call(s.world, s.alice.id, request)
        if not page.messages:
            break
        assert page.count == 251 and page.next_rate == page.messages[-1].date
        seen.extend((m.date, m.peer_id, m.id) for m in page.messages)
        last = page.messages[-1]
        peer = (
            s.user_peer(s.alice, s.bob)
            if isinstance(last.peer_id, raw.types.PeerUser)
            else s.peer(s.alice, s.news)
        )
        offset = (last.date, peer, last.id)
    assert len(seen) == 251 and len({(str(p), i) for _, p, i in seen}) == 251
    assert [d for d, _, _ in seen] == sorted((d for d, _, _ in seen), reverse=True)
    channels_only = await call(
        s.world,
        s.alice.id,
        raw.functions.messages.SearchGlobal(
            q="post",
            filter=NO_FILTER,
            min_date=0,
            max_date=0,
            offset_rate=0,
            offset_peer=EMPTY,
            offset_id=0,
            limit=100,
            broadcasts_only=True,
        ),
    )
    assert channels_only.count == 250


async def test_search_global_filters_and_dates(s):
    w = s.w
    w.post(s.news, "photo one", media=w.photo(), date=T0 + 300)
    w.post(s.dm, "photo two", media=w.photo(), sender=s.bob, date=T0 + 301)

    def search_global(q="", *, filter=NO_FILTER, min_date=0, max_date=0):
        return raw.functions.messages.SearchGlobal(
            q=q,
            filter=filter,
            min_date=min_date,
            max_date=max_date,
            offset_rate=0,
            offset_peer=EMPTY,
            offset_id=0,
            limit=100,
        )

    photos = await call(
        s.world, s.alice.id, search_global(filter=raw.types.InputMessagesFilterPhotos())
    )
    assert [m.message for m in photos.messages] == ["photo two", "photo one"]
    dated = await call(
        s.world, s.alice.id, search_global("post", min_date=T0 + 10, max_date=T0 + 12)
    )
    assert [m.date for m in dated.messages] == [T0 + 11, T0 + 11] and dated.count == 2


# --------------------------------------------------------------------------- dialogs


async def test_dialogs_limit_is_capped_at_a_hundred(s):
    for i in range(105):
        s.w.channel(f"Club {i}", members=[s.carol], date=T0 + i)
    page = await call(s.world, s.carol.id, dialogs(limit=500))
    assert isinstance(page, raw.types.messages.DialogsSlice)
    assert (len(page.dialogs), page.count) == (100, 105)
    await fails("LIMIT_INVALID", s.world, s.carol.id, dialogs(limit=-1))


async def test_dialogs_order_pins_folders_and_paging(s):
    w = s.w
    w.pin_dialog(s.alice, s.group)
    w.archive(s.alice, s.secret)
    everything = await call(s.world, s.alice.id, dialogs())
    assert isinstance(everything, raw.types.messages.Dialogs)
    peers = [d.peer for d in everything.dialogs]
    assert peers[0].chat_id == s.group.id and everything.dialogs[0].pinned
    assert len(peers) == 4
    main = await call(s.world, s.alice.id, dialogs(folder_id=0))
    assert s.secret.id not in {getattr(d.peer, "channel_id", 0) for d in main.dialogs}
    archive = await call(s.world, s.alice.id, dialogs(folder_id=1))
    assert [d.peer.channel_id for d in archive.dialogs] == [s.secret.id]
    assert archive.dialogs[0].folder_id == 1
    news_dialog = next(
        d for d in everything.dialogs if getattr(d.peer, "channel_id", 0) == s.news.id
    )
    assert news_dialog.unread_count == 250 and news_dialog.top_message == 250
    first = await call(s.world, s.alice.id, dialogs(limit=2))
    assert isinstance(first, raw.types.messages.DialogsSlice) and first.count == 4
    last_peer = first.dialogs[-1].peer
    top = {(type(m.peer_id), m.id): m for m in first.messages}
    rest = await call(
        s.world,
        s.alice.id,
        dialogs(
            limit=2,
            offset_peer=_input_for(s, last_peer),
            offset_id=first.dialogs[-1].top_message,
            offset_date=next(m.date for m in top.values() if m.id == first.dialogs[-1].top_message),
        ),
    )
    assert [str(d.peer) for d in first.dialogs + rest.dialogs] == [str(p) for p in peers]


def _input_for(s: Scene, peer):
    if isinstance(peer, raw.types.PeerChat):
        return raw.types.InputPeerChat(chat_id=peer.chat_id)
    if isinstance(peer, raw.types.PeerUser):
        return s.user_peer(s.alice, s.world.users[peer.user_id])
    return s.peer(s.alice, s.world.channels[peer.channel_id])


async def test_peer_dialogs_and_folders(s):
    s.w.folder(s.alice, "Work", emoticon="💼", include=[s.news], exclude=[s.dm], bots=True)
    found = await call(
        s.world,
        s.alice.id,
        raw.functions.messages.GetPeerDialogs(
            peers=[raw.types.InputDialogPeer(peer=s.peer(s.alice, s.news))]
        ),
    )
    assert [d.peer.channel_id for d in found.dialogs] == [s.news.id]
    assert found.messages[0].id == 250
    filters = await call(s.world, s.alice.id, raw.functions.messages.GetDialogFilters())
    assert isinstance(filters.filters[0], raw.types.DialogFilterDefault)
    work = filters.filters[1]
    assert (work.title.text, work.emoticon, work.bots) == ("Work", "💼", True)
    assert work.include_peers[0].access_hash == s.world.access_hash(s.alice.id, s.news.peer)
    assert work.exclude_peers[0].user_id == s.bob.id


# --------------------------------------------------------------------------- files


def get_file(document, *, offset=0, limit=1024 * 1024, precise=False, reference=None):
    location = raw.types.InputDocumentFileLocation(
        id=document.id,
        access_hash=document.access_hash,
        file_reference=reference if reference is not None else document.file_reference,
        thumb_size="",
    )
    return raw.functions.upload.GetFile(
        location=location, offset=offset, limit=limit, precise=precise
    )


async def test_get_file_parts_and_limits(s):
    doc = s.w.document(1_500_000, seed=99, dc_id=4)
    first = await call(s.world, s.alice.id, get_file(doc), dc_id=4)
    last = await call(s.world, s.alice.id, get_file(doc, offset=1024 * 1024), dc_id=4)
    assert first.bytes + last.bytes == file_bytes(99, 0, 1_500_000)
    part = await call(s.world, s.alice.id, get_file(doc, offset=8192, limit=4096), dc_id=4)
    assert part.bytes == file_bytes(99, 8192, 4096)
    precise = await call(
        s.world, s.alice.id, get_file(doc, offset=1024, limit=3072, precise=True), dc_id=4
    )
    assert precise.bytes == file_bytes(99, 1024, 3072)
    beyond = await call(s.world, s.alice.id, get_file(doc, offset=2 * 1024 * 1024), dc_id=4)
    assert beyond.bytes == b""
    for request, code in [
        (get_file(doc, offset=100), "OFFSET_INVALID"),
        (get_file(doc, limit=3 * 4096), "LIMIT_INVALID"),
        (get_file(doc, limit=2 * 1024 * 1024), "LIMIT_INVALID"),
        (get_file(doc, offset=1024 * 1024 - 4096, limit=8192), "LIMIT_INVALID"),
        (get_file(doc, offset=1024, limit=3072), "OFFSET_INVALID"),
    ]:
        await fails(code, s.world, s.alice.id, request, dc_id=4)


async def test_get_file_on_the_wrong_dc_migrates(s):
    doc = s.w.document(10_000, dc_id=4)
    with pytest.raises(RpcError) as caught:
        await call(s.world, s.alice.id, get_file(doc), dc_id=2)
    assert (caught.value.code, caught.value.message) == (303, "FILE_MIGRATE_4")


async def test_expired_file_reference_until_refetched(s):
    doc = s.w.document(10_000)
    message = s.w.post(s.news, "file", media=doc, date=T0 + 500)
    peer = s.peer(s.alice, s.news)
    old = (await call(s.world, s.alice.id, history(peer, limit=1))).messages[0]
    s.w.expire_file_reference(doc)
    await fails(
        "FILE_REFERENCE_EXPIRED",
        s.world,
        s.alice.id,
        get_file(doc, reference=old.media.document.file_reference),
    )
    fresh = (await call(s.world, s.alice.id, history(peer, limit=1))).messages[0]
    assert fresh.id == message.id
    new_reference = fresh.media.document.file_reference
    assert new_reference != old.media.document.file_reference
    part = await call(s.world, s.alice.id, get_file(doc, reference=new_reference))
    assert part.bytes == file_bytes(doc.seed, 0, 10_000)
    await fails("FILE_REFERENCE_INVALID", s.world, s.alice.id, get_file(doc, reference=b"junk"))


async def test_photo_sizes_download(s):
    photo = s.w.photo(70_000)
    location = raw.types.InputPhotoFileLocation(
        id=photo.id,
        access_hash=photo.access_hash,
        file_reference=photo.file_reference,
        thumb_size="y",
    )
    part = await call(
        s.world,
        s.alice.id,
        raw.functions.upload.GetFile(location=location, offset=0, limit=1024 * 1024),
    )
    assert len(part.bytes) == 70_000


# --------------------------------------------------------------------------- every message


async def test_every_demo_message_is_valid_tl():
    world = build_demo_world()
    alice, bob = world.accounts()
    for viewer in (alice, bob):
        for peer in world.state(viewer.id).dialogs:
            box = world.history(viewer.id, peer)
            if peer < -999_999_999_999:
                channel = world.channels[-1_000_000_000_000 - peer]
                input_peer = raw.types.InputPeerChannel(
                    channel_id=channel.id, access_hash=world.access_hash(viewer.id, peer)
                )
            elif peer < 0:
                input_peer = raw.types.InputPeerChat(chat_id=-peer)
            elif peer == viewer.id:
                input_peer = raw.types.InputPeerSelf()
            else:
                input_peer = raw.types.InputPeerUser(
                    user_id=peer, access_hash=world.access_hash(viewer.id, peer)
                )
            offset, read = 0, 0
            while True:
                page = await call(world, viewer.id, history(input_peer, offset_id=offset))
                if not page.messages:
                    break
                read += len(page.messages)
                offset = page.messages[-1].id
            assert read == len(box)


async def test_folders_with_saved_messages_and_groups_read_back_as_objects(s):
    """An answer ending in a vector of small objects must not look like ints to pyrogram."""
    s.w.folder(s.alice, "Mine", exclude=[s.w.saved(s.alice), s.group])
    filters = await call(s.world, s.alice.id, raw.functions.messages.GetDialogFilters())
    excluded = filters.filters[-1].exclude_peers
    assert [type(p).__name__ for p in excluded] == ["InputPeerUser", "InputPeerChat"]
