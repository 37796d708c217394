"""GET and HEAD /api/v3/files/{uuid}: a message's media file (or its metadata).

Finding the file is O(1): the global media index names the dialog database holding the
uuid (``CacheManager.media_owner``). The requesting account must be able to see the
message the file belongs to: open its chat (``telegram.access.resolve_dialog``), and in a
supergroup whose history starts later for it (``ResolvedDialog.hidden_up_to``, see
``history/visibility.py``) the message must be above that point. A private chat's or
basic group's file, cached per account, is only served to that account. Every way of
failing this check gets the same 403 (a file of a message it cannot see answers as one of
a chat it cannot open: the answer tells nothing about which). A file not on disk yet
is fetched on demand when it is within ``max_media_size_mb`` (joining a background
download of the same file if one runs), else 409 naming the setting.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pyrogram.errors import RPCError

from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_files import MediaFile
from tgscraper.dialogs import DialogRef
from tgscraper.media import policy
from tgscraper.media.downloader import DownloadError
from tgscraper.media.fetcher import MediaGone, present
from tgscraper.media.serving import file_response, is_local_client, metadata
from tgscraper.schemas.common import ErrorSchema
from tgscraper.schemas.media import FileMetadataSchema, FilePath, FileQuery
from tgscraper.telegram.access import ResolvedDialog, resolve_dialog
from tgscraper.web.appkeys import CACHE, MEDIA, SETTINGS
from tgscraper.web.errors import NO_ACCESS, NOT_FOUND, ApiError, telegram_error_id
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route

_DESCRIPTION = (
    "The file of a message's media_uuid, with Content-Type, Content-Disposition (the "
    "original name), Content-Length, ETag and Last-Modified; conditional requests (304) "
    "and one byte range (Range: bytes=a-b, a- or -n: 206; unsatisfiable: 416) so players "
    "can seek. A file not downloaded yet is fetched now if it is within max_media_size_mb "
    "(else 409). metadata_only=true answers the metadata as JSON instead (file_path only "
    "for a client on this machine)."
)
_RESPONSES = {
    200: (FileMetadataSchema, "The file's bytes (or its metadata with metadata_only=true)"),
    206: "One range of the file's bytes",
    304: "Not modified (If-None-Match / If-Modified-Since)",
    403: (
        ErrorSchema,
        "The account cannot see the file's message (its chat, or before its "
        "history starts there): one answer whatever the reason",
    ),
    404: ErrorSchema,
    409: (ErrorSchema, "Not downloaded and larger than max_media_size_mb"),
    416: "Range not satisfiable (Content-Range: bytes */size)",
    429: ErrorSchema,
    502: ErrorSchema,
}


#: what GET and HEAD share: the path, its parameters and the answers
_FILE_ROUTE: dict[str, Any] = {
    "tags": ["files"],
    "path_params": FilePath,
    "query": FileQuery,
    "content_type": "application/octet-stream",
    "responses": _RESPONSES,
}


@route("GET", "/api/v3/files/{uuid}", summary="Download a media file", description=_DESCRIPTION,
       **_FILE_ROUTE)  # fmt: skip
async def get_file(
    request: web.Request, *, path_params: dict[str, Any], query: dict[str, Any]
) -> web.StreamResponse:
    return await _answer(request, str(path_params["uuid"]), query["metadata_only"])


@route("HEAD", "/api/v3/files/{uuid}", summary="A media file's headers",
       description="The headers GET would answer (the file is fetched first if need be).",
       **_FILE_ROUTE)  # fmt: skip
async def head_file(
    request: web.Request, *, path_params: dict[str, Any], query: dict[str, Any]
) -> web.StreamResponse:
    return await _answer(request, str(path_params["uuid"]), query["metadata_only"])


async def _answer(request: web.Request, uuid: str, metadata_only: bool) -> web.StreamResponse:
    account = get_account(request)
    cache, media = await _locate(request, account, uuid)
    on_disk = media.uuid in await present(cache, [media])
    if metadata_only:
        local = on_disk and media.file_path and is_local_client(request)
        path = cache.directory / media.file_path if local else None
        return json_response(metadata(media, on_disk=on_disk, path=path))
    if not on_disk:
        media = await _fetch(request, account, cache, media)
    return file_response(cache.directory / media.file_path, media)


async def _locate(request: web.Request, account: str, uuid: str) -> tuple[DialogCache, MediaFile]:
    manager = request.app[CACHE]
    owner = await manager.media_owner(uuid)
    if owner is None:
        raise _unknown(uuid)
    if owner.account is not None and owner.account != account:
        raise _no_access()
    dialog = await _visible_dialog(request, account, owner.dialog_id)
    cache = await manager.dialog(owner.dialog_id, owner.account)
    media = await cache.media.get(uuid)
    if media is None:
        raise _unknown(uuid)
    if media.message_id <= dialog.hidden_up_to:  # before its history starts (visibility.py)
        raise _no_access()
    return cache, media


async def _visible_dialog(request: web.Request, account: str, dialog_id: int) -> ResolvedDialog:
    """The file's chat as the account sees it. A chat Telegram refuses it or does not show
    it at all (404 for the chat) is the one 403 of this route: the file exists, it is not
    theirs."""
    try:
        return await resolve_dialog(request.app, account, DialogRef(dialog_id=dialog_id))
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
    except RPCError as exc:
        if telegram_error_id(exc) not in NOT_FOUND | NO_ACCESS:
            raise
    raise _no_access()


async def _fetch(
    request: web.Request, account: str, cache: DialogCache, media: MediaFile
) -> MediaFile:
    refusal = policy.on_demand_refusal(request.app[SETTINGS].current, media.size)
    if refusal is not None:
        raise ApiError(
            409,
            "too_large",
            f"This file is not downloaded and {refusal}. Raise max_media_size_mb "
            "(PATCH /api/v3/settings, 0 for no limit) to fetch it.",
        )
    try:
        return await request.app[MEDIA].fetch(account, cache, media.uuid)
    except MediaGone:
        raise _unknown(media.uuid) from None
    except DownloadError as exc:
        raise ApiError(502, "download_failed", f"The download failed: {exc}.") from None


def _no_access() -> ApiError:
    return ApiError(403, "no_access", "This account cannot see the message of this file.")


def _unknown(uuid: str) -> ApiError:
    return ApiError(404, "not_found", f"No media file {uuid} is known to this server.")


def setup(app: web.Application) -> None:
    register_routes(app, get_file, head_file)
