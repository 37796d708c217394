"""messages.getDialogs, messages.getPeerDialogs."""

from __future__ import annotations

import time

from pyrogram import raw

from ..rpc import CallContext, handles
from ..tl import dialog_tl, list_dialogs, messages_with_peers, resolve_peer, resolve_peer_or_none
from ..tl.dialogs import ListedDialog
from .common import clamp_limit


def _answer_parts(ctx: CallContext, viewer: int, items: list[ListedDialog]):
    dialogs = [dialog_tl(ctx.world, viewer, item) for item in items]
    tops = [item.top for item in items if item.top is not None]
    peers = [item.dialog.peer for item in items]
    messages, chats, users = messages_with_peers(ctx.world, viewer, tops, peers)
    return dialogs, messages, chats, users


def _start(items: list[ListedDialog], offset_peer: int | None, offset_date: int, offset_id: int):
    """Index of the first dialog after the offset: after offset_peer when it is listed,
    else the first unpinned dialog whose top message is older than (offset_date, offset_id)."""
    if offset_peer is not None:
        for index, item in enumerate(items):
            if item.dialog.peer == offset_peer:
                return index + 1
    if not (offset_date or offset_id):
        return 0
    bound = (offset_date or 2**31, offset_id or 2**31)
    for index, item in enumerate(items):
        if not item.pinned and (item.date, item.top_id) < bound:
            return index
    return len(items)


@handles(raw.functions.messages.GetDialogs)
async def get_dialogs(ctx: CallContext, req: raw.functions.messages.GetDialogs):
    """folder_id absent: every dialog (archived too); 0: the main list; 1: the archive.
    Pinned dialogs come first (unless exclude_pinned), then newest top message first."""
    viewer = ctx.require_user()
    limit = clamp_limit(req.limit)
    items = list_dialogs(ctx.world, viewer, req.folder_id, bool(req.exclude_pinned))
    offset_peer = resolve_peer_or_none(ctx.world, viewer, req.offset_peer)
    start = _start(items, offset_peer, req.offset_date, req.offset_id)
    page = items[start : start + limit]
    dialogs, messages, chats, users = _answer_parts(ctx, viewer, page)
    if start == 0 and len(page) == len(items):
        return raw.types.messages.Dialogs(
            dialogs=dialogs, messages=messages, chats=chats, users=users
        )
    return raw.types.messages.DialogsSlice(
        count=len(items), dialogs=dialogs, messages=messages, chats=chats, users=users
    )


@handles(raw.functions.messages.GetPeerDialogs)
async def get_peer_dialogs(ctx: CallContext, req: raw.functions.messages.GetPeerDialogs):
    """The dialogs of the given peers (peers without a dialog are left out)."""
    viewer = ctx.require_user()
    wanted = []
    for item in req.peers:
        peer = getattr(item, "peer", None)
        if peer is not None:
            wanted.append(resolve_peer(ctx.world, viewer, peer))
    by_peer = {item.dialog.peer: item for item in list_dialogs(ctx.world, viewer, None)}
    items = [by_peer[peer] for peer in dict.fromkeys(wanted) if peer in by_peer]
    dialogs, messages, chats, users = _answer_parts(ctx, viewer, items)
    state = raw.types.updates.State(pts=1, qts=0, date=int(time.time()), seq=0, unread_count=0)
    return raw.types.messages.PeerDialogs(
        dialogs=dialogs, messages=messages, chats=chats, users=users, state=state
    )
