"""Users, chats and channels as raw TL, as one viewer (account) sees them.

Everything a viewer receives carries the access_hash *that viewer* gets for the peer
(`World.access_hash`); `access.py` checks the hashes coming back.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrogram import raw

from ..world.model import BasicGroup, Channel, User, World, peer_kind, raw_id

_NO_PHOTO = raw.types.ChatPhotoEmpty()
_NO_USER_PHOTO = raw.types.UserProfilePhotoEmpty()
_PEER_CACHE: dict[int, raw.base.Peer] = {}


def peer_tl(peer: int) -> raw.base.Peer:
    """PeerUser / PeerChat / PeerChannel of a marked id (shared, immutable objects)."""
    value = _PEER_CACHE.get(peer)
    if value is None:
        kind = peer_kind(peer)
        if kind == "user":
            value = raw.types.PeerUser(user_id=peer)
        elif kind == "chat":
            value = raw.types.PeerChat(chat_id=-peer)
        else:
            value = raw.types.PeerChannel(channel_id=raw_id(peer))
        if len(_PEER_CACHE) < 100_000:
            _PEER_CACHE[peer] = value
    return value


def input_peer_tl(world: World, viewer: int, peer: int) -> raw.base.InputPeer:
    """The InputPeer the viewer would send for a peer (used in dialog filters)."""
    kind = peer_kind(peer)
    if kind == "user":
        # never inputPeerSelf: 4-byte objects ending an answer make pyrogram's Vector
        # reader guess ints (a folder excluding Saved Messages would break get_folders)
        return raw.types.InputPeerUser(user_id=peer, access_hash=world.access_hash(viewer, peer))
    if kind == "chat":
        return raw.types.InputPeerChat(chat_id=-peer)
    return raw.types.InputPeerChannel(
        channel_id=raw_id(peer), access_hash=world.access_hash(viewer, peer)
    )


def user_tl(world: World, viewer: int, user: User) -> raw.types.User:
    me = user.id == viewer
    viewer_user = world.users.get(viewer)
    contact = viewer_user is not None and user.id in viewer_user.contacts
    mutual = contact and viewer in user.contacts
    return raw.types.User(
        id=user.id,
        is_self=me,
        contact=contact,
        mutual_contact=mutual,
        bot=user.is_bot,
        verified=user.verified,
        premium=user.premium,
        access_hash=world.access_hash(viewer, user.id),
        first_name=user.first_name,
        last_name=user.last_name or None,
        username=user.username,
        phone=user.phone if (me or contact) else None,
        photo=_NO_USER_PHOTO,
        status=None if user.is_bot else raw.types.UserStatusRecently(),
        bot_info_version=1 if user.is_bot else None,
    )


def self_user(world: World, user_id: int) -> raw.types.User:
    """The account as it sees itself (is_self, with its phone): what auth.* answers carry."""
    return user_tl(world, user_id, world.users[user_id])


def channel_tl(world: World, viewer: int, channel: Channel) -> raw.base.Chat:
    """The channel, or channelForbidden when the viewer cannot see it (private, not in)."""
    access_hash = world.access_hash(viewer, channel.peer)
    member = viewer in channel.members
    if not (member or channel.public):
        return raw.types.ChannelForbidden(
            id=channel.id,
            access_hash=access_hash,
            title=channel.title,
            broadcast=not channel.megagroup,
            megagroup=channel.megagroup,
        )
    return raw.types.Channel(
        id=channel.id,
        title=channel.title,
        photo=_NO_PHOTO,
        date=channel.date,
        creator=channel.creator_id == viewer,
        left=not member,
        broadcast=not channel.megagroup,
        megagroup=channel.megagroup,
        signatures=channel.signatures,
        verified=channel.verified,
        access_hash=access_hash,
        username=channel.username,
        participants_count=len(channel.members),
    )


def chat_tl(world: World, viewer: int, chat: BasicGroup) -> raw.base.Chat:
    if viewer not in chat.members:
        return raw.types.ChatForbidden(id=chat.id, title=chat.title)
    return raw.types.Chat(
        id=chat.id,
        title=chat.title,
        photo=_NO_PHOTO,
        participants_count=len(chat.members),
        date=chat.date,
        version=1,
        creator=chat.creator_id == viewer,
    )


def peers_tl(
    world: World, viewer: int, peers: Iterable[int]
) -> tuple[list[raw.base.User], list[raw.base.Chat]]:
    """(users, chats) vectors for a set of marked peer ids (unknown ids are skipped)."""
    users: list[raw.base.User] = []
    chats: list[raw.base.Chat] = []
    for peer in sorted(set(peers)):
        kind = peer_kind(peer)
        if kind == "user":
            user = world.users.get(peer)
            if user is not None:
                users.append(user_tl(world, viewer, user))
        elif kind == "chat":
            chat = world.chats.get(-peer)
            if chat is not None:
                chats.append(chat_tl(world, viewer, chat))
        else:
            channel = world.channels.get(raw_id(peer))
            if channel is not None:
                chats.append(channel_tl(world, viewer, channel))
    return users, chats
