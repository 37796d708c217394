"""GET /api/v3/search/dialogs, /api/v3/search/messages and /api/v3/search/messages/{dialog}."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pyrogram.errors import BadRequest

from tgscraper.dialogs import DialogRef
from tgscraper.schemas.common import DialogPath, ErrorSchema
from tgscraper.schemas.search import (
    DialogMessageSearchQuery,
    DialogSearchQuery,
    DialogSearchSchema,
    MessageSearchQuery,
    MessageSearchSchema,
)
from tgscraper.search.cursors import CursorError, DialogCursor, GlobalCursor
from tgscraper.search.dialog_query import DialogQuery, select_dialogs
from tgscraper.search.messages import MessageSearch, search_everywhere, search_in_chat
from tgscraper.telegram.access import ResolvedDialog, resolve_dialog
from tgscraper.telegram.gateway import FloodPolicy
from tgscraper.web.appkeys import CACHE, SESSIONS, SETTINGS
from tgscraper.web.dialogs import (
    DIALOG_DIRECTORY,
    account_folders,
    flood_policy,
    setup_dialog_directory,
)
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route

_SEARCH_ERRORS = {403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema, 502: ErrorSchema}


@route(
    "GET",
    "/api/v3/search/dialogs",
    summary="Search the account's dialogs",
    description=(
        "Filters, fuzzy or exact name match, sort and paging over the account's dialogs "
        "(Telegram's service notifications chat 777000 is left out). With no parameter it "
        "lists every dialog, most recent first. The dialog list is fetched once and kept "
        "dialogs_cache_ttl_s seconds per account (refresh=true fetches it now), so paging "
        "with offset sees the same list.\n\nFuzzy scores: 1 exact name; 0.90–0.95 name "
        "starts with q; 0.80–0.85 a word starts with q; 0.70–0.75 q inside the name; "
        "0.60–0.65 all words of q in any order; below 0.6 mere similarity (difflib). A "
        "substring hit always outranks similarity."
    ),
    tags=["search"],
    query=DialogSearchQuery,
    responses={200: DialogSearchSchema, 429: ErrorSchema, 502: ErrorSchema},
)
async def search_dialogs(request: web.Request, *, query: dict[str, Any]) -> web.Response:
    account = get_account(request)
    ttl = request.app[SETTINGS].current.dialogs_cache_ttl_s
    refresh = query["refresh"]
    entries, folders = await asyncio.gather(
        request.app[DIALOG_DIRECTORY].dialogs(
            account, flood_policy(request), ttl=ttl, refresh=refresh
        ),
        account_folders(request, refresh=refresh),
    )
    folder = query.get("folder")
    if folder is not None and folder not in {item.id for item in folders}:
        known = ", ".join(str(item.id) for item in folders) or "none"
        raise ApiError(
            400,
            "invalid_parameter",
            f"Invalid query parameter 'folder': the account has no folder {folder} "
            f"(its folders: {known}; GET /api/v3/folders lists them).",
        )
    types = {"saved" if kind == "me" else kind for kind in query.get("type") or ()}
    dialog_query = DialogQuery(
        q=query.get("q"),
        match=query["match"],
        min_score=query.get("min_score"),
        types=frozenset(types),
        is_archived=query.get("is_archived"),
        folder=folder,
        has_username=query.get("has_username"),
        is_verified=query.get("is_verified"),
        is_creator=query.get("is_creator"),
        min_participants=query.get("min_participants"),
        max_participants=query.get("max_participants"),
        last_message_after=query.get("last_message_after"),
        last_message_before=query.get("last_message_before"),
        sort=query.get("sort"),
        order=query.get("order"),
        limit=query["limit"],
        offset=query["offset"],
    )
    total, page = await asyncio.to_thread(select_dialogs, entries, folders, dialog_query)
    return json_response(
        {
            "total": total,
            "offset": dialog_query.offset,
            "limit": dialog_query.limit,
            "results": [match.json_dict() for match in page],
        }
    )


@route(
    "GET",
    "/api/v3/search/messages",
    summary="Search messages in every chat",
    description=(
        "Telegram's global search (messages.searchGlobal), newest first. Results are "
        "history messages plus dialog_id, dialog_name and dialog_type, and are stored in "
        "the cache (not as covered ranges). A page takes up to 100 results per Telegram "
        "request; pass next_offset as offset for the next page (absent on the last page)."
    ),
    tags=["search"],
    query=MessageSearchQuery,
    responses={200: MessageSearchSchema, **_SEARCH_ERRORS},
)
async def search_messages(request: web.Request, *, query: dict[str, Any]) -> web.Response:
    account = get_account(request)
    search = _message_search(account, query)
    cursor = _cursor(search, query)
    assert cursor is None or isinstance(cursor, GlobalCursor)
    client = await request.app[SESSIONS].get(account)
    answer = await search_everywhere(
        client, flood_policy(request), request.app[CACHE], search, cursor
    )
    return json_response(answer)


@route(
    "GET",
    "/api/v3/search/messages/{dialog}",
    summary="Search messages in one chat",
    description=(
        "Telegram's chat search (messages.search), newest first, with the same answer and "
        "paging as the global search, and from_user (a sender's id or username)."
    ),
    tags=["search"],
    path_params=DialogPath,
    query=DialogMessageSearchQuery,
    responses={200: MessageSearchSchema, **_SEARCH_ERRORS},
)
async def search_dialog_messages(
    request: web.Request, *, path_params: dict[str, DialogRef], query: dict[str, Any]
) -> web.Response:
    account = get_account(request)
    policy = flood_policy(request)
    dialog = await resolve_dialog(request.app, account, path_params["dialog"], policy=policy)
    sender = None
    if query.get("from_user") is not None:
        sender = await _resolve_sender(request, account, query["from_user"], policy)
    search = _message_search(
        account,
        query,
        dialog_id=dialog.dialog_id,
        from_user_id=sender.dialog_id if sender else None,
    )
    cursor = _cursor(search, query)
    assert cursor is None or isinstance(cursor, DialogCursor)
    client = await request.app[SESSIONS].get(account)
    answer = await search_in_chat(
        client,
        policy,
        request.app[CACHE],
        search,
        dialog.input_peer,
        sender.input_peer if sender else None,
        cursor,
    )
    return json_response(answer)


def _message_search(account: str, query: dict[str, Any], **target: Any) -> MessageSearch:
    """The search the query describes (``start`` / ``end``: the schema's resolved dates;
    a bound not given is no bound)."""
    return MessageSearch(
        account=account,
        q=query["q"],
        limit=query["limit"],
        media=query.get("media"),
        start=query["start"] if query.get("start_date") is not None else None,
        end=query["end"] if query.get("end_date") is not None else None,
        **target,
    )


def _cursor(search: MessageSearch, query: dict[str, Any]) -> GlobalCursor | DialogCursor | None:
    try:
        return search.decode_offset(query.get("offset"))
    except CursorError as error:
        raise ApiError(
            400, "invalid_parameter", f"Invalid query parameter 'offset': {error}"
        ) from None


async def _resolve_sender(
    request: web.Request, account: str, ref: DialogRef, policy: FloodPolicy
) -> ResolvedDialog:
    """from_user as a checked peer; one Telegram cannot find is a bad parameter (400)."""
    try:
        return await resolve_dialog(request.app, account, ref, policy=policy)
    except ApiError as error:
        if error.status not in (403, 404):
            raise
        detail = error.detail
    except BadRequest as error:
        detail = f"Telegram does not know it ({error.ID or error.NAME})."
    raise ApiError(400, "invalid_parameter", f"Invalid query parameter 'from_user': {detail}")


def setup(app: web.Application) -> None:
    setup_dialog_directory(app)
    register_routes(app, search_dialogs, search_messages, search_dialog_messages)
