"""The raw TL -> record converter, fed real pyrogram.raw objects that went over the wire format.

Every answer is serialised with TL and read back before conversion, so the converter sees
exactly what a client receives from Telegram.
"""

from io import BytesIO
from uuid import UUID

import orjson
import pytest
from pyrogram import raw
from pyrogram.raw.core import TLObject

from tests.fakegram.tl.layer import newer_fields
from tgscraper.cache.records import MessageRecord
from tgscraper.telegram.convert import action_name, convert_messages, dialog_ids_in

#: messages.messages' topics (layer 216; older clients' type has no such field)
NO_TOPICS = newer_fields(raw.types.messages.Messages, topics=[])

CHANNEL_RAW = 1234567890
CHANNEL = -1000000000000 - CHANNEL_RAW
OTHER_CHANNEL_RAW = 555
OTHER_CHANNEL = -1000000000555
GROUP_RAW = 4321
GROUP = -GROUP_RAW
ALICE = 1001
BOB = 1002
DATE = 1700000000


def wire(obj):
    """Serialise with TL and parse back: what pyrogram hands us from a real answer."""
    return TLObject.read(BytesIO(obj.write()))


def user(uid, first, last=None, username=None, bot=None, deleted=None, usernames=None):
    return raw.types.User(
        id=uid,
        access_hash=uid * 7,
        first_name=first,
        last_name=last,
        username=username,
        bot=bot,
        bot_info_version=1 if bot else None,  # TL: bot and bot_info_version share flags.14
        deleted=deleted,
        usernames=usernames,
    )


def channel(cid, title, username=None, megagroup=None):
    return raw.types.Channel(
        id=cid,
        title=title,
        photo=raw.types.ChatPhotoEmpty(),
        date=DATE - 10**6,
        access_hash=cid * 3,
        username=username,
        megagroup=megagroup,
        broadcast=None if megagroup else True,
    )


def group(gid, title):
    return raw.types.Chat(
        id=gid,
        title=title,
        photo=raw.types.ChatPhotoEmpty(),
        participants_count=3,
        date=DATE - 10**6,
        version=1,
    )


CHATS = [
    channel(CHANNEL_RAW, "Main Channel", "mainchan"),
    channel(OTHER_CHANNEL_RAW, "Other News", "othernews"),
    group(GROUP_RAW, "Old Group"),
]
USERS = [
    user(ALICE, "Alice", "Liddell", "alice_l"),
    user(BOB, "Bob", bot=True, usernames=[raw.types.Username(username="bobbot", active=True)]),
]


def msg(mid, *, peer=None, date=DATE, text="", **fields):
    return raw.types.Message(
        id=mid,
        peer_id=peer or raw.types.PeerChannel(channel_id=CHANNEL_RAW),
        date=date,
        message=text,
        **fields,
    )


def answer(*messages, users=USERS, chats=CHATS):
    return wire(
        raw.types.messages.ChannelMessages(
            pts=1,
            count=len(messages),
            messages=list(messages),
            topics=[],
            chats=list(chats),
            users=list(users),
        )
    )


def convert_one(message, dialog_id=CHANNEL, **kwargs):
    batch = convert_messages(answer(message, **kwargs), dialog_id)
    assert len(batch.records) == 1
    return batch, batch.records[0]


def document(doc_id, mime, size, attributes, dc_id=2):
    return raw.types.Document(
        id=doc_id,
        access_hash=doc_id + 1,
        file_reference=b"ref-" + str(doc_id).encode(),
        date=DATE,
        mime_type=mime,
        size=size,
        dc_id=dc_id,
        attributes=attributes,
    )


def doc_media(doc, **flags):
    return raw.types.MessageMediaDocument(document=doc, **flags)


def video_attr(round_message=None):
    return raw.types.DocumentAttributeVideo(duration=3.5, w=640, h=480, round_message=round_message)


def sticker_attr():
    return raw.types.DocumentAttributeSticker(alt="😀", stickerset=raw.types.InputStickerSetEmpty())


# -- plain channel posts -------------------------------------------------------------------


