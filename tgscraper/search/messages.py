"""Message search pages: Telegram requests, the cache, and the API answer.

One API page of ``limit`` (1..500) results takes as many Telegram requests of at most
100 as it needs, each resuming right after the last result kept, so pages concatenate
to the full result with no hole or duplicate. The last request asks for one result
more than the page still needs: when it comes, there is a next page (``next_offset``);
otherwise Telegram's answer (a complete list, an empty page, or its exact total reached)
tells that the search is over and ``next_offset`` is left out. A short page that is
none of these (Telegram may answer fewer than asked) is followed by another request.

Every result is stored in its chat's cache as it arrives: message rows (with their
senders and media rows), never coverage, since search results are not contiguous.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pyrogram
from pyrogram import raw

from tgscraper.cache.manager import CacheManager
from tgscraper.search.cursors import (
    DIALOG,
    GLOBAL,
    DialogCursor,
    GlobalCursor,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from tgscraper.search.entries import SAVED_MESSAGES_TITLE
from tgscraper.telegram.gateway import FloodPolicy
from tgscraper.telegram.search import (
    TELEGRAM_PAGE,
    FoundPage,
    GlobalOffset,
    Hit,
    search_chat,
    search_global,
)

Cursor = GlobalCursor | DialogCursor


@dataclass(frozen=True)
class MessageSearch:
    """A validated message search. ``start`` (inclusive) and ``end`` (exclusive) are
    Unix seconds, None when not given; ``dialog_id`` is None for the global search."""

    account: str
    q: str
    limit: int
    media: str | None = None
    start: int | None = None
    end: int | None = None
    dialog_id: int | None = None
    from_user_id: int | None = None

    @property
    def kind(self) -> str:
        return GLOBAL if self.dialog_id is None else DIALOG

    @property
    def min_date(self) -> int:
        """Telegram keeps dates strictly above min_date."""
        return max((self.start or 0) - 1, 0)

    @property
    def max_date(self) -> int:
        """Telegram keeps dates strictly below max_date (0: no bound)."""
        return self.end or 0

    def fingerprint(self) -> str:
        return fingerprint(
            self.kind,
            self.account,
            self.dialog_id,
            self.q,
            self.media,
            self.start,
            self.end,
            self.from_user_id,
        )

    def decode_offset(self, text: str | None) -> Cursor | None:
        """The cursor of an ``offset`` parameter (CursorError when it is not this search's)."""
        return None if text is None else decode_cursor(text, self.fingerprint(), self.kind)


async def search_everywhere(
    client: pyrogram.Client,
    policy: FloodPolicy,
    caches: CacheManager,
    search: MessageSearch,
    cursor: GlobalCursor | None,
) -> dict[str, Any]:
    """One page of a global search (messages.searchGlobal)."""

    async def fetch(position: Cursor | None, limit: int) -> FoundPage:
        after = None
        if isinstance(position, GlobalCursor):
            after = GlobalOffset(
                position.rate, position.dialog_id, position.access_hash, position.message_id
            )
        return await search_global(
            client,
            policy,
            search.q,
            media=search.media,
            min_date=search.min_date,
            max_date=search.max_date,
            after=after,
            limit=limit,
        )

    def advance(hit: Hit, seen: int) -> Cursor:
        record = hit.record
        return GlobalCursor(record.date, hit.dialog_id, hit.access_hash, record.message_id, seen)

    return await _page(client, caches, search, cursor, fetch, advance)


async def search_in_chat(
    client: pyrogram.Client,
    policy: FloodPolicy,
    caches: CacheManager,
    search: MessageSearch,
    peer: raw.base.InputPeer,
    from_user: raw.base.InputPeer | None,
    cursor: DialogCursor | None,
) -> dict[str, Any]:
    """One page of a search in the chat ``search.dialog_id`` (messages.search)."""
    assert search.dialog_id is not None

    async def fetch(position: Cursor | None, limit: int) -> FoundPage:
        return await search_chat(
            client,
            policy,
            peer,
            search.dialog_id,
            search.q,
            media=search.media,
            min_date=search.min_date,
            max_date=search.max_date,
            from_user=from_user,
            offset_id=position.message_id if position else 0,
            limit=limit,
        )

    def advance(hit: Hit, seen: int) -> Cursor:
        return DialogCursor(hit.record.message_id, seen)

    return await _page(client, caches, search, cursor, fetch, advance)


async def _page(
    client: pyrogram.Client,
    caches: CacheManager,
    search: MessageSearch,
    cursor: Cursor | None,
    fetch: Callable[[Cursor | None, int], Awaitable[FoundPage]],
    advance: Callable[[Hit, int], Cursor],
) -> dict[str, Any]:
    me_id = client.me.id
    hits: list[tuple[Hit, dict[str, str | None]]] = []
    seen_keys: set[tuple[int, int]] = set()
    seen = cursor.seen if cursor else 0
    total = 0
    more: bool | None = None
    page = FoundPage()
    while len(hits) < search.limit:
        wanted = search.limit - len(hits)
        page = await fetch(cursor, min(TELEGRAM_PAGE, wanted + 1))
        await _store(caches, search.account, page)
        total = page.total
        names = {batch.dialog_id: _dialog_names(batch.dialog, batch.dialog_id, me_id)
                 for batch in page.batches}  # fmt: skip
        fresh = [h for h in page.hits if (h.dialog_id, h.record.message_id) not in seen_keys]
        if not fresh:
            more = False  # nothing (new) left: the search is over
            break
        kept = fresh[:wanted]
        for hit in kept:
            seen_keys.add((hit.dialog_id, hit.record.message_id))
            hits.append((hit, names[hit.dialog_id]))
        seen += len(kept)
        cursor = advance(kept[-1], seen)
        if len(fresh) > wanted:
            more = True  # the extra result asked for came: there is a next page
            break
        if page.complete or (not page.inexact and seen >= total):
            more = False  # Telegram's answer held the rest, or its total is reached
            break
    if more is None:  # the page is full, and Telegram said nothing about what follows
        more = page.inexact or seen < total
    answer: dict[str, Any] = {
        "query": search.q,
        "total": total,
        "limit": search.limit,
    }
    if more and cursor is not None:
        answer["next_offset"] = encode_cursor(cursor, search.fingerprint())
    answer["results"] = [
        {**hit.record.json_dict(), "dialog_id": hit.dialog_id, **names} for hit, names in hits
    ]
    return answer


async def _store(caches: CacheManager, account: str, page: FoundPage) -> None:
    """Each chat's messages of the page, as rows only (no coverage claim)."""
    for batch in page.batches:
        cache = await caches.dialog(batch.dialog_id, account)
        await cache.write_batch(batch)


def _dialog_names(dialog: Any, dialog_id: int, me_id: int) -> dict[str, str | None]:
    if dialog_id == me_id:
        return {"dialog_name": SAVED_MESSAGES_TITLE, "dialog_type": "saved"}
    if dialog is None:
        return {"dialog_name": None, "dialog_type": None}
    return {"dialog_name": dialog.title, "dialog_type": dialog.type}
