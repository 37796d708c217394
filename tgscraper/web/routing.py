"""Route declarations: every endpoint says once what it takes and returns.

A route module declares each handler with ``@route`` and registers them in its
``setup(app)`` with ``register_routes``::

    class PageQuery(Schema):
        limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))

    @route("GET", "/api/v3/things/{dialog}", summary="List things", tags=["things"],
           query=PageQuery, path_params=DialogPath,
           responses={200: ThingsSchema, 404: ErrorSchema})
    async def list_things(request, *, query, path_params):
        ...
        return json_response(...)

    def setup(app):
        register_routes(app, list_things)

The wrapper parses ``path_params`` (aiohttp's match_info), ``query`` and ``body`` with
webargs and those schemas and passes each declared one to the handler as a keyword
argument. An invalid path or query parameter answers 400 ``invalid_parameter`` naming
it; unknown query parameters are refused too. An invalid body answers 422
``invalid_body`` naming the field; a missing or unparsable body 400 ``invalid_json``.
The body is read as JSON whatever its Content-Type (``curl -d`` works).

The same declarations drive the API key and account middlewares (``public``,
``account``) and /openapi.json (``tgscraper.web.openapi``), so a route added this way
appears in the spec with no other change.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from marshmallow import RAISE, Schema, ValidationError
from webargs import core
from webargs.aiohttpparser import AIOHTTPParser

from tgscraper.schemas.common import ErrorSchema, describe_errors
from tgscraper.web.errors import ApiError
from tgscraper.web.json import loads

SchemaLike = type[Schema] | Schema
Handler = Callable[..., Awaitable[web.StreamResponse]]
API_PREFIX = "/api/v3/"
#: routes under API_PREFIX that need no account header (the QR login flow creates one)
ACCOUNTLESS_PREFIXES = ("/api/v3/auth/qr",)


@dataclass(frozen=True)
class ResponseDoc:
    """One documented answer of a route."""

    description: str
    schema: Schema | None = None


@dataclass(frozen=True)
class RouteSpec:
    """Everything declared about one route."""

    method: str
    path: str
    summary: str
    description: str | None
    tags: tuple[str, ...]
    operation_id: str
    query: Schema | None
    path_params: Schema | None
    body: Schema | None
    responses: Mapping[int, ResponseDoc]
    #: content type of the success answers ("text/event-stream" for SSE routes)
    content_type: str
    #: reachable without an API key
    public: bool
    #: needs X-Telegram-Username (the account middleware resolves it)
    account: bool
    #: left out of /openapi.json (static assets of /docs)
    hidden: bool


def _instance(schema: SchemaLike | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    return schema()


def _response_doc(status: int, value: Any) -> ResponseDoc:
    default = "Success" if status < 400 else "Error"
    if isinstance(value, ResponseDoc):
        return value
    if isinstance(value, str):
        return ResponseDoc(value)
    if isinstance(value, tuple):
        schema, description = value
        return ResponseDoc(description, _instance(schema))
    schema = _instance(value)
    if schema is not None and schema.__doc__:
        default = inspect.cleandoc(schema.__doc__).splitlines()[0]
    return ResponseDoc(default, schema)


def needs_account(path: str) -> bool:
    """The issue's rule: /api/v3/* needs X-Telegram-Username, except /api/v3/auth/qr*."""
    return path.startswith(API_PREFIX) and not path.startswith(ACCOUNTLESS_PREFIXES)


