"""messages.getChats, messages.getFullChat (basic groups)."""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..tl import chat_tl, peers_tl, resolve_chat
from .history import pinned_message

_NOTIFY = raw.types.PeerNotifySettings()


@handles(raw.functions.messages.GetChats)
async def get_chats(ctx: CallContext, req: raw.functions.messages.GetChats):
    """Basic groups by id: chatForbidden for a group the account is not in."""
    viewer = ctx.require_user()
    chats = []
    for chat_id in req.id:
        chat = ctx.world.chats.get(chat_id)
        if chat is None:
            raise RpcError(400, "CHAT_ID_INVALID")
        chats.append(chat_tl(ctx.world, viewer, chat))
    return raw.types.messages.Chats(chats=chats)


@handles(raw.functions.messages.GetFullChat)
async def get_full_chat(ctx: CallContext, req: raw.functions.messages.GetFullChat):
    viewer = ctx.require_user()
    world = ctx.world
    chat = resolve_chat(world, viewer, req.chat_id)
    dialog = world.dialog(viewer, chat.peer)
    pinned = pinned_message(world.history(viewer, chat.peer))
    participants = [
        raw.types.ChatParticipantCreator(user_id=user_id)
        if user_id == chat.creator_id
        else raw.types.ChatParticipant(
            user_id=user_id, inviter_id=chat.creator_id or user_id, date=chat.date
        )
        for user_id in sorted(chat.members)
    ]
    full = raw.types.ChatFull(
        id=chat.id,
        about=chat.about,
        participants=raw.types.ChatParticipants(
            chat_id=chat.id, participants=participants, version=1
        ),
        notify_settings=_NOTIFY,
        pinned_msg_id=pinned.id if pinned else None,
        folder_id=dialog.folder_id or None if dialog else None,
    )
    users, chats = peers_tl(world, viewer, [chat.peer, *chat.members])
    return raw.types.messages.ChatFull(full_chat=full, chats=chats, users=users)
