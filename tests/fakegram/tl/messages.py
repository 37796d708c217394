"""World messages -> raw TL messages, and the users/chats an answer must carry.

A message's TL object only depends on the message, whether the viewer sent it (`out`)
and, for media, the file references (`World.media_epoch`), so it is built once and
cached on the message (`Message.cache`, cleared on every edit).
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrogram import raw

from ..world.model import Entity, Message, World
from .media import media_tl
from .peers import peer_tl, peers_tl

_ENTITY_CLASSES = {
    "bold": raw.types.MessageEntityBold,
    "italic": raw.types.MessageEntityItalic,
    "underline": raw.types.MessageEntityUnderline,
    "strike": raw.types.MessageEntityStrike,
    "spoiler": raw.types.MessageEntitySpoiler,
    "code": raw.types.MessageEntityCode,
    "pre": raw.types.MessageEntityPre,
    "blockquote": raw.types.MessageEntityBlockquote,
    "url": raw.types.MessageEntityUrl,
    "text_url": raw.types.MessageEntityTextUrl,
    "mention": raw.types.MessageEntityMention,
    "mention_name": raw.types.MessageEntityMentionName,
    "hashtag": raw.types.MessageEntityHashtag,
    "cashtag": raw.types.MessageEntityCashtag,
    "bot_command": raw.types.MessageEntityBotCommand,
    "email": raw.types.MessageEntityEmail,
    "phone": raw.types.MessageEntityPhone,
    "bank_card": raw.types.MessageEntityBankCard,
}
ENTITY_KINDS = tuple(_ENTITY_CLASSES)


def entity_tl(entity: Entity) -> raw.base.MessageEntity:
    cls = _ENTITY_CLASSES.get(entity.kind)
    if cls is None:
        raise ValueError(f"unknown entity kind {entity.kind!r}; known: {ENTITY_KINDS}")
    if entity.kind == "pre":
        return cls(offset=entity.offset, length=entity.length, language=entity.language or "")
    if entity.kind == "text_url":
        return cls(offset=entity.offset, length=entity.length, url=entity.url or "")
    if entity.kind == "mention_name":
        return cls(offset=entity.offset, length=entity.length, user_id=entity.user_id or 0)
    return cls(offset=entity.offset, length=entity.length)


def _action_tl(message: Message) -> raw.base.MessageAction:
    action = message.action
    kind = action.kind
    if kind == "chat_create":
        return raw.types.MessageActionChatCreate(title=action.title or "", users=action.users)
    if kind == "channel_create":
        return raw.types.MessageActionChannelCreate(title=action.title or "")
    if kind == "pin":
        return raw.types.MessageActionPinMessage()
    if kind == "chat_add_user":
        return raw.types.MessageActionChatAddUser(users=action.users)
    if kind == "chat_delete_user":
        return raw.types.MessageActionChatDeleteUser(user_id=action.users[0])
    if kind == "chat_edit_title":
        return raw.types.MessageActionChatEditTitle(title=action.title or "")
    if kind == "chat_joined_by_link":
        return raw.types.MessageActionChatJoinedByLink(
            inviter_id=action.users[0] if action.users else 0
        )
    if kind == "history_clear":
        return raw.types.MessageActionHistoryClear()
    raise ValueError(f"unknown service action {kind!r}")


ACTION_KINDS = (
    "chat_create",
    "channel_create",
    "pin",
    "chat_add_user",
    "chat_delete_user",
    "chat_edit_title",
    "chat_joined_by_link",
    "history_clear",
)


def _reply_tl(message: Message) -> raw.types.MessageReplyHeader | None:
    reply = message.reply_to
    if reply is None:
        return None
    return raw.types.MessageReplyHeader(
        reply_to_msg_id=reply.msg_id,
        reply_to_top_id=reply.top_id,
        quote=bool(reply.quote_text),
        quote_text=reply.quote_text,
        quote_offset=reply.quote_offset,
    )


def _fwd_tl(message: Message) -> raw.types.MessageFwdHeader | None:
    fwd = message.fwd
    if fwd is None:
        return None
    return raw.types.MessageFwdHeader(
        date=fwd.date,
        from_id=peer_tl(fwd.from_peer) if fwd.from_peer is not None else None,
        from_name=fwd.from_name,
        channel_post=fwd.channel_post,
        post_author=fwd.post_author,
    )


def _from_tl(message: Message, out: bool) -> raw.base.Peer | None:
    """Telegram leaves from_id out of incoming private-chat messages (peer_id names the
    sender) and out of broadcast posts."""
    if message.from_id is None:
        return None
    if message.owner is not None and message.peer > 0 and not out:
        return None
    return peer_tl(message.from_id)


def _written_once(tl_class: type) -> type:
    """A subclass of a TL class whose objects write their bytes once: a message's cached TL
    object goes out in many answers, and pyrogram's TL writer was most of the fake's time
    per history page. The objects never change once built (an edit builds new ones)."""

    def write(self, *args) -> bytes:
        written = self.__dict__.get("written")
        if written is None:
            written = self.__dict__["written"] = tl_class.write(self, *args)
        return written

    return type(tl_class.__name__, (tl_class,), {"write": write})


_SERVICE = _written_once(raw.types.MessageService)
_MESSAGE = _written_once(raw.types.Message)


def _build(world: World, message: Message, out: bool) -> raw.base.Message:
    if message.action is not None:
        return _SERVICE(
            id=message.id,
            peer_id=peer_tl(message.peer),
            date=message.date,
            action=_action_tl(message),
            out=out,
            post=message.post,
            silent=message.silent,
            from_id=_from_tl(message, out),
            reply_to=_reply_tl(message),
        )
    replies = (
        raw.types.MessageReplies(replies=message.replies, replies_pts=0)
        if message.replies is not None
        else None
    )
    # views and forwards share one flag bit: both or neither
    counted = message.views is not None or message.forwards is not None
    return _MESSAGE(
        id=message.id,
        peer_id=peer_tl(message.peer),
        date=message.date,
        message=message.text,
        out=out,
        mentioned=message.mentioned,
        silent=message.silent,
        post=message.post,
        pinned=message.pinned,
        from_id=_from_tl(message, out),
        fwd_from=_fwd_tl(message),
        reply_to=_reply_tl(message),
        media=media_tl(message.media) if message.media is not None else None,
        entities=[entity_tl(e) for e in message.entities] if message.entities else None,
        views=(message.views or 0) if counted else None,
        forwards=(message.forwards or 0) if counted else None,
        replies=replies,
        edit_date=message.edit_date,
        post_author=message.post_author,
        grouped_id=message.grouped_id,
    )


def message_tl(world: World, viewer: int, message: Message) -> raw.base.Message:
    """The message as `viewer` receives it (cached until the message changes)."""
    out = message.out if message.owner is not None else message.from_id == viewer
    key = (out, world.media_epoch) if message.media is not None else out
    cache = message.cache
    value = cache.get(key)
    if value is None:
        if message.media is not None and cache:
            cache.clear()  # an older epoch's media
        value = cache[key] = _build(world, message, out)
    return value


def message_peers(message: Message) -> list[int]:
    """Every peer the message names (its chat, sender, forward origin, mentions, ...)."""
    peers = message.cache.get("peers")
    if peers is None:
        peers = [message.peer]
        if message.from_id is not None:
            peers.append(message.from_id)
        if message.fwd is not None and message.fwd.from_peer is not None:
            peers.append(message.fwd.from_peer)
        if message.action is not None:
            peers.extend(message.action.users)
        peers.extend(e.user_id for e in message.entities if e.user_id)
        message.cache["peers"] = peers
    return peers


def messages_with_peers(
    world: World, viewer: int, messages: Iterable[Message], extra_peers: Iterable[int] = ()
) -> tuple[list[raw.base.Message], list[raw.base.Chat], list[raw.base.User]]:
    """(messages, chats, users) for an answer: the TL messages and every peer they name."""
    tl_messages = []
    peers: set[int] = set(extra_peers)
    for message in messages:
        tl_messages.append(message_tl(world, viewer, message))
        peers.update(message_peers(message))
    users, chats = peers_tl(world, viewer, peers)
    return tl_messages, chats, users