def test_channel_post_every_plain_field():
    batch, record = convert_one(
        msg(
            10,
            text="Hello, world",
            post=True,
            post_author="Editor Ed",
            views=1234,
            forwards=56,
            replies=raw.types.MessageReplies(
                replies=7, replies_pts=1, comments=True, channel_id=OTHER_CHANNEL_RAW
            ),
            edit_date=DATE + 60,
            grouped_id=99887766,
        )
    )
    assert record == MessageRecord(
        message_id=10,
        date=DATE,
        edit_date=DATE + 60,
        sender_id=CHANNEL,
        first_name="Main Channel",
        username="mainchan",
        message="Hello, world",
        post_author="Editor Ed",
        views=1234,
        forwards=56,
        replies=7,
        grouped_id=99887766,
    )
    assert orjson.loads(record.to_json()) == {
        "message_id": 10,
        "date": "2023-11-14 22:13:20",
        "edit_date": "2023-11-14 22:14:20",
        "sender_id": CHANNEL,
        "first_name": "Main Channel",
        "username": "mainchan",
        "message": "Hello, world",
        "post_author": "Editor Ed",
        "is_forwarded": 0,
        "views": 1234,
        "forwards": 56,
        "replies": 7,
        "grouped_id": 99887766,
    }
    assert batch.dialog.id == CHANNEL
    assert (batch.dialog.type, batch.dialog.title, batch.dialog.username) == (
        "channel",
        "Main Channel",
        "mainchan",
    )
    assert [(u.id, u.kind, u.first_name) for u in batch.users] == [
        (CHANNEL, "channel", "Main Channel")
    ]
    assert batch.media == []


def test_user_sender_in_supergroup():
    chats = [channel(CHANNEL_RAW, "Chat Room", megagroup=True)]
    batch, record = convert_one(
        msg(11, text="hi", from_id=raw.types.PeerUser(user_id=ALICE)), chats=chats
    )
    assert (record.sender_id, record.first_name, record.last_name, record.username) == (
        ALICE,
        "Alice",
        "Liddell",
        "alice_l",
    )
    assert batch.dialog.type == "supergroup"
    assert batch.dialog.username is None
    assert [(u.id, u.kind, u.first_name, u.last_name, u.username) for u in batch.users] == [
        (ALICE, "user", "Alice", "Liddell", "alice_l")
    ]


def test_bot_sender_with_collectible_username_only():
    batch, record = convert_one(msg(12, text="beep", from_id=raw.types.PeerUser(user_id=BOB)))
    assert (record.sender_id, record.first_name, record.username) == (BOB, "Bob", "bobbot")
    assert batch.users[0].kind == "bot"


def test_anonymous_admin_sends_as_other_channel():
    _, record = convert_one(
        msg(13, text="as channel", from_id=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW))
    )
    assert (record.sender_id, record.first_name, record.last_name, record.username) == (
        OTHER_CHANNEL,
        "Other News",
        None,
        "othernews",
    )


def test_unknown_sender_keeps_id():
    _, record = convert_one(msg(14, text="x", from_id=raw.types.PeerUser(user_id=4242)))
    assert record.sender_id == 4242
    assert record.first_name is None


def test_empty_text_is_omitted():
    _, record = convert_one(msg(15, text=""))
    assert record.message is None
    assert "message" not in orjson.loads(record.to_json())


# -- replies ---------------------------------------------------------------------------------


def test_reply_with_quote():
    _, record = convert_one(
        msg(
            20,
            text="indeed",
            reply_to=raw.types.MessageReplyHeader(
                reply_to_msg_id=19, quote=True, quote_text="the quoted part", quote_offset=12
            ),
        )
    )
    assert (record.reply_to, record.reply_quote_text, record.reply_quote_offset) == (
        19,
        "the quoted part",
        12,
    )


def test_quote_at_offset_zero_is_kept():
    _, record = convert_one(
        msg(
            21,
            reply_to=raw.types.MessageReplyHeader(reply_to_msg_id=3, quote=True, quote_text="Q"),
        )
    )
    assert (record.reply_quote_text, record.reply_quote_offset) == ("Q", 0)
    assert orjson.loads(record.to_json())["reply_quote_offset"] == 0


def test_plain_reply_has_no_quote():
    _, record = convert_one(msg(22, reply_to=raw.types.MessageReplyHeader(reply_to_msg_id=5)))
    assert (record.reply_to, record.reply_quote_text, record.reply_quote_offset) == (5, None, None)


