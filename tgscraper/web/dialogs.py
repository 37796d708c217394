"""GET /api/v3/folders and GET /api/v3/dialogs/{dialog}; the per-account dialog directory.

``DIALOG_DIRECTORY`` (a ``DialogDirectory``) keeps each account's dialog list and
folders for ``dialogs_cache_ttl_s`` seconds; ``setup_dialog_directory(app)`` creates it
(both this module and ``web.search`` call it; the first wins).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tgscraper.dates import format_date
from tgscraper.dialogs import DialogRef
from tgscraper.schemas.common import DialogPath, ErrorSchema
from tgscraper.schemas.search import DialogInfoSchema, FoldersQuery, FoldersSchema
from tgscraper.search.entries import Folder
from tgscraper.telegram.access import resolve_dialog
from tgscraper.telegram.dialog_details import fetch_details
from tgscraper.telegram.dialogs_source import DialogDirectory
from tgscraper.telegram.gateway import FloodPolicy
from tgscraper.web.appkeys import CACHE, SESSIONS, SETTINGS
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route

#: each account's dialog list and folders, kept dialogs_cache_ttl_s seconds
DIALOG_DIRECTORY: web.AppKey[DialogDirectory] = web.AppKey("dialog_directory")


def setup_dialog_directory(app: web.Application) -> None:
    if DIALOG_DIRECTORY not in app:
        app[DIALOG_DIRECTORY] = DialogDirectory(lambda account: app[SESSIONS].get(account))


def flood_policy(request: web.Request) -> FloodPolicy:
    """The gateway's flood-wait policy with this request's settings."""
    return FloodPolicy(request.app[SETTINGS].current.max_flood_wait_s)


async def account_folders(request: web.Request, *, refresh: bool) -> list[Folder]:
    """The account's folders (kept dialogs_cache_ttl_s seconds unless ``refresh``)."""
    ttl = request.app[SETTINGS].current.dialogs_cache_ttl_s
    return await request.app[DIALOG_DIRECTORY].folders(
        get_account(request), flood_policy(request), ttl=ttl, refresh=refresh
    )


@route(
    "GET",
    "/api/v3/folders",
    summary="Custom folders",
    description=(
        "The account's custom chat folders `{id, title, emoticon}` in its order. With "
        "`include_dialogs=true` each lists the dialogs it includes explicitly (pinned ones "
        "first) as `{id, title}`; folders that also add whole kinds of chats (contacts, "
        "groups, ...) say so in the dialogs' `folder_ids` of GET /api/v3/search/dialogs."
    ),
    tags=["dialogs"],
    query=FoldersQuery,
    responses={200: FoldersSchema, 429: ErrorSchema},
)
async def list_folders(request: web.Request, *, query: dict[str, Any]) -> web.Response:
    refresh = query["refresh"]
    folders = await account_folders(request, refresh=refresh)
    titles: dict[int, str] = {}
    if query["include_dialogs"] and any(folder.included for folder in folders):
        ttl = request.app[SETTINGS].current.dialogs_cache_ttl_s
        entries = await request.app[DIALOG_DIRECTORY].dialogs(
            get_account(request), flood_policy(request), ttl=ttl, refresh=refresh
        )
        titles = {entry.id: entry.title for entry in entries}
    answer = []
    for folder in folders:
        item = folder.json_dict()
        if query["include_dialogs"]:
            item["dialogs"] = [{"id": i, "title": titles.get(i)} for i in folder.included]
        answer.append(item)
    return json_response({"folders": answer})


@route(
    "GET",
    "/api/v3/dialogs/{dialog}",
    summary="Dialog info",
    description=(
        "One chat as the dialog search shows it (message_count included), plus its "
        "description (about / bio), linked chat (a channel's discussion group or a group's "
        "channel), creation date (groups; channels the account created or is not in) and "
        "whether this server has cached any of it, with the cache summary."
    ),
    tags=["dialogs"],
    path_params=DialogPath,
    responses={200: DialogInfoSchema, 403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema},
)
async def dialog_info(request: web.Request, *, path_params: dict[str, DialogRef]) -> web.Response:
    account = get_account(request)
    policy = flood_policy(request)
    dialog = await resolve_dialog(request.app, account, path_params["dialog"], policy=policy)
    client = await request.app[SESSIONS].get(account)
    details, folders = await asyncio.gather(
        fetch_details(client, dialog, policy), account_folders(request, refresh=False)
    )
    entry = details.entry
    info = entry.json_dict([folder.id for folder in folders if folder.contains(entry)])
    created = details.created_date
    info.update(
        description=details.description,
        linked_chat_id=details.linked_chat_id,
        created_date=format_date(created) if created is not None else None,
    )
    summary = await cache_summary(request, dialog.dialog_id, account)
    info["is_cached"] = bool(summary and summary["message_count"])
    info["cache"] = summary
    return json_response(info)


async def cache_summary(request: web.Request, dialog_id: int, account: str) -> dict | None:
    """The dialog's cache summary, or None when nothing was ever cached (no database is
    created just to say so)."""
    cache = await request.app[CACHE].existing_dialog(dialog_id, account)
    return None if cache is None else await cache.summary()


def setup(app: web.Application) -> None:
    setup_dialog_directory(app)
    register_routes(app, list_folders, dialog_info)
