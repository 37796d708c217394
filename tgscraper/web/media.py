"""The media service's lifetime (``app[MEDIA]``) and POST /api/v3/media/repair/{dialog}."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from aiohttp import web

from tgscraper.media.service import MediaService
from tgscraper.schemas.common import DialogPath, ErrorSchema
from tgscraper.schemas.media import RepairReportSchema
from tgscraper.telegram.access import resolve_dialog
from tgscraper.web.appkeys import CACHE, HISTORY, MEDIA, SESSIONS, SETTINGS
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route


@route(
    "POST",
    "/api/v3/media/repair/{dialog}",
    summary="Download what the settings allow now",
    description=(
        "Looks at every media file of the chat: files the current settings allow that are "
        "not on disk (skipped earlier, failed, never decided, deleted or truncated on disk) "
        "are queued for download in the background; the others keep or get their skip "
        "reason. Files of messages hidden from the account (a supergroup's history before "
        "it joined) are left out. Answers the counts at once, without waiting for the "
        "downloads."
    ),
    tags=["files"],
    path_params=DialogPath,
    responses={200: RepairReportSchema, 403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema},
)
async def repair_media(request: web.Request, *, path_params: dict[str, Any]) -> web.Response:
    account = get_account(request)
    dialog = await resolve_dialog(request.app, account, path_params["dialog"])
    cache = await request.app[CACHE].dialog(dialog.dialog_id, account)
    report = await request.app[MEDIA].repair(account, cache, hidden_up_to=dialog.hidden_up_to)
    return json_response(asdict(report))


async def media_context(app: web.Application) -> AsyncIterator[None]:
    """MEDIA: created after the Telegram clients, closed before them (its downloads are
    cancelled first, their parts kept); it listens to the pages history stores."""
    service = MediaService(app[SETTINGS], app[SESSIONS])
    app[MEDIA] = service
    if HISTORY in app:
        app[HISTORY].add_media_listener(service.notice)
    yield
    await service.close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(media_context)
    register_routes(app, repair_media)