def test_reply_to_another_chat_is_not_a_local_reply():
    header = raw.types.MessageReplyHeader(
        reply_to_msg_id=5, reply_to_peer_id=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW)
    )
    _, record = convert_one(msg(23, reply_to=header))
    assert record.reply_to is None


def test_reply_naming_its_own_chat_is_local():
    header = raw.types.MessageReplyHeader(
        reply_to_msg_id=5, reply_to_peer_id=raw.types.PeerChannel(channel_id=CHANNEL_RAW)
    )
    _, record = convert_one(msg(24, reply_to=header))
    assert record.reply_to == 5


def test_reply_to_story_is_ignored():
    header = raw.types.MessageReplyStoryHeader(peer=raw.types.PeerUser(user_id=ALICE), story_id=3)
    _, record = convert_one(msg(25, reply_to=header))
    assert record.reply_to is None


# -- forwards -------------------------------------------------------------------------------


def fwd(**fields):
    return raw.types.MessageFwdHeader(date=DATE - 3600, **fields)


def test_forward_from_user():
    batch, record = convert_one(msg(30, fwd_from=fwd(from_id=raw.types.PeerUser(user_id=ALICE))))
    assert record.is_forwarded == 1
    assert record.forwarded_from_user_id == ALICE
    assert record.forwarded_from_channel_id is None
    assert record.forwarded_from_name == "Alice Liddell"
    assert record.forwarded_from_date == DATE - 3600
    assert orjson.loads(record.to_json())["forwarded_from_date"] == "2023-11-14 21:13:20"
    assert {u.id for u in batch.users} == {CHANNEL, ALICE}


def test_forward_from_channel_post():
    _, record = convert_one(
        msg(
            31,
            fwd_from=fwd(
                from_id=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW),
                channel_post=77,
                post_author="Reporter",
            ),
        )
    )
    assert (record.forwarded_from_channel_id, record.forwarded_from_user_id) == (
        OTHER_CHANNEL,
        None,
    )
    assert record.forwarded_from_name == "Other News"


def test_forward_from_basic_group():
    _, record = convert_one(msg(32, fwd_from=fwd(from_id=raw.types.PeerChat(chat_id=GROUP_RAW))))
    assert record.forwarded_from_channel_id == GROUP
    assert record.forwarded_from_name == "Old Group"


def test_forward_from_hidden_user():
    _, record = convert_one(msg(33, fwd_from=fwd(from_name="Secret Person")))
    assert record.is_forwarded == 1
    assert (record.forwarded_from_user_id, record.forwarded_from_channel_id) == (None, None)
    assert record.forwarded_from_name == "Secret Person"


def test_forward_from_unknown_channel():
    _, record = convert_one(
        msg(34, fwd_from=fwd(from_id=raw.types.PeerChannel(channel_id=999), channel_post=1))
    )
    assert record.forwarded_from_channel_id == -1000000000999
    assert record.forwarded_from_name is None


def test_imported_message():
    _, record = convert_one(msg(35, fwd_from=fwd(imported=True, post_author="WhatsApp Joe")))
    assert record.is_forwarded == 1
    assert record.forwarded_from_name == "WhatsApp Joe"


def test_not_forwarded_is_zero_in_json():
    _, record = convert_one(msg(36, text="own"))
    assert orjson.loads(record.to_json())["is_forwarded"] == 0


# -- media ----------------------------------------------------------------------------------


def photo(photo_id=500, sizes=None):
    return raw.types.Photo(
        id=photo_id,
        access_hash=600,
        file_reference=b"photo-ref",
        date=DATE,
        dc_id=4,
        sizes=sizes
        or [
            raw.types.PhotoStrippedSize(type="i", bytes=b"\x01\x02"),
            raw.types.PhotoSize(type="m", w=320, h=240, size=10_000),
            raw.types.PhotoSizeProgressive(
                type="y", w=1280, h=960, sizes=[20_000, 80_000, 150_000]
            ),
            raw.types.PhotoSize(type="x", w=800, h=600, size=60_000),
        ],
    )


