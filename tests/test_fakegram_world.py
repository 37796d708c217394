"""fakegram's world: builder, model invariants, file bytes, JSON world files, demo world."""

from __future__ import annotations

import json

import pytest

from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.demo import BIG_CHANNEL_ID, build_demo_world
from tests.fakegram.world.files import file_bytes, file_digest
from tests.fakegram.world.model import ARCHIVE, Document, Entity, Photo, WebPage
from tests.fakegram.world.worlddump import save_world, world_to_dict
from tests.fakegram.world.worldfile import (
    WorldFileError,
    load_world,
    parse_date,
    world_from_dict,
)

T0 = 1_700_000_000


@pytest.fixture
def w() -> WorldBuilder:
    return WorldBuilder(now=T0)


# --------------------------------------------------------------------------- files


def test_file_bytes_are_deterministic_and_sliceable():
    whole = file_bytes(7, 0, 300_000)
    assert len(whole) == 300_000
    assert file_bytes(7, 0, 300_000) == whole
    assert file_bytes(7, 65_000, 70_000) == whole[65_000:135_000]
    assert file_bytes(7, 131_072, 10) == whole[131_072:131_082]
    assert file_bytes(8, 0, 1000) != whole[:1000]


def test_file_bytes_stop_at_the_size():
    assert file_bytes(1, 4096, 8192, size=10_000) == file_bytes(1, 0, 10_000)[4096:]
    assert file_bytes(1, 12_288, 4096, size=10_000) == b""


def test_file_digest_matches_the_bytes():
    import hashlib

    assert file_digest(3, 2_500_000) == hashlib.sha256(file_bytes(3, 0, 2_500_000)).hexdigest()


# --------------------------------------------------------------------------- builder


def test_accounts_carry_what_the_wire_and_login_need(w):
    alice = w.account("alice", phone="+999661", password="pw", hint="usual", dc_id=4)
    bob = w.user("bob")
    assert w.world.users[alice.id] is alice
    assert alice.is_account and alice.dc_id == 4
    assert (alice.password, alice.password_hint) == ("pw", "usual")
    assert not bob.is_account
    assert w.world.accounts() == [alice]
    assert w.world.account_by_phone("999661") is alice
    assert w.world.account_by_username("@Alice") is alice


def test_account_by_phone_compares_digits_on_both_sides(w):
    alice = w.account("alice", phone="+999 66-1 0001")
    w.account("bob", phone="9996610002")
    assert w.world.account_by_phone("9996610001") is alice
    assert w.world.account_by_phone("+999 661 0001") is alice
    assert w.world.account_by_phone("+999 661 0002").username == "bob"
    assert w.world.account_by_phone("+999 661 0003") is None


def test_channel_messages_have_one_sequence(w):
    alice = w.account("alice")
    news = w.channel("News", username="news", members=[alice])
    first = w.post(news, "one", date=T0)
    second = w.post(news, "two", date=T0)
    assert (first.id, second.id) == (1, 2)
    assert first.post and first.views == 1 and first.from_id is None
    assert w.world.resolve_username("NEWS") is news


def test_private_chats_and_groups_number_messages_per_account(w):
    alice, bob = w.account("alice"), w.account("bob")
    w.fill(w.saved(alice), 5, start=T0)  # alice's id sequence moves on, bob's does not
    dm = w.private(alice, bob)
    message = w.post(dm, "hi", sender=bob, date=T0 + 10)
    alice_copy = next(c for c in message.all_copies() if c.owner == alice.id)
    assert message.owner == bob.id and message.id == 1 and message.out
    assert alice_copy.id == 6 and not alice_copy.out and alice_copy.peer == bob.id
    family = w.group("Family", members=[alice, bob], creator=alice)
    posted = w.post(family, "dinner?", sender=alice, date=T0 + 20)
    assert sorted((c.owner, c.id) for c in posted.all_copies()) == [(alice.id, 7), (bob.id, 2)]


def test_a_chat_only_of_users_is_refused(w):
    with pytest.raises(ValueError, match="account"):
        w.private(w.user("x"), w.user("y"))


