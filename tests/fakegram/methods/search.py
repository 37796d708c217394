"""messages.search (one chat) and messages.searchGlobal (all the account's chats).

Text matching is Telegram's word-prefix match: every word of `q` starts some word of
the message (case-insensitive). Service messages are never found. min_date / max_date
keep messages sent strictly after / before them. Matches are cached per (history, query)
until the world changes, so paging through a large result does not rescan the chat.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import islice

from pyrogram import raw

from ..rpc import HANDLERS, CallContext, handles
from ..tl import resolve_peer_or_none
from ..world.model import (
    ARCHIVE,
    Document,
    History,
    Message,
    Photo,
    WebPage,
    World,
    peer_kind,
    raw_id,
)
from .common import clamp_limit, messages_answer, page_newest_first

_WORD = re.compile(r"\w+")


def _kind(message: Message) -> str | None:
    media = message.media
    if isinstance(media, Photo):
        return "photo"
    if isinstance(media, Document):
        return media.kind
    if isinstance(media, WebPage):
        return "webpage"
    return None


def _has_url(message: Message) -> bool:
    return isinstance(message.media, WebPage) or any(
        e.kind in ("url", "text_url") for e in message.entities
    )


F = raw.types
FILTERS: dict[type, Callable[[Message], bool] | None] = {
    F.InputMessagesFilterEmpty: None,
    F.InputMessagesFilterPhotos: lambda m: _kind(m) == "photo",
    F.InputMessagesFilterVideo: lambda m: _kind(m) == "video",
    F.InputMessagesFilterPhotoVideo: lambda m: _kind(m) in ("photo", "video"),
    F.InputMessagesFilterDocument: lambda m: _kind(m) == "document",
    F.InputMessagesFilterMusic: lambda m: _kind(m) == "audio",
    F.InputMessagesFilterVoice: lambda m: _kind(m) == "voice",
    F.InputMessagesFilterRoundVideo: lambda m: _kind(m) == "round",
    F.InputMessagesFilterRoundVoice: lambda m: _kind(m) in ("round", "voice"),
    F.InputMessagesFilterGif: lambda m: _kind(m) == "gif",
    F.InputMessagesFilterUrl: _has_url,
    F.InputMessagesFilterPinned: lambda m: m.pinned,
    F.InputMessagesFilterMyMentions: lambda m: m.mentioned,
}


def _words(message: Message) -> list[str]:
    words = message.cache.get("words")
    if words is None:
        words = message.cache["words"] = _WORD.findall(message.text.lower())
    return words


def _query_words(q: str) -> list[str]:
    return _WORD.findall(q.lower())


def _predicate(q: str, search_filter, from_peer: int | None) -> Callable[[Message], bool]:
    query = _query_words(q)
    kind_test = FILTERS.get(type(search_filter), lambda m: False)

    def matches(message: Message) -> bool:
        if message.action is not None:
            return False
        if from_peer is not None and message.from_id != from_peer:
            return False
        if kind_test is not None and not kind_test(message):
            return False
        if query:
            words = _words(message)
            return all(any(w.startswith(q) for w in words) for q in query)
        return True

    return matches


def matching(world: World, history: History, q: str, search_filter, from_peer: int | None):
    """(ids, dates, messages) of the history's matches, ascending (cached in the world
    until it changes)."""
    cache = world.derived.setdefault("search", {})
    key = (world.version, id(history), q.lower(), type(search_filter), from_peer)
    found = cache.get(key)
    if found is None:
        test = _predicate(q, search_filter, from_peer)
        hits = [m for m in history.messages if test(m)]
        found = ([m.id for m in hits], [m.date for m in hits], hits)
        if len(cache) > 256:
            cache.clear()
        cache[key] = found
    return found


def _date_window(dates: list[int], min_date: int, max_date: int) -> tuple[int, int]:
    """Ascending index range of messages with min_date < date < max_date (0: no bound)."""
    lo = bisect_left(dates, min_date + 1) if min_date else 0
    hi = bisect_left(dates, max_date) if max_date else len(dates)
    return lo, max(lo, hi)


@handles(raw.functions.messages.Search)
async def search(ctx: CallContext, req: raw.functions.messages.Search):
    viewer = ctx.require_user()
    world = ctx.world
    peer = resolve_peer_or_none(world, viewer, req.peer)
    from_peer = resolve_peer_or_none(world, viewer, req.from_id)
    if peer is None:  # inputPeerEmpty: every private chat and basic group of the account
        histories = list(world.state(viewer).boxes.values())
    else:
        histories = [world.history(viewer, peer)]
    ids, dates, hits = [], [], []
    for history in histories:
        h_ids, h_dates, h_hits = matching(world, history, req.q, req.filter, from_peer)
        lo, hi = _date_window(h_dates, req.min_date, req.max_date)
        ids.extend(h_ids[lo:hi])
        dates.extend(h_dates[lo:hi])
        hits.extend(h_hits[lo:hi])
    if len(histories) > 1:  # account message ids are unique and ordered across boxes
        order = sorted(range(len(ids)), key=ids.__getitem__)
        ids = [ids[i] for i in order]
        dates = [dates[i] for i in order]
        hits = [hits[i] for i in order]
    page = page_newest_first(
        ids,
        dates,
        offset_id=req.offset_id,
        add_offset=req.add_offset,
        limit=clamp_limit(req.limit),
        max_id=req.max_id,
        min_id=req.min_id,
    )
    messages = hits[page.lo : page.hi][::-1]
    offset_given = bool(req.offset_id or req.add_offset)
    return messages_answer(
        ctx, peer, messages, len(ids), offset_id_offset=page.start if offset_given else None
    )


def _global_histories(world: World, viewer: int, req) -> list[tuple[int, History]]:
    """(peer, history) of every chat searchGlobal looks in, after its peer-type flags."""
    state = world.state(viewer)
    chosen = []
    for peer, dialog in state.dialogs.items():
        if req.folder_id is not None and (dialog.folder_id == ARCHIVE) != (req.folder_id == 1):
            continue
        kind = peer_kind(peer)
        broadcast = kind == "channel" and not world.channels[raw_id(peer)].megagroup
        if req.broadcasts_only and not broadcast:
            continue
        if req.groups_only and (kind == "user" or broadcast):
            continue
        if req.users_only and kind != "user":
            continue
        chosen.append((peer, world.history(viewer, peer)))
    return chosen


def _after_offset(ids, dates, lo, hi, req, peer: int, offset_peer: int | None) -> int:
    """End of the part of [lo, hi) that sorts after the offset (date, peer, id), newest
    first: older dates; at the offset's date, peers below it, and its own smaller ids."""
    rate, first_id = req.offset_rate, 0
    if offset_peer is not None and peer < offset_peer:
        rate += 1
    elif offset_peer is not None and peer == offset_peer:
        first_id = req.offset_id
    start = bisect_left(dates, rate, lo, hi)
    if not first_id:
        return start
    return bisect_left(ids, first_id, start, bisect_right(dates, rate, start, hi))