def test_photo_takes_largest_size_and_keeps_location():
    batch, record = convert_one(
        msg(40, text="caption here", media=raw.types.MessageMediaPhoto(photo=photo()))
    )
    assert record.media_type == "photos"
    assert record.message == "caption here"
    assert record.media_size == 150_000
    assert record.media_original_filename is None
    (media,) = batch.media
    assert record.media_uuid == media.uuid
    assert UUID(media.uuid).version == 4
    assert (media.message_id, media.media_type, media.size, media.mime_type) == (
        40,
        "photos",
        150_000,
        "image/jpeg",
    )
    assert (media.location_kind, media.file_id, media.access_hash) == ("photo", 500, 600)
    assert (media.file_reference, media.thumb_size, media.dc_id) == (b"photo-ref", "y", 4)
    assert media.file_key == "photo:500"


def test_photo_without_downloadable_sizes_or_expired_is_not_media():
    _, record = convert_one(
        msg(41, media=raw.types.MessageMediaPhoto(photo=raw.types.PhotoEmpty(id=1)))
    )
    assert record.media_type is None
    sizes = [raw.types.PhotoStrippedSize(type="i", bytes=b"\x01")]
    batch, record = convert_one(
        msg(42, media=raw.types.MessageMediaPhoto(photo=photo(sizes=sizes)))
    )
    assert (record.media_type, batch.media) == (None, [])
    _, record = convert_one(msg(43, media=raw.types.MessageMediaPhoto(ttl_seconds=10)))
    assert record.media_type is None


@pytest.mark.parametrize(
    ("attributes", "mime", "expected", "filename"),
    [
        ([video_attr(), raw.types.DocumentAttributeFilename(file_name="clip.mp4")],
         "video/mp4", "videos", "clip.mp4"),
        ([video_attr(round_message=True)], "video/mp4", "video_messages", None),
        ([raw.types.DocumentAttributeAnimated(), video_attr(round_message=True)],
         "video/mp4", "video_messages", None),
        ([raw.types.DocumentAttributeAnimated(), video_attr(),
          raw.types.DocumentAttributeFilename(file_name="funny.gif.mp4")],
         "video/mp4", "gifs", "funny.gif.mp4"),
        ([raw.types.DocumentAttributeAnimated()], "image/gif", "gifs", None),
        ([sticker_attr(), raw.types.DocumentAttributeImageSize(w=512, h=512),
          raw.types.DocumentAttributeFilename(file_name="sticker.webp")],
         "image/webp", "stickers", "sticker.webp"),
        ([sticker_attr(), video_attr()], "video/webm", "stickers", None),  # video sticker
        ([raw.types.DocumentAttributeAudio(duration=5, voice=True)], "audio/ogg",
         "voice_messages", None),
        ([raw.types.DocumentAttributeAudio(duration=200, title="Song", performer="Band"),
          raw.types.DocumentAttributeFilename(file_name="song.mp3")],
         "audio/mpeg", "files", "song.mp3"),
        ([raw.types.DocumentAttributeFilename(file_name="report.pdf")], "application/pdf",
         "files", "report.pdf"),
        ([], "application/octet-stream", "files", None),
    ],
)  # fmt: skip
def test_document_kinds(attributes, mime, expected, filename):
    doc = document(700, mime, 123_456, attributes, dc_id=5)
    batch, record = convert_one(msg(50, text="look", media=doc_media(doc)))
    assert (record.media_type, record.media_original_filename, record.media_size) == (
        expected,
        filename,
        123_456,
    )
    assert record.message == "look"
    (media,) = batch.media
    assert (media.media_type, media.mime_type, media.original_filename) == (
        expected,
        mime,
        filename,
    )
    assert (media.location_kind, media.file_id, media.access_hash, media.dc_id) == (
        "document",
        700,
        701,
        5,
    )
    assert (media.file_reference, media.thumb_size) == (b"ref-700", "")


def test_empty_document_is_not_media():
    _, record = convert_one(msg(51, media=doc_media(raw.types.DocumentEmpty(id=1))))
    assert record.media_type is None