def test_dates_never_go_back_within_a_chat(w):
    news = w.channel("News", members=[w.account("alice")])
    w.post(news, "late", date=T0 + 100)
    with pytest.raises(ValueError, match="before"):
        w.post(news, "early", date=T0)


def test_fill_shares_seconds_and_formats_text(w):
    news = w.channel("News", members=[w.account("alice")])
    messages = w.fill(news, 6, start=T0, step=0.5, text="n{i}")
    assert [m.date for m in messages] == [T0, T0, T0 + 1, T0 + 1, T0 + 2, T0 + 2]
    assert [m.text for m in messages] == [f"n{i}" for i in range(6)]
    assert news.history.ids == [1, 2, 3, 4, 5, 6]


def test_fill_makes_a_hundred_thousand_messages(w):
    news = w.channel("News", members=[w.account("alice")])
    w.fill(news, 100_000, start=T0, step=0.25)
    assert len(news.history) == 100_000
    assert news.history.get(100_000).date == T0 + 24_999


def test_edit_and_delete_reach_every_copy(w):
    alice, bob = w.account("alice"), w.account("bob")
    message = w.post(w.private(alice, bob), "hello", sender=alice, date=T0)
    w.edit(message, "hello!", date=T0 + 5)
    assert {(c.text, c.edit_date) for c in message.all_copies()} == {("hello!", T0 + 5)}
    w.delete(message)
    assert all(len(w.world.box_of(c)) == 0 for c in message.all_copies())


def test_replies_quote_forwards_albums_pins(w):
    alice = w.account("alice")
    news = w.channel("News", members=[alice], signatures=True)
    carol = w.user("carol", "Carol")
    post = w.post(news, "big release today", sender=carol, date=T0)
    assert post.post_author == "Carol"
    reply = w.post(news, "yay", reply_to=post, quote="release", date=T0 + 1)
    assert (reply.reply_to.msg_id, reply.reply_to.quote_offset) == (post.id, 4)
    saved = w.saved(alice)
    fwd = w.forward(post, saved, sender=alice, date=T0 + 2)
    assert fwd.text == post.text and fwd.out
    assert (fwd.fwd.from_peer, fwd.fwd.channel_post) == (news.peer, post.id)
    hidden = w.forward(post, saved, hidden_name="Someone", date=T0 + 3)
    assert hidden.fwd.from_peer is None and hidden.fwd.from_name == "Someone"
    album = w.album(news, [w.photo(), w.video()], "two", date=T0 + 4)
    assert len({m.grouped_id for m in album}) == 1 and album[0].text == "two"
    service = w.pin(news, post, date=T0 + 5)
    assert post.pinned and service.action.kind == "pin" and service.reply_to.msg_id == post.id
    assert service.views is None and service.post_author is None


def test_media_factories_make_every_kind(w):
    photo = w.photo(90_000, w=2000, h=1000)
    assert isinstance(photo, Photo) and photo.sizes[-1].size == 90_000
    assert [s.type for s in photo.sizes] == ["s", "m", "x", "y", "w"]
    kinds = [
        w.video().kind,
        w.round_video().kind,
        w.voice().kind,
        w.audio().kind,
        w.sticker().kind,
        w.gif().kind,
        w.document(dc_id=4).kind,
    ]
    assert kinds == ["video", "round", "voice", "audio", "sticker", "gif", "document"]
    assert isinstance(w.webpage("https://x.org", photo=photo), WebPage)
    assert all(f.id in w.world.files for f in (photo,))


def test_expiring_a_file_reference_changes_it(w):
    doc = w.document(10_000)
    before = doc.file_reference
    w.expire_file_reference(doc)
    assert doc.file_reference != before


