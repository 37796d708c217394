"""users.getUsers, users.getFullUser."""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..tl import resolve_user, user_tl
from ..world.model import User, World
from .history import pinned_message

_NOTIFY = raw.types.PeerNotifySettings()


@handles(raw.functions.users.GetUsers)
async def get_users(ctx: CallContext, req: raw.functions.users.GetUsers):
    """Users the account may see; entries it may not (bad access_hash) are left out.
    access_hash 0 is accepted for users the account knows (contacts, chat partners)."""
    viewer = ctx.require_user()
    users = []
    for item in req.id:
        try:
            user = resolve_user(ctx.world, viewer, item, allow_zero=True)
        except RpcError:
            continue
        users.append(user_tl(ctx.world, viewer, user))
    return users


def _common_chats(world: World, viewer: int, user: User) -> int:
    chats = (*world.channels.values(), *world.chats.values())
    return sum(1 for chat in chats if viewer in chat.members and user.id in chat.members)


@handles(raw.functions.users.GetFullUser)
async def get_full_user(ctx: CallContext, req: raw.functions.users.GetFullUser):
    viewer = ctx.require_user()
    world = ctx.world
    user = resolve_user(world, viewer, req.id)
    dialog = world.dialog(viewer, user.id)
    pinned = None
    if user.id in world.state(viewer).boxes:
        pinned = pinned_message(world.history(viewer, user.id))
    full = raw.types.UserFull(
        id=user.id,
        settings=raw.types.PeerSettings(),
        notify_settings=_NOTIFY,
        common_chats_count=0 if user.id == viewer else _common_chats(world, viewer, user),
        about=user.about or None,
        pinned_msg_id=pinned.id if pinned else None,
        folder_id=dialog.folder_id or None if dialog else None,
        # no commands: the flag left unset (kurigram <= 2.2.24 writes an empty vector
        # without its flag, which its own reader cannot parse)
        bot_info=(
            raw.types.BotInfo(user_id=user.id, description=user.about) if user.is_bot else None
        ),
    )
    return raw.types.users.UserFull(full_user=full, chats=[], users=[user_tl(world, viewer, user)])
