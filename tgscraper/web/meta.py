"""GET / (an index of the API) and GET /health (liveness, no API key)."""

from __future__ import annotations

import time

from aiohttp import web
from marshmallow import Schema, fields

from tgscraper import __version__
from tgscraper.web.appkeys import SESSIONS, STARTED_AT
from tgscraper.web.json import json_response
from tgscraper.web.routing import register_routes, route, spec_of


class EndpointSchema(Schema):
    method = fields.String(required=True, metadata={"example": "GET"})
    path = fields.String(required=True, metadata={"example": "/health"})
    summary = fields.String(required=True)


class IndexSchema(Schema):
    """What this server is and where to read more"""

    name = fields.String(required=True, metadata={"example": "tgscraper"})
    version = fields.String(required=True)
    docs = fields.String(required=True, metadata={"example": "/docs"})
    openapi = fields.String(required=True, metadata={"example": "/openapi.json"})
    endpoints = fields.List(fields.Nested(EndpointSchema), required=True)


class HealthSchema(Schema):
    """The server is up"""

    status = fields.String(required=True, metadata={"example": "ok"})
    version = fields.String(required=True)
    uptime_s = fields.Float(required=True, metadata={"description": "Seconds since start"})
    accounts_connected = fields.Integer(
        required=True, metadata={"description": "Accounts with a started Telegram client"}
    )


@route(
    "GET",
    "/",
    summary="Index: name, version, docs and endpoints",
    tags=["meta"],
    responses={200: IndexSchema},
)
async def get_index(request: web.Request) -> web.Response:
    endpoints = []
    for registered in request.app.router.routes():
        spec = spec_of(registered.handler)
        if spec is not None and not spec.hidden:
            endpoints.append({"method": spec.method, "path": spec.path, "summary": spec.summary})
    return json_response(
        {
            "name": "tgscraper",
            "version": __version__,
            "docs": "/docs",
            "openapi": "/openapi.json",
            "endpoints": endpoints,
        }
    )


@route(
    "GET",
    "/health",
    summary="Liveness and connected accounts (no API key needed)",
    tags=["meta"],
    public=True,
    responses={200: HealthSchema},
)
async def get_health(request: web.Request) -> web.Response:
    return json_response(
        {
            "status": "ok",
            "version": __version__,
            "uptime_s": round(time.monotonic() - request.app[STARTED_AT], 3),
            "accounts_connected": request.app[SESSIONS].connected,
        }
    )


def setup(app: web.Application) -> None:
    app[STARTED_AT] = time.monotonic()
    register_routes(app, get_index, get_health)