def test_unread_counts_follow_the_read_mark(w):
    alice, bob = w.account("alice"), w.user("bob")
    news = w.channel("News", members=[alice])
    w.fill(news, 10, start=T0)
    dialog = w.world.dialog(alice.id, news.peer)
    assert w.world.unread_count(alice.id, dialog) == 10  # posted after alice joined
    w.read(alice, news, unread=3)
    assert w.world.unread_count(alice.id, dialog) == 3
    dm = w.private(alice, bob)
    w.post(dm, "hi", sender=bob, date=T0 + 20)
    w.post(dm, "hey", sender=alice, date=T0 + 21)  # answering reads the chat
    assert w.world.unread_count(alice.id, w.world.dialog(alice.id, bob.id)) == 0


def test_dialog_pins_archive_and_folders(w):
    alice = w.account("alice")
    news = w.channel("News", members=[alice])
    old = w.channel("Old", members=[alice])
    w.pin_dialog(alice, news)
    w.archive(alice, old)
    folder = w.folder(alice, "Work", emoticon="💼", include=[news], groups=True)
    state = w.world.state(alice.id)
    assert state.pinned[0] == [news.peer]
    assert state.dialogs[old.peer].folder_id == ARCHIVE
    assert (folder.id, folder.include_peers, folder.groups) == (2, [news.peer], True)


# --------------------------------------------------------------------------- world files

SMALL_WORLD = {
    "version": 1,
    "now": "2024-01-01T00:00:00Z",
    "users": [
        {"ref": "alice", "account": True, "username": "alice", "password": "pw", "hint": "h"},
        {"username": "bob", "first_name": "Bob", "contacts": ["alice"]},
        {"ref": "botty", "username": "botty_bot", "bot": True},
    ],
    "media": {
        "cat": {"type": "photo", "size": 50000, "dc_id": 4, "seed": 11},
        "clip": {"type": "video", "size": 1000000, "duration": 3},
    },
    "chats": [
        {
            "ref": "news",
            "type": "channel",
            "id": 3000000000,
            "title": "News",
            "username": "news",
            "members": ["alice"],
            "messages": [
                {"service": "channel_create", "title": "News", "date": "2023-12-01T00:00:00"},
                {"ref": "first", "text": "hello world", "date": 1701500000, "media": "cat",
                 "entities": [{"type": "bold", "offset": 0, "length": 5}]},
                {"fill": 50, "start": 1701500100, "step": 0.5, "text": "n{i}"},
                {"text": "see above", "reply_to": "first", "quote": "world", "views": 10},
                {"service": "pin", "reply_to": "first"},
                {"album": ["clip", {"type": "photo"}], "text": "two things"},
            ],
        },
        {"ref": "dm", "type": "private", "between": ["alice", "bob"], "messages": [
            {"text": "hi", "sender": "bob", "date": 1701000000},
            {"text": "fwd", "sender": "alice", "forward": {"message": "first"}},
            {"text": "anon", "sender": "bob", "forward": {"hidden_name": "X", "date": 1}},
        ]},
        {"ref": "me", "type": "saved", "account": "alice", "messages": [{"text": "note"}]},
        {"ref": "fam", "type": "group", "title": "Family", "members": ["alice", "bob"],
         "creator": "alice", "messages": [{"text": "dinner", "sender": "bob"}]},
    ],
    "dialogs": {
        "alice": {
            "pinned": ["dm"],
            "archived": ["fam"],
            "muted": ["news"],
            "unread": {"news": 4},
            "folders": [{"title": "Work", "emoticon": "💼", "include": ["news"], "bots": True}],
        }
    },
}  # fmt: skip


