"""THE converter: a raw TL answer (``messages.Messages`` and friends) -> our records.

Calling ``messages.getHistory`` / ``messages.search`` through ``client.invoke`` and
converting the raw answer here is the fast path (no high-level ``Message`` parsing, no
extra requests for replies, topics or stories)::

    answer = await client.invoke(raw.functions.messages.GetHistory(...))
    batch = convert_messages(answer, dialog_id)   # ConvertedBatch(records, users, media, dialog)
    await cache.write_batch(batch, covered=...)

Semantics follow kurigram's ``Message._parse`` (types/messages_and_media/message.py):

* sender: ``from_id``, else the chat itself (channel posts). A channel or group sender's
  title goes to ``first_name`` and its public username to ``username``.
* ``message``: the text, or the caption of a media message; empty -> omitted.
* ``reply_to``: the replied message's id when it is in the same chat (a reply to another
  chat's message has no ``reply_to``); a topic message's ``reply_to`` is the topic's root,
  as in kurigram. ``reply_quote_text`` / ``reply_quote_offset`` when the reply quotes.
* forwards: ``forwarded_from_user_id`` (users and bots), ``forwarded_from_channel_id``
  (channels, supergroups and groups, Bot-API id), ``forwarded_from_name`` (the hidden
  sender's name, else the author's name or chat title when known, else an imported
  message's author), ``forwarded_from_date``.
* media: the file categories of ``records.MEDIA_TYPES``, classified like kurigram (an
  animation with a round video is a video message; a video sticker is a sticker; audio
  that is not voice is a file). Web page previews, polls, locations, contacts, games,
  dice, invoices, stories and paid media are not files: no ``media_type``.
* service messages: ``action`` is the TL action's name in snake case without the
  ``MessageAction`` prefix (``pin_message``, ``chat_create``, ``chat_add_user``,
  ``topic_create``...); ``action_data`` holds its plain fields (numbers, strings, id lists;
  peers and ``chat_id`` / ``channel_id`` in Bot-API form). A pinned message's id is in
  ``reply_to``, as Telegram sends it.
* ``MessageEmpty`` and messages of other chats are skipped.
"""

from __future__ import annotations

import re
import uuid
from functools import cache
from typing import Any

from pyrogram import raw, utils

from tgscraper.cache.records import (
    FILES,
    GIFS,
    PHOTOS,
    STICKERS,
    VIDEO_MESSAGES,
    VIDEOS,
    VOICE_MESSAGES,
    ConvertedBatch,
    DialogInfo,
    MediaRow,
    MessageRecord,
    PeerRow,
)
from tgscraper.search.entries import SAVED_MESSAGES_TITLE

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_Users = dict[int, Any]  # raw user id (= Bot-API id) -> raw User
_Chats = dict[int, Any]  # Bot-API id (-N, -100N) -> raw Chat / Channel


def convert_messages(answer: raw.base.messages.Messages, dialog_id: int) -> ConvertedBatch:
    """Convert the messages of ``dialog_id`` (Bot-API id) in one raw answer."""
    users: _Users = {user.id: user for user in getattr(answer, "users", ())}
    chats: _Chats = {_chat_dialog_id(chat): chat for chat in getattr(answer, "chats", ())}
    batch = ConvertedBatch(dialog_id=dialog_id, dialog=_dialog_info(dialog_id, users, chats))
    peers: dict[int, PeerRow] = {}
    for message in getattr(answer, "messages", ()):
        if isinstance(message, raw.types.MessageEmpty):
            continue
        if utils.get_peer_id(message.peer_id) != dialog_id:
            continue
        record = MessageRecord(message_id=message.id, date=message.date)
        _fill_sender(record, message, users, chats, peers)
        _fill_reply(record, message.reply_to, dialog_id)
        if isinstance(message, raw.types.MessageService):
            _fill_action(record, message.action)
        else:
            _fill_message(record, message, users, chats, peers, batch)
        batch.records.append(record)
    batch.users = list(peers.values())
    return batch


def dialog_ids_in(answer: raw.base.messages.Messages) -> list[int]:
    """Bot-API ids of the chats an answer's messages belong to (e.g. a global search)."""
    seen: dict[int, None] = {}
    for message in getattr(answer, "messages", ()):
        if not isinstance(message, raw.types.MessageEmpty):
            seen[utils.get_peer_id(message.peer_id)] = None
    return list(seen)