@pytest.mark.parametrize(
    "media",
    [
        raw.types.MessageMediaWebPage(webpage=raw.types.WebPageEmpty(id=1, url="https://x.org")),
        raw.types.MessageMediaGeo(geo=raw.types.GeoPoint(long=1.5, lat=2.5, access_hash=1)),
        raw.types.MessageMediaContact(
            phone_number="+100", first_name="C", last_name="", vcard="", user_id=0
        ),
        raw.types.MessageMediaDice(value=3, emoticon="🎲"),
        raw.types.MessageMediaUnsupported(),
    ],
)
def test_non_file_media_is_not_media(media):
    batch, record = convert_one(msg(52, text="see https://x.org", media=media))
    assert (record.media_type, record.media_uuid, batch.media) == (None, None, [])
    assert record.message == "see https://x.org"


def test_album_items_share_grouped_id_and_get_distinct_uuids():
    items = [
        msg(60, grouped_id=5, media=raw.types.MessageMediaPhoto(photo=photo(501))),
        msg(61, grouped_id=5, media=raw.types.MessageMediaPhoto(photo=photo(502))),
    ]
    batch = convert_messages(answer(*items), CHANNEL)
    assert [r.grouped_id for r in batch.records] == [5, 5]
    assert len({m.uuid for m in batch.media}) == 2
    assert [m.message_id for m in batch.media] == [60, 61]


def test_each_conversion_mints_fresh_uuids():
    """Stability across re-fetches is the store's job (it keeps the stored uuid)."""
    one = convert_messages(
        answer(msg(62, media=raw.types.MessageMediaPhoto(photo=photo()))), CHANNEL
    )
    two = convert_messages(
        answer(msg(62, media=raw.types.MessageMediaPhoto(photo=photo()))), CHANNEL
    )
    assert one.media[0].file_key == two.media[0].file_key
    assert one.media[0].uuid != two.media[0].uuid


# -- service messages ------------------------------------------------------------------------


def service(mid, action, **fields):
    return raw.types.MessageService(
        id=mid,
        peer_id=fields.pop("peer", raw.types.PeerChannel(channel_id=CHANNEL_RAW)),
        date=DATE,
        action=action,
        **fields,
    )


def test_pin_message_points_at_the_pinned_message():
    _, record = convert_one(
        service(
            70,
            raw.types.MessageActionPinMessage(),
            from_id=raw.types.PeerUser(user_id=ALICE),
            reply_to=raw.types.MessageReplyHeader(reply_to_msg_id=42),
        )
    )
    assert (record.action, record.action_data, record.reply_to) == ("pin_message", None, 42)
    assert (record.sender_id, record.first_name) == (ALICE, "Alice")
    assert record.message is None
    data = orjson.loads(record.to_json())
    assert data["action"] == "pin_message"
    assert "action_data" not in data
    assert "edit_date" not in data


@pytest.mark.parametrize(
    ("action", "name", "data"),
    [
        (raw.types.MessageActionChatCreate(title="New", users=[ALICE, BOB]), "chat_create",
         {"title": "New", "users": [ALICE, BOB]}),
        (raw.types.MessageActionChannelCreate(title="Chan"), "channel_create", {"title": "Chan"}),
        (raw.types.MessageActionChatAddUser(users=[BOB]), "chat_add_user", {"users": [BOB]}),
        (raw.types.MessageActionChatDeleteUser(user_id=BOB), "chat_delete_user",
         {"user_id": BOB}),
        (raw.types.MessageActionChatEditTitle(title="Renamed"), "chat_edit_title",
         {"title": "Renamed"}),
        (raw.types.MessageActionChatJoinedByLink(inviter_id=ALICE), "chat_joined_by_link",
         {"inviter_id": ALICE}),
        (raw.types.MessageActionChatMigrateTo(channel_id=CHANNEL_RAW), "chat_migrate_to",
         {"channel_id": CHANNEL}),
        (raw.types.MessageActionChannelMigrateFrom(title="Old", chat_id=GROUP_RAW),
         "channel_migrate_from", {"title": "Old", "chat_id": GROUP}),
        (raw.types.MessageActionTopicCreate(title="Topic", icon_color=0x6FB9F0),
         "topic_create", {"title": "Topic", "icon_color": 0x6FB9F0}),
        (raw.types.MessageActionSetMessagesTTL(period=86400), "set_messages_ttl",
         {"period": 86400}),
        (raw.types.MessageActionChatDeletePhoto(), "chat_delete_photo", None),
        (raw.types.MessageActionChatEditPhoto(photo=photo()), "chat_edit_photo", None),
        (raw.types.MessageActionHistoryClear(), "history_clear", None),
        (raw.types.MessageActionScreenshotTaken(), "screenshot_taken", None),
        (raw.types.MessageActionGeoProximityReached(
            from_id=raw.types.PeerUser(user_id=ALICE),
            to_id=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW), distance=50),
         "geo_proximity_reached", {"from_id": ALICE, "to_id": OTHER_CHANNEL, "distance": 50}),
    ],
)  # fmt: skip
def test_service_actions(action, name, data):
    _, record = convert_one(service(71, action))
    assert record.action == name
    assert record.action_data == data
    assert record.sender_id == CHANNEL
    assert orjson.loads(record.to_json()).get("action_data") == data


