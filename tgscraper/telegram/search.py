"""Message search calls: messages.searchGlobal (every chat) and messages.search (one chat).

Each call is one Telegram request of at most 100 results, converted by THE converter
(``convert_messages``) into a ``FoundPage``: the hits in Telegram's order (newest
first), one ``ConvertedBatch`` per chat for the cache, and Telegram's total. Paging
across requests, cursors and storing are ``tgscraper.search.messages``' job.

Flood waits follow the gateway's policy (``FloodPolicy``). Dates are Telegram's:
``min_date`` / ``max_date`` keep messages sent strictly after / before them (0: no bound).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyrogram
from pyrogram import raw, utils

from tgscraper.cache.records import ConvertedBatch, MessageRecord
from tgscraper.telegram.convert import convert_messages, dialog_ids_in
from tgscraper.telegram.dialogs_source import PeerObjects, input_peer_for
from tgscraper.telegram.gateway import FloodPolicy, invoke

#: Telegram's largest search page
TELEGRAM_PAGE = 100

#: the ``media`` parameter -> the name of Telegram's search filter in ``raw.types``
_FILTER_NAMES = {
    "photos": "InputMessagesFilterPhotos",
    "videos": "InputMessagesFilterVideo",
    "photos_videos": "InputMessagesFilterPhotoVideo",
    "files": "InputMessagesFilterDocument",
    "audio": "InputMessagesFilterMusic",
    "voice_messages": "InputMessagesFilterVoice",
    "video_messages": "InputMessagesFilterRoundVideo",
    "voice_and_video_messages": "InputMessagesFilterRoundVoice",
    "gifs": "InputMessagesFilterGif",
    "links": "InputMessagesFilterUrl",
    "pinned": "InputMessagesFilterPinned",
    "mentions": "InputMessagesFilterMyMentions",
    # since kurigram 2.2.21 (layer 224); older clients have no such filter
    "polls": "InputMessagesFilterPoll",
    "locations": "InputMessagesFilterGeo",
    "contacts": "InputMessagesFilterContacts",
    "chat_photos": "InputMessagesFilterChatPhotos",
}
#: the ``media`` parameter -> Telegram's search filter, only those the installed client's
#: layer has (the query schema offers exactly these)
MEDIA_FILTERS: dict[str, type[raw.base.MessagesFilter]] = {
    media: getattr(raw.types, name)
    for media, name in _FILTER_NAMES.items()
    if hasattr(raw.types, name)
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the chat it is in (Bot-API id, the account's access hash) and the
    message record (the same object as in its batch, so the cache's uuids show)."""

    dialog_id: int
    access_hash: int
    record: MessageRecord


@dataclass
class FoundPage:
    hits: list[Hit] = field(default_factory=list)
    batches: list[ConvertedBatch] = field(default_factory=list)
    #: Telegram's count of every result of the search (not just this page)
    total: int = 0
    #: Telegram says this answer holds everything that is left (not a slice)
    complete: bool = False
    #: Telegram marks its total as approximate
    inexact: bool = False


@dataclass(frozen=True, slots=True)
class GlobalOffset:
    """Where a global search resumes: after this message (date, chat, id)."""

    rate: int
    dialog_id: int
    access_hash: int
    message_id: int


def media_filter(media: str | None) -> raw.base.MessagesFilter:
    return MEDIA_FILTERS[media]() if media else raw.types.InputMessagesFilterEmpty()


async def search_global(
    client: pyrogram.Client,
    policy: FloodPolicy,
    q: str,
    *,
    media: str | None,
    min_date: int,
    max_date: int,
    after: GlobalOffset | None,
    limit: int,
) -> FoundPage:
    """One messages.searchGlobal request (results after ``after``, newest first)."""
    answer = await invoke(
        client,
        raw.functions.messages.SearchGlobal(
            q=q,
            filter=media_filter(media),
            min_date=min_date,
            max_date=max_date,
            offset_rate=after.rate if after else 0,
            offset_peer=input_peer_for(after.dialog_id, after.access_hash)
            if after
            else raw.types.InputPeerEmpty(),
            offset_id=after.message_id if after else 0,
            limit=min(limit, TELEGRAM_PAGE),
        ),
        policy,
    )
    return _found_page(answer, dialog_ids_in(answer))


async def search_chat(
    client: pyrogram.Client,
    policy: FloodPolicy,
    peer: raw.base.InputPeer,
    dialog_id: int,
    q: str,
    *,
    media: str | None,
    min_date: int,
    max_date: int,
    from_user: raw.base.InputPeer | None,
    offset_id: int,
    limit: int,
) -> FoundPage:
    """One messages.search request in one chat (messages older than ``offset_id``)."""
    answer = await invoke(
        client,
        raw.functions.messages.Search(
            peer=peer,
            q=q,
            filter=media_filter(media),
            min_date=min_date,
            max_date=max_date,
            offset_id=offset_id,
            add_offset=0,
            limit=min(limit, TELEGRAM_PAGE),
            max_id=0,
            min_id=0,
            hash=0,
            from_id=from_user,
        ),
        policy,
    )
    return _found_page(answer, [dialog_id])


def _found_page(answer: raw.base.messages.Messages, dialog_ids: list[int]) -> FoundPage:
    messages = getattr(answer, "messages", [])
    page = FoundPage(
        total=getattr(answer, "count", None) or len(messages),
        complete=isinstance(answer, raw.types.messages.Messages),
        inexact=bool(getattr(answer, "inexact", False)),
    )
    objects = PeerObjects(answer)
    records: dict[tuple[int, int], MessageRecord] = {}
    for dialog_id in dialog_ids:
        batch = convert_messages(answer, dialog_id)
        if not batch.records:
            continue
        page.batches.append(batch)
        records.update(((dialog_id, record.message_id), record) for record in batch.records)
    for message in messages:
        if isinstance(message, raw.types.MessageEmpty):
            continue
        dialog_id = utils.get_peer_id(message.peer_id)
        record = records.get((dialog_id, message.id))
        if record is not None:  # messages of other chats are not converted
            page.hits.append(Hit(dialog_id, objects.access_hash(dialog_id), record))
    return page