def _fill_message(
    record: MessageRecord,
    message: raw.types.Message,
    users: _Users,
    chats: _Chats,
    peers: dict[int, PeerRow],
    batch: ConvertedBatch,
) -> None:
    record.edit_date = message.edit_date
    record.message = message.message or None
    record.post_author = message.post_author
    record.views = message.views
    record.forwards = message.forwards
    record.grouped_id = message.grouped_id
    if isinstance(message.replies, raw.types.MessageReplies):
        record.replies = message.replies.replies
    if isinstance(message.fwd_from, raw.types.MessageFwdHeader):
        _fill_forward(record, message.fwd_from, users, chats, peers)
    if message.media is not None:
        media = media_row(message.media, message.id)
        if media is not None:
            record.media_type = media.media_type
            record.media_uuid = media.uuid
            record.media_size = media.size
            record.media_original_filename = media.original_filename
            batch.media.append(media)


def _fill_sender(
    record: MessageRecord,
    message: Any,
    users: _Users,
    chats: _Chats,
    peers: dict[int, PeerRow],
) -> None:
    peer = message.from_id or message.peer_id
    if peer is None:
        return
    row = _peer_row(peer, users, chats)
    record.sender_id = row.id
    record.first_name = row.first_name
    record.last_name = row.last_name
    record.username = row.username
    peers[row.id] = row


def _fill_reply(record: MessageRecord, header: Any, dialog_id: int) -> None:
    if not isinstance(header, raw.types.MessageReplyHeader):
        return  # None, or a reply to a story
    other_chat = header.reply_to_peer_id
    if other_chat is not None and utils.get_peer_id(other_chat) != dialog_id:
        return
    record.reply_to = header.reply_to_msg_id
    if header.quote_text:
        record.reply_quote_text = header.quote_text
        record.reply_quote_offset = header.quote_offset or 0


def _fill_forward(
    record: MessageRecord,
    header: raw.types.MessageFwdHeader,
    users: _Users,
    chats: _Chats,
    peers: dict[int, PeerRow],
) -> None:
    record.is_forwarded = 1
    record.forwarded_from_date = header.date
    name = header.from_name
    if header.from_id is not None:
        row = _peer_row(header.from_id, users, chats)
        peers[row.id] = row
        if isinstance(header.from_id, raw.types.PeerUser):
            record.forwarded_from_user_id = row.id
        else:
            record.forwarded_from_channel_id = row.id
        name = name or _display_name(row)
    if name is None and header.imported:
        name = header.post_author
    record.forwarded_from_name = name


def _fill_action(record: MessageRecord, action: Any) -> None:
    record.action = action_name(type(action))
    data: dict[str, Any] = {}
    for key in action.__slots__:
        value = _plain_value(key, getattr(action, key))
        if value is not None:
            data[key] = value
    record.action_data = data or None


@cache
def action_name(action_type: type) -> str:
    """``MessageActionPinMessage`` -> ``pin_message``, ``...MessagesTTL`` -> ``messages_ttl``."""
    name = action_type.__name__.removeprefix("MessageAction")
    return _WORD_BOUNDARY.sub("_", name).lower() or "unknown"


def _plain_value(key: str, value: Any) -> Any:
    """A JSON-friendly form of one action field, or None to leave it out."""
    if value is None or value is False or isinstance(value, bytes):
        return None
    if isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        if key == "channel_id":
            return utils.get_channel_id(value)
        if key == "chat_id":
            return -value
        return value
    if isinstance(value, raw.types.PeerUser | raw.types.PeerChat | raw.types.PeerChannel):
        return utils.get_peer_id(value)
    if isinstance(value, list) and value and all(isinstance(item, int) for item in value):
        return value
    return None  # nested TL objects (photos, call references, ...) are not kept


def media_row(media: Any, message_id: int) -> MediaRow | None:
    """The downloadable file of a ``MessageMedia``, or None when it has none."""
    if isinstance(media, raw.types.MessageMediaPhoto):
        return _photo_row(media.photo, message_id)
    if isinstance(media, raw.types.MessageMediaDocument):
        document = media.document
        if not isinstance(document, raw.types.Document):
            return None
        category, filename = classify_document(document)
        return MediaRow(
            uuid=str(uuid.uuid4()),
            message_id=message_id,
            media_type=category,
            size=document.size,
            mime_type=document.mime_type or None,
            original_filename=filename,
            dc_id=document.dc_id,
            location_kind="document",
            file_id=document.id,
            access_hash=document.access_hash,
            file_reference=document.file_reference,
        )
    return None


