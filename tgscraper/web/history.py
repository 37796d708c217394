"""GET /api/v3/history/{dialog} (SSE), POST /api/v3/sync/{dialog},
GET /api/v3/dialogs/{dialog}/cache.

Every route checks first that the account may open the chat (``telegram/access.py``),
so nothing cached is served to an account Telegram would refuse. The stream is opened
at its first batch, or as soon as Telegram answered a page, sat in a flood wait, or kept
the request waiting :attr:`StreamTiming.open_after_s` (then pings keep the connection
alive however long a fill takes): anything that fails before (no access, an unknown
chat, a flood wait too long for the very first call) is a plain HTTP error (403, 404,
429 with Retry-After); afterwards failures end the stream with ``event: error``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tgscraper.cache.reader import Key, messages_payload
from tgscraper.dates import format_date
from tgscraper.history import (
    FillProgressEvent,
    FloodWaitEvent,
    HistoryEvent,
    HistoryRequest,
    HistoryService,
    Messages,
    Waiting,
)
from tgscraper.schemas.common import DialogPath, ErrorSchema
from tgscraper.schemas.history import (
    CacheInfoSchema,
    HistoryBatchSchema,
    HistoryQuery,
    SyncQuery,
    SyncResultSchema,
)
from tgscraper.telegram.access import ResolvedDialog, resolve_dialog
from tgscraper.telegram.gateway import FloodWaitTooLong
from tgscraper.web.appkeys import CACHE, HISTORY, MEDIA, SESSIONS, SETTINGS
from tgscraper.web.disconnect import cancel_on_disconnect
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response, loads
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route
from tgscraper.web.sse import PING_INTERVAL_S, SSE_CONTENT_TYPE, EventStream, open_stream

_MEDIA_KEY = b'"media_uuid":'  # unambiguous: quotes inside text are escaped


@dataclass(frozen=True)
class StreamTiming:
    """When a history stream opens at the latest, and how often it pings. An app option
    (``app[STREAM_TIMING]``, set before the app starts: tests shorten both)."""

    #: seconds of waiting for Telegram after which the stream opens anyway (a 403/404/429
    #: of a first call answering sooner is still a plain HTTP status)
    open_after_s: float = 1.0
    ping_interval_s: float = PING_INTERVAL_S


STREAM_TIMING = web.AppKey("history_stream_timing", StreamTiming)
_ACCESS_ERRORS = {403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema, 502: ErrorSchema}


@route(
    "GET",
    "/api/v3/history/{dialog}",
    summary="Stream a chat's messages between two dates (SSE)",
    tags=["history"],
    path_params=DialogPath,
    query=HistoryQuery,
    content_type=SSE_CONTENT_TYPE,
    responses={200: HistoryBatchSchema, **_ACCESS_ERRORS},
)
async def stream_history(
    request: web.Request, *, path_params: dict[str, Any], query: dict[str, Any]
) -> web.StreamResponse:
    """Messages of [start_date, end_date] in (date, id) order: oldest first unless
    reverse=false. Cached ranges come from the cache, the rest from Telegram (and is
    cached). Each unnamed event holds chunk_size messages and carries the last message's
    id: send it back as Last-Event-ID to resume after it. The stream ends with
    ``event: done`` or ``event: error``."""
    account = get_account(request)
    timing = request.app.get(STREAM_TIMING) or StreamTiming()
    async with cancel_on_disconnect(request):
        dialog = await resolve_dialog(request.app, account, path_params["dialog"])
        after = await _resume_point(request, account, dialog)
        cache = await request.app[CACHE].dialog(dialog.dialog_id, account)
        request.app[MEDIA].review(  # background
            account, cache, query["start"], query["end"], hidden_up_to=dialog.hidden_up_to
        )
        history_request = HistoryRequest(
            account=account,
            dialog=dialog,
            start=query["start"],
            end=query["end"],
            newest_first=not query["reverse"],
            force_refresh=query["force_refresh"],
            after=after,
            keep_alive_s=timing.open_after_s,
            until_now=query.get("end_date") is None,
        )
        writer = _HistoryWriter(
            request,
            dialog.dialog_id,
            chunk_size=query["chunk_size"],
            progress=query["progress"],
            ping_interval_s=timing.ping_interval_s,
        )
        async with aclosing(request.app[HISTORY].run(history_request)) as events:
            return await writer.serve(events)


@route(
    "POST",
    "/api/v3/sync/{dialog}",
    summary="Fill the cache for a date range without returning messages",
    tags=["history"],
    path_params=DialogPath,
    query=SyncQuery,
    responses={200: SyncResultSchema, **_ACCESS_ERRORS},
)
async def sync_dialog(
    request: web.Request, *, path_params: dict[str, Any], query: dict[str, Any]
) -> web.StreamResponse:
    """Fetches what the cache lacks of [start_date, end_date] (everything with
    force_refresh) and answers when it is stored. Counts are of this call only: of the
    messages fetched, those with a file; of those files, downloaded now, skipped by the
    settings, failed (files already on disk before count in none)."""
    account = get_account(request)
    started = asyncio.get_running_loop().time()
    async with cancel_on_disconnect(request):
        dialog = await resolve_dialog(request.app, account, path_params["dialog"])
        history_request = HistoryRequest(
            account=account,
            dialog=dialog,
            start=query["start"],
            end=query["end"],
            newest_first=True,
            force_refresh=query["force_refresh"],
            skip_cached=True,  # what is cached already costs nothing
            until_now=query.get("end_date") is None,
        )
        downloaded = 0
        media_uuids: list[str] = []
        async with aclosing(request.app[HISTORY].run(history_request)) as events:
            async for event in events:
                if isinstance(event, Messages) and event.from_telegram:
                    downloaded += len(event.blobs)
                    media_uuids += [
                        loads(blob)["media_uuid"] for blob in event.blobs if _MEDIA_KEY in blob
                    ]
        cache = await request.app[CACHE].dialog(dialog.dialog_id, account)
        media = await request.app[MEDIA].settle(account, cache, media_uuids, since=started)
    return json_response(
        {
            "dialog_id": dialog.dialog_id,
            "messages_downloaded": downloaded,
            "messages_with_media": len(media_uuids),
            "media_downloaded": media.downloaded,
            "media_skipped": media.skipped,
            "media_failed": media.failed,
        }
    )


@route(
    "GET",
    "/api/v3/dialogs/{dialog}/cache",
    summary="What this server has cached of a chat",
    tags=["history"],
    path_params=DialogPath,
    responses={200: CacheInfoSchema, **_ACCESS_ERRORS},
)
async def cache_info(request: web.Request, *, path_params: dict[str, Any]) -> web.StreamResponse:
    """Coverage intervals (where every message is cached), message count, oldest and
    newest cached message, media counts by status and bytes on disk; of the messages
    this account sees (a supergroup's history may start later for it)."""
    account = get_account(request)
    dialog = await resolve_dialog(request.app, account, path_params["dialog"])
    cache = await request.app[CACHE].existing_dialog(dialog.dialog_id, account)
    if cache is None:  # never cached: do not create it
        return json_response(_empty_summary(dialog))
    summary = await cache.summary(dialog.hidden_up_to)  # only what this account sees
    # as Telegram describes it now (the stored row is as of the last fill): the same
    # description as GET /api/v3/dialogs/{dialog}, before and after anything is cached
    summary["dialog"] = _dialog_summary(dialog)
    return json_response(summary)


async def _resume_point(request: web.Request, account: str, dialog: ResolvedDialog) -> Key | None:
    """The (date, id) key of the Last-Event-ID message, if the client sent one."""
    text = (request.headers.get("Last-Event-ID") or "").strip()
    if not text:
        return None
    try:
        message_id = int(text)
    except ValueError:
        raise ApiError(
            400,
            "invalid_parameter",
            f"Invalid header 'Last-Event-ID': {text!r} is not a message id.",
        ) from None
    cache = await request.app[CACHE].dialog(dialog.dialog_id, account)
    # a message hidden from this account (visibility.py) is not in its view of the cache
    key = await cache.message_key(message_id) if message_id > dialog.hidden_up_to else None
    if key is None:
        raise ApiError(
            400,
            "invalid_parameter",
            f"Invalid header 'Last-Event-ID': message {message_id} is not in the cache of "
            f"this chat (deleted since?); request the range again without it.",
        )
    return key


class _HistoryWriter:
    """Turns history events into SSE events of exactly chunk_size messages."""

    def __init__(
        self,
        request: web.Request,
        dialog_id: int,
        *,
        chunk_size: int,
        progress: bool,
        ping_interval_s: float = PING_INTERVAL_S,
    ):
        self.request = request
        self.dialog_id = dialog_id
        self.chunk_size = chunk_size
        self.progress = progress
        self.ping_interval_s = ping_interval_s
        self.stream: EventStream | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._blobs: list[bytes] = []
        self._ids: list[int] = []
        self.from_cache = 0
        self.from_telegram = 0
        self.sent = 0

    async def serve(self, events: AsyncIterator[HistoryEvent]) -> web.StreamResponse:
        async with contextlib.AsyncExitStack() as stack:
            self._stack = stack
            try:
                async for event in events:
                    await self._handle(event)
                await self._send_chunks(final=True)
                stream = await self._open()
                done = {
                    "dialog_id": self.dialog_id,
                    "total": self.from_cache + self.from_telegram,
                    "from_cache": self.from_cache,
                    "from_telegram": self.from_telegram,
                }
                await stream.send(done, event="done")
            except FloodWaitTooLong as exc:
                if self.stream is None:
                    raise  # nothing streamed yet: 429 with Retry-After
                payload = {"error": exc.code, "detail": exc.detail, "retry_after": exc.retry_after}
                await self.stream.end_with_error(payload)
        assert self.stream is not None
        return self.stream.response

    async def _open(self) -> EventStream:
        if self.stream is None:
            assert self._stack is not None
            self.stream = await self._stack.enter_async_context(
                open_stream(self.request, ping_interval=self.ping_interval_s)
            )
        return self.stream

    async def _handle(self, event: HistoryEvent) -> None:
        # Telegram answered, made us wait, or is slow: from now on the client gets pings
        if isinstance(event, Messages):
            if event.from_telegram:
                self.from_telegram += len(event.blobs)
                await self._open()
            else:
                self.from_cache += len(event.blobs)
            self._blobs.extend(event.blobs)
            self._ids.extend(event.ids)
            await self._send_chunks(final=False)
        elif isinstance(event, Waiting):
            await self._open()
        elif isinstance(event, FloodWaitEvent):
            stream = await self._open()
            if self.progress:
                await stream.send({"seconds": event.seconds}, event="wait")
        elif isinstance(event, FillProgressEvent):
            stream = await self._open()
            if not self.progress:
                return
            payload = {
                "fetched": event.fetched,
                "estimated_total": event.estimated_total,
                "segment": {
                    "start_date": format_date(event.start),
                    "end_date": format_date(event.end),
                },
                "sent": self.sent,
            }
            await stream.send(payload, event="progress")

    async def _send_chunks(self, *, final: bool) -> None:
        size = self.chunk_size
        while len(self._blobs) >= size or (final and self._blobs):
            blobs, self._blobs = self._blobs[:size], self._blobs[size:]
            ids, self._ids = self._ids[:size], self._ids[size:]
            stream = await self._open()
            await stream.send_raw(messages_payload(blobs), id=str(ids[-1]))
            self.sent += len(blobs)


def _dialog_summary(dialog: ResolvedDialog) -> dict[str, Any]:
    return {"id": dialog.dialog_id, "type": dialog.kind, "title": dialog.title,
            "username": dialog.username}  # fmt: skip


def _empty_summary(dialog: ResolvedDialog) -> dict[str, Any]:
    return {
        "dialog_id": dialog.dialog_id,
        "dialog": _dialog_summary(dialog),
        "coverage": [],
        "message_count": 0,
        "oldest_message": None,
        "newest_message": None,
        "media": {"count": 0, "by_status": {}, "bytes_on_disk": 0},
        "database_bytes": 0,
    }


async def history_context(app: web.Application) -> AsyncIterator[None]:
    """HISTORY: the history service; its fills stop before clients and databases close."""
    service = HistoryService(app[CACHE], app[SESSIONS], app[SETTINGS])
    app[HISTORY] = service
    yield
    await service.close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(history_context)
    register_routes(app, stream_history, sync_dialog, cache_info)
