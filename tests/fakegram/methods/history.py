"""messages.getHistory, messages.getMessages, channels.getMessages."""

from __future__ import annotations

from pyrogram import raw

from ..rpc import CallContext, handles
from ..tl import resolve_channel, resolve_peer
from ..world.model import History, Message, World
from .common import clamp_limit, messages_answer, page_newest_first


@handles(raw.functions.messages.GetHistory)
async def get_history(ctx: CallContext, req: raw.functions.messages.GetHistory):
    viewer = ctx.require_user()
    peer = resolve_peer(ctx.world, viewer, req.peer)
    history = ctx.world.history(viewer, peer)
    page = page_newest_first(
        history.ids,
        history.dates,
        offset_id=req.offset_id,
        offset_date=req.offset_date,
        add_offset=req.add_offset,
        limit=clamp_limit(req.limit),
        max_id=req.max_id,
        min_id=req.min_id,
    )
    messages = history.messages[page.lo : page.hi][::-1]
    offset_given = bool(req.offset_id or req.offset_date or req.add_offset)
    return messages_answer(
        ctx,
        peer,
        messages,
        len(history),
        offset_id_offset=page.start if offset_given else None,
    )


def pinned_message(history: History) -> Message | None:
    """The newest pinned message (what inputMessagePinned names)."""
    for message in reversed(history.messages):
        if message.pinned:
            return message
    return None


def _wanted(history: History, item) -> Message | int | None:
    """The message an InputMessage names in one history, else its id (for messageEmpty)."""
    if isinstance(item, int):  # a bare id, as some clients send
        item = raw.types.InputMessageID(id=item)
    if isinstance(item, raw.types.InputMessageID):
        return history.get(item.id) or item.id
    if isinstance(item, raw.types.InputMessageReplyTo):
        message = history.get(item.id)
        if message is not None and message.reply_to is not None:
            return history.get(message.reply_to.msg_id) or message.reply_to.msg_id
        return item.id
    if isinstance(item, raw.types.InputMessagePinned):
        return pinned_message(history)
    return None


def _answer_items(ctx: CallContext, peer: int | None, found: list[Message | int | None]):
    messages = [item for item in found if isinstance(item, Message)]
    answer = messages_answer(ctx, peer, messages, len(messages))
    # ids that name nothing come back as messageEmpty, in request order
    by_id = {m.id: tl for m, tl in zip(messages, answer.messages, strict=True)}
    answer.messages = [
        by_id[item.id] if isinstance(item, Message) else raw.types.MessageEmpty(id=item or 0)
        for item in found
    ]
    if isinstance(answer, raw.types.messages.ChannelMessages):
        answer.count = len(answer.messages)
    return answer


def _account_history_of(world: World, viewer: int, message_id: int) -> History | None:
    """Message ids of private chats and basic groups are unique per account: find the box."""
    for history in world.state(viewer).boxes.values():
        if history.get(message_id) is not None:
            return history
    return None


@handles(raw.functions.messages.GetMessages)
async def get_messages(ctx: CallContext, req: raw.functions.messages.GetMessages):
    viewer = ctx.require_user()
    found: list[Message | int | None] = []
    for item in req.id:
        item_id = getattr(item, "id", item if isinstance(item, int) else None)
        history = _account_history_of(ctx.world, viewer, item_id) if item_id is not None else None
        found.append(_wanted(history, item) if history is not None else item_id)
    return _answer_items(ctx, None, found)


@handles(raw.functions.channels.GetMessages)
async def get_channel_messages(ctx: CallContext, req: raw.functions.channels.GetMessages):
    viewer = ctx.require_user()
    channel = resolve_channel(ctx.world, viewer, req.channel)
    found = [_wanted(channel.history, item) for item in req.id]
    return _answer_items(ctx, channel.peer, found)