def test_world_file_builds_every_feature():
    world = world_from_dict(SMALL_WORLD)
    alice = world.account_by_username("alice")
    news = world.channels[3_000_000_000]
    first = news.history.get(2)
    assert first.text == "hello world" and isinstance(first.media, Photo)
    assert first.media.dc_id == 4 and first.pinned
    assert news.history.get(1).date == parse_date("2023-12-01T00:00:00Z")
    reply = news.history.get(53)
    assert reply.reply_to.msg_id == 2 and reply.reply_to.quote_offset == 6
    assert [m.grouped_id is not None for m in news.history.messages[-2:]] == [True, True]
    assert isinstance(news.history.messages[-2].media, Document)
    state = world.state(alice.id)
    bob = world.resolve_username("bob")
    assert [m.text for m in state.boxes[bob.id]] == ["hi", "fwd", "anon"]
    assert state.boxes[bob.id].messages[1].fwd.channel_post == 2
    assert state.pinned[0] == [bob.id]
    assert state.dialogs[-world.chats[next(iter(world.chats))].id].folder_id == ARCHIVE
    assert world.unread_count(alice.id, state.dialogs[news.peer]) == 4
    assert world.unread_count(alice.id, state.dialogs[bob.id]) == 0
    assert state.filters[0].title == "Work" and state.filters[0].bots
    assert alice.id in bob.contacts


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"users": [{"ref": "a", "acount": True}]}, "unknown keys"),
        ({"chats": [{"ref": "c", "type": "channel", "title": "C", "members": ["nobody"]}]},
         "unknown user ref"),
        ({"chats": [{"ref": "c", "type": "forum", "title": "C"}]}, "type must be"),
        ({"version": 2}, "version"),
    ],
)  # fmt: skip
def test_world_file_errors_say_what_is_wrong(patch, error):
    with pytest.raises(WorldFileError, match=error):
        world_from_dict(patch)


def test_saved_world_loads_back_identical(tmp_path):
    world = build_demo_world()
    path = tmp_path / "demo.json"
    save_world(world, path)
    again = load_world(path)
    assert world_to_dict(again) == json.loads(path.read_text(encoding="utf-8"))
    channel = world.channels[BIG_CHANNEL_ID]
    assert again.channels[BIG_CHANNEL_ID].history.ids == channel.history.ids


# --------------------------------------------------------------------------- demo


def test_demo_world_is_deterministic_and_complete():
    world = build_demo_world()
    assert world_to_dict(world) == world_to_dict(build_demo_world())
    alice, bob = world.accounts()
    assert alice.password is None and bob.password == "hunter2"
    assert BIG_CHANNEL_ID > 2**31 and not world.channels[BIG_CHANNEL_ID].public
    assert sum(len(c.history) >= 1000 for c in world.channels.values()) >= 2
    assert any(c.megagroup for c in world.channels.values()) and world.chats
    kinds = {f.kind for f in world.files.values() if isinstance(f, Document)}
    assert kinds == {"document", "video", "round", "voice", "audio", "sticker", "gif"}
    assert any(isinstance(m.media, WebPage) for c in world.channels.values() for m in c.history)
    assert {f.dc_id for f in world.files.values()} == {2}
    state = world.state(alice.id)
    assert state.filters and any(d.folder_id == ARCHIVE for d in state.dialogs.values())
    assert alice.id in state.boxes  # Saved Messages
    assert any(world.users[p].is_bot for p in state.boxes if p > 0)


def test_entities_survive_a_world_file():
    w = WorldBuilder(now=T0)
    alice = w.account("alice")
    w.post(w.saved(alice), "see site", entities=[Entity("text_url", 4, 4, url="https://x.org")])
    again = world_from_dict(world_to_dict(w.world))
    message = again.state(alice.id).boxes[alice.id].messages[0]
    assert message.entities == [Entity("text_url", 4, 4, url="https://x.org")]


def test_the_documented_examples_work():
    """FORMAT.md's complete file loads; README.md's builder example runs."""
    import re
    from pathlib import Path

    docs = Path(__file__).parent / "fakegram" / "world"
    blocks = re.findall(
        r"```json\n(.*?)```", (docs / "FORMAT.md").read_text(encoding="utf-8"), re.S
    )
    world = world_from_dict(json.loads(blocks[-1]))
    alice = world.account_by_username("alice")
    news = world.resolve_username("news")
    assert len(news.history) == 501 and world.state(alice.id).pinned[0]
    code = re.findall(
        r"```python\n(.*?)```", (docs / "README.md").read_text(encoding="utf-8"), re.S
    )
    namespace: dict = {}
    exec(code[0], namespace)  # the building example
    doc = namespace["w"].document(10)
    exec(code[1], namespace | {"doc": doc})  # the live changes


