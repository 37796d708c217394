"""channels.getChannels, channels.getFullChannel."""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, handles
from ..tl import channel_tl, peers_tl, resolve_channel
from .history import pinned_message

_NOTIFY = raw.types.PeerNotifySettings()


@handles(raw.functions.channels.GetChannels)
async def get_channels(ctx: CallContext, req: raw.functions.channels.GetChannels):
    """access_hash 0 is accepted from members (how a client finds a channel by id alone);
    the answer carries the channel with the account's real access_hash."""
    viewer = ctx.require_user()
    chats = [
        channel_tl(ctx.world, viewer, resolve_channel(ctx.world, viewer, item, allow_zero=True))
        for item in req.id
    ]
    return raw.types.messages.Chats(chats=chats)


@handles(raw.functions.channels.GetFullChannel)
async def get_full_channel(ctx: CallContext, req: raw.functions.channels.GetFullChannel):
    viewer = ctx.require_user()
    world = ctx.world
    channel = resolve_channel(world, viewer, req.channel)
    dialog = world.dialog(viewer, channel.peer)
    top = channel.history.top()
    pinned = pinned_message(channel.history)
    full = raw.types.ChannelFull(
        id=channel.id,
        about=channel.about,
        read_inbox_max_id=dialog.read_inbox_max_id if dialog else 0,
        read_outbox_max_id=top.id if top else 0,
        unread_count=world.unread_count(viewer, dialog) if dialog else 0,
        chat_photo=raw.types.PhotoEmpty(id=0),
        notify_settings=_NOTIFY,
        bot_info=[],
        pts=1,
        can_view_participants=channel.megagroup,
        participants_count=len(channel.members),
        admins_count=1 if channel.creator_id else 0,
        pinned_msg_id=pinned.id if pinned else None,
        folder_id=dialog.folder_id or None if dialog else None,
        hidden_prehistory=channel.hidden_prehistory or None,
        available_min_id=channel.available_min_id.get(viewer),
    )
    users, chats = peers_tl(world, viewer, [channel.peer])
    return raw.types.messages.ChatFull(full_chat=full, chats=chats, users=users)
