"""Every Telegram call the server makes for dialogs and history, and THE flood-wait policy.

Handlers and engines never touch raw TL: they call the functions here, which take a
started ``pyrogram.Client`` (``await app[SESSIONS].get(account)``) and a
:class:`FloodPolicy`.

Flood waits (the one place they are decided): SessionManager's clients have
``sleep_threshold=0``, so every ``FLOOD_WAIT_X`` reaches :func:`with_flood_policy`. A wait
of at most ``policy.max_wait_s`` seconds is slept through (``policy.on_wait(seconds)`` is
told first, so a stream can send a ``wait`` event and keep pinging) and the call is
repeated; a longer one raises :class:`FloodWaitTooLong`, an ``ApiError`` 429
``flood_wait`` with ``Retry-After`` (a stream that already started reports it as an
``error`` event carrying ``retry_after``).

History pages go through ``messages.getHistory`` with ``client.invoke`` and the raw
answer is converted by ``telegram/convert.py`` (design.md "Reading Telegram fast").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pyrogram
from pyrogram import raw
from pyrogram.errors import Flood

from tgscraper.cache.records import ConvertedBatch
from tgscraper.telegram.convert import convert_messages
from tgscraper.web.errors import ApiError

log = logging.getLogger(__name__)

T = TypeVar("T")
WaitListener = Callable[[int], None]

#: Telegram answers at most this many messages per getHistory call
MAX_PAGE = 100


class FloodWaitTooLong(ApiError):
    """Telegram asked to wait longer than the server may (settings.max_flood_wait_s)."""

    def __init__(self, seconds: int, limit: int):
        super().__init__(
            429,
            "flood_wait",
            f"Telegram asks to wait {seconds} s before the next request, more than "
            f"max_flood_wait_s ({limit} s). Retry after {seconds} s.",
            {"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """How long a caller lets Telegram make it wait, and who hears about waits."""

    max_wait_s: int
    on_wait: WaitListener | None = None

    def listening(self, on_wait: WaitListener | None) -> FloodPolicy:
        return FloodPolicy(self.max_wait_s, on_wait)


async def with_flood_policy(policy: FloodPolicy, call: Callable[[], Awaitable[T]]) -> T:
    """``await call()``, sleeping through flood waits up to ``policy.max_wait_s`` and
    repeating it; a longer wait raises :class:`FloodWaitTooLong`."""
    while True:
        try:
            return await call()
        except Flood as exc:
            if not isinstance(exc.value, int):
                raise
            seconds = exc.value
            if seconds > policy.max_wait_s:
                raise FloodWaitTooLong(seconds, policy.max_wait_s) from exc
            log.info("Telegram flood wait of %d s (%s): waiting", seconds, exc.ID)
            if policy.on_wait is not None:
                policy.on_wait(seconds)
            await asyncio.sleep(seconds)


async def invoke(client: pyrogram.Client, query: Any, policy: FloodPolicy) -> Any:
    """``client.invoke(query)`` under the flood-wait policy."""
    return await with_flood_policy(policy, lambda: client.invoke(query))


# -- dialogs -------------------------------------------------------------------------


async def resolve_peer(
    client: pyrogram.Client, peer: int | str, policy: FloodPolicy
) -> raw.base.InputPeer:
    """The InputPeer of a Bot-API id or a username (pyrogram's peer storage first, then
    Telegram). Unknown peers raise pyrogram's 400 errors (PEER_ID_INVALID, ...)."""
    return await with_flood_policy(policy, lambda: client.resolve_peer(peer))


async def get_channel(
    client: pyrogram.Client, peer: raw.types.InputPeerChannel, policy: FloodPolicy
) -> Any | None:
    """The raw Channel / ChannelForbidden Telegram gives this account, or None."""
    channel = raw.types.InputChannel(channel_id=peer.channel_id, access_hash=peer.access_hash)
    answer = await invoke(client, raw.functions.channels.GetChannels(id=[channel]), policy)
    return answer.chats[0] if answer.chats else None


async def get_full_channel(
    client: pyrogram.Client, peer: raw.types.InputPeerChannel, policy: FloodPolicy
) -> Any:
    """The raw ChannelFull of a channel or supergroup, as this account sees it."""
    channel = raw.types.InputChannel(channel_id=peer.channel_id, access_hash=peer.access_hash)
    answer = await invoke(client, raw.functions.channels.GetFullChannel(channel=channel), policy)
    return answer.full_chat


async def get_basic_group(client: pyrogram.Client, chat_id: int, policy: FloodPolicy) -> Any | None:
    """The raw Chat / ChatForbidden of a basic group (raw id), or None."""
    answer = await invoke(client, raw.functions.messages.GetChats(id=[chat_id]), policy)
    return answer.chats[0] if answer.chats else None


async def get_user(
    client: pyrogram.Client, peer: raw.types.InputPeerUser, policy: FloodPolicy
) -> Any | None:
    """The raw User this account may see, or None."""
    user = raw.types.InputUser(user_id=peer.user_id, access_hash=peer.access_hash)
    users = await invoke(client, raw.functions.users.GetUsers(id=[user]), policy)
    found = [item for item in users if isinstance(item, raw.types.User)]
    return found[0] if found else None


# -- history -------------------------------------------------------------------------


@dataclass(slots=True)
class HistoryPage:
    """One getHistory answer: the converted batch and what paging needs."""

    batch: ConvertedBatch
    #: ids of every message in the answer (MessageEmpty included), as Telegram sent them
    message_ids: list[int]
    #: messagesSlice / channelMessages ``count`` (all messages of the chat), if given
    count: int | None

    def drop_seen(self, offset_id: int, *, towards_newer: bool) -> None:
        """Keep only the messages past ``offset_id`` in the paging direction: at the edge
        of a history a page may repeat what the previous one had."""
        if towards_newer:
            self.message_ids = [mid for mid in self.message_ids if mid >= offset_id]
        else:
            self.message_ids = [mid for mid in self.message_ids if mid < offset_id]
        kept = set(self.message_ids)
        batch = self.batch
        batch.records = [record for record in batch.records if record.message_id in kept]
        batch.media = [media for media in batch.media if media.message_id in kept]

    @property
    def empty(self) -> bool:
        return not self.message_ids

    @property
    def lowest_id(self) -> int:
        return min(self.message_ids)

    @property
    def highest_id(self) -> int:
        return max(self.message_ids)


async def get_history(
    client: pyrogram.Client,
    peer: raw.base.InputPeer,
    dialog_id: int,
    policy: FloodPolicy,
    *,
    limit: int,
    offset_id: int = 0,
    offset_date: int = 0,
    add_offset: int = 0,
    min_id: int = 0,
) -> HistoryPage:
    """One ``messages.getHistory`` page (Telegram's offset paging, newest first within the
    page), converted for ``dialog_id``; ``min_id``: only messages with a higher id."""
    query = raw.functions.messages.GetHistory(
        peer=peer,
        offset_id=offset_id,
        offset_date=offset_date,
        add_offset=add_offset,
        limit=limit,
        max_id=0,
        min_id=min_id,
        hash=0,
    )
    answer = await invoke(client, query, policy)
    return HistoryPage(
        batch=convert_messages(answer, dialog_id),
        message_ids=[message.id for message in getattr(answer, "messages", ())],
        count=getattr(answer, "count", None),
    )
