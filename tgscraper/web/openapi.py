"""/openapi.json built from the route declarations, and /docs (Swagger UI, served locally).

The document is built once at startup by walking the app's router: every route is
described from its ``@route`` declaration (``tgscraper.web.routing``), so a route added
later appears with no change here. Swagger UI's files come from the installed
``swagger_ui_bundle`` package and are served by this server: /docs works offline.

/docs, its assets and /openapi.json are public (no API key): they describe the API and
hold no data, and a browser cannot add a header to a page load. Swagger UI's
"Authorize" button then sends the key with the calls made from the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from swagger_ui_bundle import swagger_ui_path

from tgscraper import __version__
from tgscraper.accounts import ACCOUNT_NAME_PATTERN
from tgscraper.web.appkeys import OPENAPI
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import ACCOUNT_HEADER, API_KEY_HEADER
from tgscraper.web.routing import (
    RouteSpec,
    default_error_responses,
    register_routes,
    route,
    spec_of,
)

OPENAPI_VERSION = "3.0.3"
SECURITY = [{"ApiKeyHeader": []}, {"BearerAuth": []}]
DESCRIPTION = (
    "Read Telegram chats through your own account: history (SSE), search and media, "
    "cached in SQLite. When the server has TGSC_API_KEY set, every call except /health "
    f"and the documentation needs `{API_KEY_HEADER}: KEY` or `Authorization: Bearer KEY`. "
    f"Calls under /api/v3 name the account in `{ACCOUNT_HEADER}`."
)
_PATH_VARIABLE = re.compile(r"\{(\w+)(?::[^}]*)?\}")
ASSETS = Path(str(swagger_ui_path))
ASSET_NAMES = frozenset(path.name for path in ASSETS.iterdir() if path.is_file())
ASSET_PREFIX = "/docs/assets/"
DOCS_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>tgscraper API</title>
  <link rel="stylesheet" href="{ASSET_PREFIX}swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSET_PREFIX}favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSET_PREFIX}swagger-ui-bundle.js"></script>
  <script src="{ASSET_PREFIX}swagger-ui-standalone-preset.js"></script>
  <script src="{ASSET_PREFIX}tgscraper-init.js"></script>
</body>
</html>
"""
INIT_JS = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""


@dataclass
class OpenApiDocument:
    """The built document (filled at startup, when the router is complete)."""

    document: dict[str, Any] = field(default_factory=dict)


def openapi_path(aiohttp_path: str) -> str:
    """aiohttp's '/x/{name:regex}' as OpenAPI's '/x/{name}'."""
    return _PATH_VARIABLE.sub(r"{\1}", aiohttp_path)


def _operation(spec: RouteSpec, path: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    if spec.path_params is not None:
        parameters.append({"in": "path", "schema": spec.path_params})
    else:
        parameters += [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in _PATH_VARIABLE.findall(path)
        ]
    if spec.query is not None:
        parameters.append({"in": "query", "schema": spec.query})
    if spec.account:
        parameters.append(
            {
                "in": "header",
                "name": ACCOUNT_HEADER,
                "required": True,
                "description": "The account (session name) to read Telegram with",
                "schema": {"type": "string", "pattern": ACCOUNT_NAME_PATTERN},
            }
        )
    responses: dict[str, Any] = {}
    documented = {**default_error_responses(spec), **spec.responses}
    for status, doc in sorted(documented.items()):
        answer: dict[str, Any] = {"description": doc.description}
        if doc.schema is not None:
            content_type = spec.content_type if status < 400 else "application/json"
            answer["content"] = {content_type: {"schema": doc.schema}}
        responses[str(status)] = answer
    operation: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": list(spec.tags),
        "parameters": parameters,
        "responses": responses,
        "security": [] if spec.public else SECURITY,
    }
    if spec.description:
        operation["description"] = spec.description
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": spec.body}},
        }
    return operation


def _undeclared_operation(handler: Any) -> dict[str, Any]:
    summary = (getattr(handler, "__doc__", None) or "Undocumented route").strip().splitlines()[0]
    return {"summary": summary, "responses": {"default": {"description": "Answer"}}}


def build_openapi(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of every route registered in `app`."""
    api = APISpec(
        title="tgscraper",
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    api.components.security_scheme(
        "ApiKeyHeader", {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
    )
    api.components.security_scheme("BearerAuth", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict[str, Any]] = {}
    for registered in app.router.routes():
        if registered.method in {"HEAD", "OPTIONS"} and spec_of(registered.handler) is None:
            continue  # aiohttp's own HEAD for a GET (static files); a declared HEAD is listed
        resource = registered.resource
        if resource is None:
            continue
        path = openapi_path(resource.canonical)
        spec = spec_of(registered.handler)
        if spec is not None and spec.hidden:
            continue
        operations = paths.setdefault(path, {})
        methods = (
            ["get", "post", "put", "patch", "delete"]
            if registered.method == "*"
            else [registered.method.lower()]
        )
        for method in methods:
            operations[method] = (
                _operation(spec, path) if spec else _undeclared_operation(registered.handler)
            )
    _check_unique_operation_ids(paths)
    for path, operations in paths.items():
        api.path(path=path, operations=operations)
    return api.to_dict()


def _check_unique_operation_ids(paths: dict[str, dict[str, Any]]) -> None:
    """OpenAPI needs unique operationIds (the handler names): fail at startup, loudly."""
    seen: dict[str, str] = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            operation_id = operation.get("operationId")
            if operation_id is None:
                continue
            where = f"{method.upper()} {path}"
            if operation_id in seen:
                raise RuntimeError(
                    f"Handlers of {seen[operation_id]} and {where} are both named "
                    f"{operation_id!r}: rename one (the name is the OpenAPI operationId)."
                )
            seen[operation_id] = where


@route(
    "GET",
    "/openapi.json",
    summary="This API as an OpenAPI 3 document",
    tags=["meta"],
    public=True,
    responses={200: "The OpenAPI document"},
)
async def get_openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI].document)


@route(
    "GET",
    "/docs",
    summary="Interactive API documentation (Swagger UI)",
    tags=["meta"],
    public=True,
    content_type="text/html",
    responses={200: "An HTML page"},
)
async def get_docs(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_HTML, content_type="text/html")


@route("GET", ASSET_PREFIX + "{name}", summary="Swagger UI asset", public=True, hidden=True)
async def get_docs_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name == "tgscraper-init.js":
        return web.Response(text=INIT_JS, content_type="application/javascript")
    if name not in ASSET_NAMES:
        raise web.HTTPNotFound()
    return web.FileResponse(ASSETS / name)


async def _build_on_startup(app: web.Application) -> None:
    app[OPENAPI].document = build_openapi(app)


def setup_openapi(app: web.Application) -> None:
    app[OPENAPI] = OpenApiDocument()
    register_routes(app, get_openapi, get_docs, get_docs_asset)
    app.on_startup.append(_build_on_startup)