def test_action_names_are_snake_case_of_tl_names():
    assert action_name(raw.types.MessageActionPinMessage) == "pin_message"
    assert action_name(raw.types.MessageActionGroupCallScheduled) == "group_call_scheduled"
    assert action_name(raw.types.MessageActionEmpty) == "empty"


# -- batches, dialogs, other chats ----------------------------------------------------------


def test_empty_and_foreign_messages_are_skipped():
    batch = convert_messages(
        answer(
            msg(3, text="c"),
            raw.types.MessageEmpty(id=2),
            msg(9, text="elsewhere", peer=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW)),
            msg(1, text="a"),
        ),
        CHANNEL,
    )
    assert [r.message_id for r in batch.records] == [3, 1]
    assert batch.dates == [DATE, DATE]


def test_dialog_ids_in_a_global_search_answer():
    found = answer(
        msg(1),
        msg(2, peer=raw.types.PeerChannel(channel_id=OTHER_CHANNEL_RAW)),
        msg(3, peer=raw.types.PeerUser(user_id=ALICE)),
        msg(4),
        raw.types.MessageEmpty(id=5),
    )
    assert dialog_ids_in(found) == [CHANNEL, OTHER_CHANNEL, ALICE]


def test_private_chat_messages_and_dialog_info():
    private = [
        msg(1, peer=raw.types.PeerUser(user_id=ALICE), text="hi from alice"),
        msg(2, peer=raw.types.PeerUser(user_id=ALICE), text="hi back", out=True,
            from_id=raw.types.PeerUser(user_id=BOB)),
    ]  # fmt: skip
    result = wire(raw.types.messages.Messages(messages=private, chats=[], users=USERS, **NO_TOPICS))
    batch = convert_messages(result, ALICE)
    assert [(r.message_id, r.sender_id) for r in batch.records] == [(1, ALICE), (2, BOB)]
    assert (batch.dialog.id, batch.dialog.type, batch.dialog.title) == (
        ALICE,
        "user",
        "Alice Liddell",
    )
    assert batch.dialog.username == "alice_l"


def test_basic_group_dialog():
    messages = [msg(5, peer=raw.types.PeerChat(chat_id=GROUP_RAW),
                    from_id=raw.types.PeerUser(user_id=ALICE), text="in group")]  # fmt: skip
    batch = convert_messages(answer(*messages), GROUP)
    assert [r.message_id for r in batch.records] == [5]
    assert (batch.dialog.type, batch.dialog.title) == ("group", "Old Group")


def test_forbidden_channel_and_deleted_user():
    chats = [
        raw.types.ChannelForbidden(id=CHANNEL_RAW, access_hash=1, title="Gone", broadcast=True)
    ]
    users = [user(ALICE, "", deleted=True)]
    batch, record = convert_one(
        msg(6, from_id=raw.types.PeerUser(user_id=ALICE)), users=users, chats=chats
    )
    assert (batch.dialog.type, batch.dialog.title) == ("channel", "Gone")
    assert batch.users[0].kind == "deleted_user"
    assert record.first_name == ""


def test_not_modified_answer_is_empty():
    batch = convert_messages(wire(raw.types.messages.MessagesNotModified(count=3)), CHANNEL)
    assert (batch.records, batch.media, batch.users, batch.dialog) == ([], [], [], None)