def _format_md_blocks() -> dict[str, str]:
    """FORMAT.md's first JSON block under each heading, by heading."""
    import re
    from pathlib import Path

    text = (Path(__file__).parent / "fakegram" / "world" / "FORMAT.md").read_text("utf-8")
    sections = re.findall(r"^#+ ([^\n]+)\n(.*?)(?=^#|\Z)", text, re.S | re.M)
    return {
        title.strip(): blocks[0]
        for title, body in sections
        if (blocks := re.findall(r"```json\n(.*?)```", body, re.S))
    }


def _json_objects(block: str) -> list:
    """The objects of a block that lists several (elisions "[ ... ]" and ", ..." dropped)."""
    block = block.replace("[ ... ]", "[]").replace(", ...}", "}")
    decoder, index, found = json.JSONDecoder(), 0, []
    while True:
        while index < len(block) and block[index] in " \n,":
            index += 1
        if index == len(block):
            return found
        value, index = decoder.raw_decode(block, index)
        found.append(value)


def test_every_format_md_snippet_loads_as_it_says():
    blocks = _format_md_blocks()
    users = [*_json_objects(blocks["users"]), {"username": "carol", "first_name": "Carol"}]
    chats = _json_objects(blocks["chats"])
    messages = _json_objects(blocks["messages"])
    by_ref = {chat["ref"]: chat for chat in chats}
    by_ref["news"]["messages"] = [m for m in messages if "fill" not in m]
    by_ref["team"]["messages"] = [m for m in messages if "fill" in m]
    by_ref["me"]["messages"] = [{"text": "a note to self"}]
    world = world_from_dict(
        {
            "version": 1,
            "now": "2024-06-10T00:00:00Z",
            "users": users,
            "media": json.loads("{" + blocks["media"] + "}"),
            "chats": chats,
            "dialogs": json.loads("{" + blocks["dialogs"] + "}"),
        }
    )
    alice, bob = world.account_by_username("alice"), world.resolve_username("bob")
    assert (alice.id, alice.password, alice.password_hint) == (100000001, "secret", "usual")
    assert bob.id in alice.contacts and world.resolve_username("helper_bot").is_bot
    news = world.channels[2147483700]
    assert news.signatures and news.creator_id == world.resolve_username("carol").id
    team = next(c for c in world.channels.values() if c.megagroup)
    assert len(team.history) == 10_000
    first, reply, *forwards = news.history.messages[:5]
    assert (first.views, first.forwards, first.replies, first.post_author) == (120, 3, 4, "Carol")
    assert first.media.dc_id == 4 and first.media.seed == 11
    assert [e.kind for e in first.entities] == ["bold", "text_url", "mention_name"]
    assert first.entities[2].user_id == bob.id and first.edit_date == 1717000500
    assert (reply.reply_to.msg_id, reply.reply_to.quote_offset) == (first.id, 6)
    assert forwards[0].fwd.channel_post == first.id and forwards[1].fwd.channel_post == 7
    assert forwards[2].fwd.from_name == "A. Nonymous"
    album = [m for m in news.history.messages if m.grouped_id is not None]
    assert [m.media.kind if isinstance(m.media, Document) else "photo" for m in album] == [
        "photo",
        "video",
        "photo",
    ]
    actions = [m.action.kind for m in news.history.messages if m.action is not None]
    assert actions == ["channel_create", "pin", "chat_add_user"] and first.pinned
    kinds = {m.media.kind for m in news.history.messages if isinstance(m.media, Document)}
    assert kinds == {"video"}  # the album's clip; the other media are defined, unused
    state = world.state(alice.id)
    family = next(iter(world.chats.values()))
    assert state.pinned[0] == [team.peer, bob.id]
    assert state.dialogs[family.peer].folder_id == ARCHIVE and state.dialogs[news.peer].muted
    assert world.unread_count(alice.id, state.dialogs[news.peer]) == len(news.history)  # < 40
    (work,) = state.filters
    assert (work.id, work.title, work.groups, work.pinned_peers) == (2, "Work", True, [team.peer])
    assert [m.text for m in state.boxes[alice.id]] == ["a note to self"]  # "saved"