def route(
    method: str,
    path: str,
    *,
    summary: str,
    description: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    query: SchemaLike | None = None,
    path_params: SchemaLike | None = None,
    body: SchemaLike | None = None,
    responses: Mapping[int, Any] | None = None,
    content_type: str = "application/json",
    public: bool = False,
    account: bool | None = None,
    hidden: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a route. `responses` maps a status to a schema (class or instance), a
    description, a (schema, description) pair, or a ResponseDoc. `account` defaults to
    the /api/v3 rule (``needs_account``)."""

    def declare(handler: Handler) -> Handler:
        spec = RouteSpec(
            method=method.upper(),
            path=path,
            summary=summary,
            description=description or inspect.getdoc(handler),
            tags=tuple(tags),
            operation_id=handler.__name__,
            query=_instance(query),
            path_params=_instance(path_params),
            body=_instance(body),
            responses={
                status: _response_doc(status, value)
                for status, value in (responses or {200: "Success"}).items()
            },
            content_type=content_type,
            public=public,
            account=needs_account(path) if account is None else account,
            hidden=hidden,
        )

        @functools.wraps(handler)
        async def endpoint(request: web.Request) -> web.StreamResponse:
            arguments: dict[str, Any] = {}
            if spec.path_params is not None:
                arguments["path_params"] = await _parse(request, spec.path_params, "path")
            if spec.query is not None:
                arguments["query"] = await _parse(request, spec.query, "query")
            if spec.body is not None:
                arguments["body"] = await _parse(request, spec.body, "json")
            return await handler(request, **arguments)

        endpoint.__route_spec__ = spec  # type: ignore[attr-defined]
        return endpoint

    return declare


def spec_of(handler: Any) -> RouteSpec | None:
    """The declaration of a registered handler, or None for undeclared routes."""
    return getattr(handler, "__route_spec__", None)


def request_spec(request: web.Request) -> RouteSpec | None:
    """The declaration of the route a request matched (None: no route, 404/405)."""
    return spec_of(request.match_info.route.handler)


def register_routes(app: web.Application, *handlers: Handler) -> None:
    """Add declared handlers to the app's router."""
    for handler in handlers:
        spec = spec_of(handler)
        if spec is None:
            raise TypeError(f"{handler!r} is not declared with @route")
        app.router.add_route(spec.method, spec.path, handler)


class _Parser(AIOHTTPParser):
    """webargs' aiohttp parser, reporting errors as ApiError and reading any body as JSON."""

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> Any:
        raise error

    async def load_json(self, req: web.Request, schema: Schema) -> Any:
        body = await req.read()
        if not body.strip():
            raise ApiError(400, "invalid_json", "The request body is empty: send a JSON object.")
        try:
            data = loads(body)
        except ValueError as exc:
            raise ApiError(
                400, "invalid_json", f"The request body is not valid JSON: {exc}."
            ) from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object ({...}).")
        return data


_parser = _Parser()
_LOCATIONS = {
    "path": ("match_info", 400, "invalid_parameter", "path parameter"),
    "query": ("querystring", 400, "invalid_parameter", "query parameter"),
    "json": ("json", 422, "invalid_body", "field"),
}


async def _parse(request: web.Request, schema: Schema, where: str) -> Any:
    location, status, code, what = _LOCATIONS[where]
    try:
        result = await _parser.parse(schema, request, location=location, unknown=RAISE)
    except ValidationError as exc:
        messages = exc.messages
        if isinstance(messages, dict) and set(messages) == {location}:
            messages = messages[location]  # webargs nests the messages under the location
        raise ApiError(status, code, describe_errors(messages, what)) from None
    return {} if result is core.missing else result


def default_error_responses(spec: RouteSpec) -> dict[int, ResponseDoc]:
    """Error answers every route of this shape can give (added to the spec)."""
    error = ErrorSchema()
    implied: dict[int, ResponseDoc] = {}
    if spec.query is not None or spec.path_params is not None or spec.account:
        implied[400] = ResponseDoc("Invalid parameter", error)
    if not spec.public or spec.account:
        implied[401] = ResponseDoc("Missing or wrong API key, or account not authenticated", error)
    if spec.body is not None:
        implied[400] = ResponseDoc("Missing or unparsable JSON body", error)
        implied[422] = ResponseDoc("Invalid body", error)
    implied[500] = ResponseDoc("Unexpected server error (with a request id)", error)
    return implied
