"""Input peers from the client -> world peers, with Telegram's access checks.

Each account gets its own access_hash for every user and channel; a request must bring
back the one it was given. The errors follow Telegram: a bad user -> USER_ID_INVALID
(PEER_ID_INVALID as a peer), a bad channel -> CHANNEL_INVALID, a private channel the
account is not in -> CHANNEL_PRIVATE, nonsense -> PEER_ID_INVALID.

pyrogram sometimes passes an InputPeer* where an InputUser/InputChannel is expected
(`get_chat` does), so every resolver accepts both families.
"""

from __future__ import annotations

from pyrogram import raw

from ..rpc import RpcError
from ..world.model import BasicGroup, Channel, User, World, channel_peer


def _user_known(world: World, viewer: int, user_id: int) -> bool:
    """Whether the viewer may look the user up without an access_hash (access_hash 0):
    itself, its contacts, its private chats and the members of its chats."""
    if user_id == viewer:
        return True
    account = world.users.get(viewer)
    if account is not None and user_id in account.contacts:
        return True
    state = world.account_states.get(viewer)
    if state is not None and user_id in state.boxes:
        return True
    chats = (*world.channels.values(), *world.chats.values())
    return any(viewer in chat.members and user_id in chat.members for chat in chats)


def resolve_user(
    world: World, viewer: int, value, *, error: str = "USER_ID_INVALID", allow_zero=False
) -> User:
    """An InputUser* / InputPeerUser / InputPeerSelf -> the User."""
    if isinstance(value, (raw.types.InputUserSelf, raw.types.InputPeerSelf)):
        return world.users[viewer]
    if isinstance(value, (raw.types.InputUser, raw.types.InputPeerUser)):
        user = world.users.get(value.user_id)
        if user is not None:
            if value.access_hash == world.access_hash(viewer, user.id):
                return user
            if allow_zero and value.access_hash == 0 and _user_known(world, viewer, user.id):
                return user
        raise RpcError(400, error)
    if isinstance(value, (raw.types.InputUserFromMessage, raw.types.InputPeerUserFromMessage)):
        user = world.users.get(value.user_id)
        if user is not None:
            return user
    raise RpcError(400, error)


def resolve_channel(world: World, viewer: int, value, *, allow_zero: bool = False) -> Channel:
    """An InputChannel / InputPeerChannel -> the Channel the viewer may read.

    `allow_zero`: accept access_hash 0 from a member (channels.getChannels does, which
    is how a client with no stored hash finds a channel it is in)."""
    if not isinstance(
        value,
        (
            raw.types.InputChannel,
            raw.types.InputPeerChannel,
            raw.types.InputChannelFromMessage,
            raw.types.InputPeerChannelFromMessage,
        ),
    ):
        raise RpcError(400, "CHANNEL_INVALID")
    channel = world.channels.get(value.channel_id)
    if channel is None:
        raise RpcError(400, "CHANNEL_INVALID")
    member = viewer in channel.members
    access_hash = getattr(value, "access_hash", None)
    zero_allowed = allow_zero and access_hash == 0 and member
    if access_hash not in (None, world.access_hash(viewer, channel.peer)) and not zero_allowed:
        raise RpcError(400, "CHANNEL_INVALID")
    if not (member or channel.public):
        raise RpcError(400, "CHANNEL_PRIVATE")
    return channel


def resolve_chat(world: World, viewer: int, chat_id: int) -> BasicGroup:
    chat = world.chats.get(chat_id)
    if chat is None or viewer not in chat.members:
        raise RpcError(400, "CHAT_ID_INVALID")
    return chat


def resolve_peer(world: World, viewer: int, value) -> int:
    """Any InputPeer -> the marked peer id it names (after the access checks)."""
    if isinstance(value, raw.types.InputPeerSelf):
        return viewer
    if isinstance(value, (raw.types.InputPeerUser, raw.types.InputPeerUserFromMessage)):
        return resolve_user(world, viewer, value, error="PEER_ID_INVALID").id
    if isinstance(value, raw.types.InputPeerChat):
        chat = world.chats.get(value.chat_id)
        if chat is None or viewer not in chat.members:
            raise RpcError(400, "PEER_ID_INVALID")
        return chat.peer
    if isinstance(value, (raw.types.InputPeerChannel, raw.types.InputPeerChannelFromMessage)):
        return channel_peer(resolve_channel(world, viewer, value).id)
    raise RpcError(400, "PEER_ID_INVALID")


def resolve_peer_or_none(world: World, viewer: int, value) -> int | None:
    """Like resolve_peer, but InputPeerEmpty (or a missing peer) means None."""
    if value is None or isinstance(value, raw.types.InputPeerEmpty):
        return None
    return resolve_peer(world, viewer, value)