def classify_document(document: raw.types.Document) -> tuple[str, str | None]:
    """(media_type, original file name) of a document, in kurigram's order of checks."""
    attributes = {type(attribute): attribute for attribute in document.attributes}
    filename_attribute = attributes.get(raw.types.DocumentAttributeFilename)
    filename = filename_attribute.file_name if filename_attribute else None
    video = attributes.get(raw.types.DocumentAttributeVideo)
    if raw.types.DocumentAttributeAnimated in attributes:
        category = VIDEO_MESSAGES if video is not None and video.round_message else GIFS
    elif raw.types.DocumentAttributeSticker in attributes:
        category = STICKERS
    elif video is not None:
        category = VIDEO_MESSAGES if video.round_message else VIDEOS
    elif raw.types.DocumentAttributeAudio in attributes:
        voice = attributes[raw.types.DocumentAttributeAudio].voice
        category = VOICE_MESSAGES if voice else FILES
    else:
        category = FILES
    return category, filename


def _photo_row(photo: Any, message_id: int) -> MediaRow | None:
    if not isinstance(photo, raw.types.Photo):
        return None  # PhotoEmpty: expired or removed
    largest: tuple[int, str, int] | None = None  # (area, type, size), as kurigram picks
    for size in photo.sizes:
        if isinstance(size, raw.types.PhotoSize):
            candidate = (size.w * size.h, size.type, size.size)
        elif isinstance(size, raw.types.PhotoSizeProgressive):
            candidate = (size.w * size.h, size.type, max(size.sizes, default=0))
        else:
            continue  # stripped, cached and path sizes are inline thumbnails
        if largest is None or candidate[0] >= largest[0]:
            largest = candidate
    if largest is None:
        return None
    return MediaRow(
        uuid=str(uuid.uuid4()),
        message_id=message_id,
        media_type=PHOTOS,
        size=largest[2],
        mime_type="image/jpeg",
        original_filename=None,
        dc_id=photo.dc_id,
        location_kind="photo",
        file_id=photo.id,
        access_hash=photo.access_hash,
        file_reference=photo.file_reference,
        thumb_size=largest[1],
    )


def _peer_row(peer: Any, users: _Users, chats: _Chats) -> PeerRow:
    peer_id = utils.get_peer_id(peer)
    if isinstance(peer, raw.types.PeerUser):
        user = users.get(peer.user_id)
        if not isinstance(user, raw.types.User):
            return PeerRow(id=peer_id, kind="user")
        kind = "deleted_user" if user.deleted else "bot" if user.bot else "user"
        return PeerRow(peer_id, kind, user.first_name, user.last_name, public_username(user))
    chat = chats.get(peer_id)
    kind = "group" if isinstance(peer, raw.types.PeerChat) else "channel"
    return PeerRow(peer_id, kind, getattr(chat, "title", None), None, public_username(chat))


def public_username(user_or_chat: Any) -> str | None:
    """The public username, or the first active collectible one."""
    name = getattr(user_or_chat, "username", None)
    if name:
        return name
    for entry in getattr(user_or_chat, "usernames", None) or ():
        if entry.active:
            return entry.username
    return None


def _display_name(row: PeerRow) -> str | None:
    parts = [part for part in (row.first_name, row.last_name) if part]
    return " ".join(parts) or None


def _dialog_info(dialog_id: int, users: _Users, chats: _Chats) -> DialogInfo | None:
    if dialog_id > 0:
        user = users.get(dialog_id)
        if not isinstance(user, raw.types.User):
            return None
        if user.is_self:  # the account's own chat: its Saved Messages
            return DialogInfo(dialog_id, "saved", SAVED_MESSAGES_TITLE, None)
        title = _display_name(PeerRow(dialog_id, "user", user.first_name, user.last_name))
        return DialogInfo(dialog_id, "bot" if user.bot else "user", title, public_username(user))
    chat = chats.get(dialog_id)
    if chat is None or isinstance(chat, raw.types.ChatEmpty):
        return None
    if isinstance(chat, raw.types.Chat | raw.types.ChatForbidden):
        kind = "group"
    else:
        kind = "supergroup" if getattr(chat, "megagroup", False) else "channel"
    return DialogInfo(dialog_id, kind, getattr(chat, "title", None), public_username(chat))


def _chat_dialog_id(chat: Any) -> int:
    if isinstance(chat, raw.types.Channel | raw.types.ChannelForbidden):
        return utils.get_channel_id(chat.id)
    return -chat.id
