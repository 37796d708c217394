"""GET and PATCH /api/v3/settings: read and change settings.yaml while the server runs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tgscraper.schemas.common import ErrorSchema
from tgscraper.settings import SettingsError, SettingsPatchSchema, SettingsSchema
from tgscraper.web.appkeys import SETTINGS
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response
from tgscraper.web.routing import register_routes, route


@route(
    "GET",
    "/api/v3/settings",
    summary="Current settings",
    tags=["settings"],
    responses={200: SettingsSchema},
)
async def get_settings(request: web.Request) -> web.Response:
    return json_response(request.app[SETTINGS].current.to_dict())


@route(
    "PATCH",
    "/api/v3/settings",
    summary="Change some settings",
    description=(
        "Send only the settings to change; nested objects (download_file_types) may be "
        "partial too. The change is saved to settings.yaml atomically and applies from "
        "the next request. Answers the complete new settings."
    ),
    tags=["settings"],
    body=SettingsPatchSchema,
    responses={200: SettingsSchema, 422: ErrorSchema},
)
async def patch_settings(request: web.Request, *, body: dict[str, Any]) -> web.Response:
    if not body:
        raise ApiError(
            422,
            "invalid_body",
            'The body names no setting to change; send e.g. {"telegram_batch_size": 50}.',
        )
    store = request.app[SETTINGS]
    try:
        updated = await store.update(body)
    except SettingsError as exc:
        raise ApiError(422, "invalid_body", str(exc)) from None
    except OSError as exc:  # disk full, file too large, permissions: the old file stays
        raise ApiError(
            500,
            "settings_not_saved",
            f"Could not save {store.path.name} ({exc.strerror or exc}); the settings are "
            "unchanged.",
        ) from exc
    return json_response(updated.to_dict())


def setup(app: web.Application) -> None:
    register_routes(app, get_settings, patch_settings)
