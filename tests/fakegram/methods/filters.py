"""messages.getDialogFilters, messages.getSuggestedDialogFilters."""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, handles
from ..tl import filter_tl


@handles(raw.functions.messages.GetDialogFilters)
async def get_dialog_filters(ctx: CallContext, req: raw.functions.messages.GetDialogFilters):
    """The account's folders, after dialogFilterDefault ("All chats") as Telegram sends."""
    viewer = ctx.require_user()
    folders = [filter_tl(ctx.world, viewer, f) for f in ctx.world.state(viewer).filters]
    return raw.types.messages.DialogFilters(
        filters=[raw.types.DialogFilterDefault(), *folders], tags_enabled=False
    )


@handles(raw.functions.messages.GetSuggestedDialogFilters)
async def get_suggested_dialog_filters(ctx: CallContext, req):
    ctx.require_user()
    return []