def _newest_first(peer: int, hits: list[Message]):
    for message in reversed(hits):
        yield message.date, peer, message.id, message


@handles(raw.functions.messages.SearchGlobal)
async def search_global(ctx: CallContext, req: raw.functions.messages.SearchGlobal):
    """Results ordered by (date, peer, id), newest first. The next page starts after
    (offset_rate, offset_peer, offset_id): the date, chat and id of the last result."""
    viewer = ctx.require_user()
    world = ctx.world
    limit = clamp_limit(req.limit)
    offset_peer = resolve_peer_or_none(world, viewer, req.offset_peer)
    total = 0
    streams = []
    for peer, history in _global_histories(world, viewer, req):
        ids, dates, hits = matching(world, history, req.q, req.filter, None)
        lo, hi = _date_window(dates, req.min_date, req.max_date)
        total += hi - lo
        if req.offset_rate:
            hi = _after_offset(ids, dates, lo, hi, req, peer, offset_peer)
        streams.append(_newest_first(peer, hits[lo:hi]))
    merged = heapq.merge(*streams, key=lambda item: item[:3], reverse=True)
    messages = [item[3] for item in islice(merged, limit)]
    next_rate = messages[-1].date if messages else None
    return messages_answer(ctx, None, messages, total, next_rate=next_rate)


@handles(raw.functions.messages.GetSplitRanges)
async def get_split_ranges(ctx: CallContext, req):
    """One range holding every message id (how search_messages_count asks for counts)."""
    ctx.require_user()
    return [raw.types.MessageRange(min_id=1, max_id=2**31 - 1)]


@handles(raw.functions.InvokeWithMessagesRange)
async def invoke_with_messages_range(ctx: CallContext, req):
    """The wrapped query over the whole history (the only range get_split_ranges gives)."""
    return await HANDLERS[type(req.query)](ctx, req.query)
