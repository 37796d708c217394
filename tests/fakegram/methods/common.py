"""Helpers the data handlers share: limits, Telegram's offset paging, message answers.

Paging follows core.telegram.org/api/offsets: results are newest first; the page starts
at the first message older than offset_id (or, without it, sent before offset_date),
moved by add_offset (negative: towards newer messages), and holds at most `limit`
messages; min_id / max_id (both exclusive) then drop messages outside the bounds.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from pyrogram import raw

from ..rpc import CallContext, RpcError
from ..tl import messages_with_peers
from ..tl.layer import newer_fields
from ..world.model import Message, peer_kind

MAX_LIMIT = 100


def clamp_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    """Telegram silently caps a too large limit; a negative one is LIMIT_INVALID."""
    if limit < 0:
        raise RpcError(400, "LIMIT_INVALID")
    return min(limit, maximum)


@dataclass
class Page:
    """An ascending slice [lo, hi) of the sequence, and where it starts newest-first."""

    lo: int
    hi: int
    start: int


def page_newest_first(
    ids: list[int],
    dates: list[int],
    *,
    offset_id: int = 0,
    offset_date: int = 0,
    add_offset: int = 0,
    limit: int = MAX_LIMIT,
    max_id: int = 0,
    min_id: int = 0,
) -> Page:
    """One page over a sequence ordered by id ascending (dates not decreasing)."""
    total = len(ids)
    if offset_id:
        boundary = bisect_left(ids, offset_id)
    elif offset_date:
        boundary = bisect_left(dates, offset_date)
    else:
        boundary = total
    start = max(0, total - boundary + add_offset)
    hi = max(0, total - start)
    lo = max(0, hi - limit)
    if min_id:
        lo = max(lo, bisect_left(ids, min_id + 1))
    if max_id:
        hi = min(hi, bisect_left(ids, max_id))
    return Page(lo, max(lo, hi), start)


def messages_answer(
    ctx: CallContext,
    peer: int | None,
    messages: list[Message],
    count: int,
    *,
    offset_id_offset: int | None = None,
    next_rate: int | None = None,
) -> raw.base.messages.Messages:
    """messages.channelMessages for a channel, messages.messages when `messages` is the
    whole result, else messages.messagesSlice with the total `count`."""
    viewer = ctx.require_user()
    tl_messages, chats, users = messages_with_peers(ctx.world, viewer, messages)
    if peer is not None and peer_kind(peer) == "channel":
        return raw.types.messages.ChannelMessages(
            pts=1,
            count=count,
            messages=tl_messages,
            topics=[],
            chats=chats,
            users=users,
            offset_id_offset=offset_id_offset,
        )
    if count == len(messages) and next_rate is None:
        return raw.types.messages.Messages(
            messages=tl_messages,
            chats=chats,
            users=users,
            **newer_fields(raw.types.messages.Messages, topics=[]),  # since layer 216
        )
    return raw.types.messages.MessagesSlice(
        count=count,
        messages=tl_messages,
        chats=chats,
        users=users,
        **newer_fields(raw.types.messages.MessagesSlice, topics=[]),  # since layer 216
        next_rate=next_rate,
        offset_id_offset=offset_id_offset,
    )