def test_record_row_round_trip():
    _, record = convert_one(service(80, raw.types.MessageActionChatAddUser(users=[1, 2])))
    assert MessageRecord.from_row(record.row()) == record


# -- against kurigram's own parser, over real MTProto (fakegram's demo world) ---------------

KURIGRAM_MEDIA = {
    "PHOTO": "photos",
    "VIDEO": "videos",
    "VOICE": "voice_messages",
    "VIDEO_NOTE": "video_messages",
    "STICKER": "stickers",
    "ANIMATION": "gifs",
    "AUDIO": "files",
    "DOCUMENT": "files",
}


COMPARED_FIELDS = [
    "message_id", "date", "edit_date", "sender_id", "message", "reply_to", "reply_quote_text",
    "post_author", "is_forwarded", "forwarded_from_user_id", "forwarded_from_channel_id",
    "forwarded_from_date", "media_type", "views", "forwards", "grouped_id",
]  # fmt: skip


def expected_from_kurigram(message) -> dict:
    """What our record must say, read off kurigram's high-level Message."""
    sender = message.from_user or message.sender_chat
    origin = message.forward_origin
    origin_user = getattr(origin, "sender_user", None)
    origin_chat = getattr(origin, "chat", None) or getattr(origin, "sender_chat", None)
    quote = message.quote
    media = message.media.name if message.media else None
    return {
        "message_id": message.id,
        "date": int(message.date.timestamp()),
        "edit_date": int(message.edit_date.timestamp()) if message.edit_date else None,
        "sender_id": sender.id if sender else None,
        "message": (message.text or message.caption or None) if not message.service else None,
        "reply_to": message.reply_to_message_id,
        "reply_quote_text": quote.text if quote else None,
        "post_author": message.author_signature,
        "is_forwarded": int(origin is not None),
        "forwarded_from_user_id": origin_user.id if origin_user else None,
        "forwarded_from_channel_id": origin_chat.id if origin_chat else None,
        "forwarded_from_date": int(origin.date.timestamp()) if origin else None,
        "media_type": KURIGRAM_MEDIA.get(media),
        "views": message.views,
        "forwards": message.forwards,
        "grouped_id": message.media_group_id,
        "is_service": bool(message.service),
    }


def record_view(record: MessageRecord) -> dict:
    """The record's fields that expected_from_kurigram() describes."""
    view = {name: getattr(record, name) for name in COMPARED_FIELDS}
    view["is_service"] = record.action is not None
    return view


@pytest.mark.parametrize("chat_name", ["technews", "devchat", "Family", "me"])
async def test_matches_kurigram_over_mtproto(fakegram, fakegram_client, chat_name):
    from pyrogram import utils

    from tests.fakegram.world.demo import build_demo_world

    world = build_demo_world()
    alice = next(u for u in world.users.values() if u.username == "alice")
    server = await fakegram(world)
    client = await fakegram_client(server, alice.id, sleep_threshold=0)
    if chat_name == "Family":
        chat = -next(g.id for g in world.chats.values() if g.title == "Family")
    else:
        chat = chat_name
    peer = await client.resolve_peer(chat)
    dialog_id = alice.id if chat == "me" else utils.get_peer_id(peer)  # InputPeerSelf

    answer = await client.invoke(
        raw.functions.messages.GetHistory(
            peer=peer, offset_id=0, offset_date=0, add_offset=0, limit=100, max_id=0, min_id=0,
            hash=0,
        )
    )  # fmt: skip
    batch = convert_messages(answer, dialog_id)
    assert len(batch.records) == len(answer.messages) > 0

    parsed = {m.id: m async for m in client.get_chat_history(chat, limit=100)}
    assert set(parsed) == {r.message_id for r in batch.records}
    kinds = set()
    for record in batch.records:
        assert record_view(record) == expected_from_kurigram(parsed[record.message_id])
        kinds.add(record.media_type)
        if record.media_type:
            media = next(m for m in batch.media if m.uuid == record.media_uuid)
            file = getattr(parsed[record.message_id], parsed[record.message_id].media.value)
            assert record.media_size == media.size == file.file_size
            assert record.media_original_filename == getattr(file, "file_name", None)
    if chat_name in ("technews", "devchat"):
        assert len(kinds) > 3  # the demo world mixes every media kind in
