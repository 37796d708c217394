"""Every failure is JSON {"error", "detail"} with the right status (real HTTP)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiohttp import web
from marshmallow import Schema, fields, validate
from pyrogram import errors as tg_errors
from pyrogram import raw

from tests.fakegram.world.builder import WorldBuilder
from tests.sse_client import read_stream
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route
from tgscraper.web.sse import open_stream

JSON_TYPE = {"Content-Type": "application/json"}


@route("GET", "/test/boom", summary="Fails unexpectedly (test route)")
async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


@route("GET", "/test/api-error", summary="Raises ApiError (test route)")
async def api_error(request: web.Request) -> web.Response:
    raise ApiError(409, "conflict_here", "Two things collide.", {"X-Extra": "1"})


TELEGRAM_ERRORS = {
    "flood": (420, "FLOOD_WAIT_7"),
    "slowmode": (420, "SLOWMODE_WAIT_3"),
    "private": (400, "CHANNEL_PRIVATE"),
    "username": (400, "USERNAME_NOT_OCCUPIED"),
    "peer": (400, "PEER_ID_INVALID"),
    "other": (400, "MESSAGE_TOO_LONG"),
    "internal": (500, "API_CALL_ERROR"),
    "unregistered": (401, "AUTH_KEY_UNREGISTERED"),
}


@route("GET", "/test/telegram/{kind}", summary="Raises a pyrogram error (test route)")
async def telegram_error(request: web.Request) -> web.Response:
    """Raise the exception pyrogram raises for that rpc_error answer."""
    code, message = TELEGRAM_ERRORS[request.match_info["kind"]]
    answer = raw.types.RpcError(error_code=code, error_message=message)
    tg_errors.RPCError.raise_it(answer, raw.functions.messages.GetHistory)


class PageQuery(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    name = fields.String()


class ItemPath(Schema):
    item_id = fields.Integer(required=True)


@route(
    "GET",
    "/test/items/{item_id}",
    summary="Parses path and query (test route)",
    query=PageQuery,
    path_params=ItemPath,
)
async def items(request: web.Request, *, query: dict, path_params: dict) -> web.Response:
    return json_response({"query": query, "path": path_params})


def add_test_routes(app: web.Application) -> None:
    register_routes(app, boom, api_error, telegram_error, items)


@pytest.fixture
async def app(make_tgsc):
    return await make_tgsc(setup=add_test_routes)


async def test_unknown_route_is_404_json(tgsc):
    response = await tgsc.request("GET", "/no/such/thing")
    assert response.status == 404
    assert response.content_type == "application/json"
    body = response.json()
    assert body["error"] == "not_found"
    assert "/no/such/thing" in body["detail"]


async def test_wrong_method_is_405_json_with_allow(tgsc):
    response = await tgsc.request("DELETE", "/api/v3/settings")
    assert response.status == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "PATCH"}
    body = response.json()
    assert body["error"] == "method_not_allowed"
    assert "DELETE" in body["detail"]


async def test_a_body_over_the_size_limit_is_413_json(tgsc):
    response = await tgsc.request(
        "PATCH", "/api/v3/settings", data=b" " * (1024 * 1024 + 1), headers=JSON_TYPE
    )
    assert response.status == 413
    assert response.json() == {
        "error": "body_too_large",
        "detail": "The request body is too large.",
    }


async def test_unexpected_exception_is_500_json_with_request_id(app, caplog):
    with caplog.at_level(logging.ERROR, logger="tgscraper"):
        response = await app.request("GET", "/test/boom")
    assert response.status == 500
    body = response.json()
    assert set(body) == {"error", "detail", "request_id"}
    assert body["error"] == "internal_error"
    assert body["request_id"] in body["detail"]
    assert response.headers["X-Request-Id"] == body["request_id"]
    assert "secret internal detail" not in body["detail"]
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert body["request_id"] in logged
    assert "secret internal detail" in logged


async def test_api_error_keeps_status_code_detail_and_headers(app):
    response = await app.request("GET", "/test/api-error")
    assert response.status == 409
    assert response.headers["X-Extra"] == "1"
    assert response.json() == {"error": "conflict_here", "detail": "Two things collide."}


async def test_flood_wait_is_429_with_retry_after(app):
    response = await app.request("GET", "/test/telegram/flood")
    assert response.status == 429
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert body["error"] == "flood_wait"
    assert "7 s" in body["detail"]


async def test_other_flood_waits_are_429_too(app):
    response = await app.request("GET", "/test/telegram/slowmode")
    assert response.status == 429
    assert response.headers["Retry-After"] == "3"


@pytest.mark.parametrize(
    ("kind", "status", "code", "telegram_name"),
    [
        ("private", 403, "no_access", "CHANNEL_PRIVATE"),
        ("username", 404, "not_found", "USERNAME_NOT_OCCUPIED"),
        ("peer", 404, "not_found", "PEER_ID_INVALID"),
        ("other", 502, "telegram_error", "MESSAGE_TOO_LONG"),
        ("internal", 502, "telegram_error", "API_CALL_ERROR"),
        ("unregistered", 401, "session_rejected", "AUTH_KEY_UNREGISTERED"),
    ],
)
async def test_telegram_errors_map_to_statuses(app, kind, status, code, telegram_name):
    body = await app.json("GET", f"/test/telegram/{kind}", status=status)
    assert body["error"] == code
    assert telegram_name in body["detail"]


async def test_valid_path_and_query_are_parsed(app):
    body = await app.json("GET", "/test/items/5?limit=20&name=x")
    assert body == {"query": {"limit": 20, "name": "x"}, "path": {"item_id": 5}}
    assert (await app.json("GET", "/test/items/6"))["query"] == {"limit": 10}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/test/items/5?limit=0", "query parameter 'limit'"),
        ("/test/items/5?limit=lots", "query parameter 'limit'"),
        ("/test/items/5?colour=red", "query parameter 'colour'"),
        ("/test/items/abc", "path parameter 'item_id'"),
    ],
)
async def test_invalid_parameters_are_400_naming_them(app, url, words):
    body = await app.json("GET", url, status=400)
    assert body["error"] == "invalid_parameter"
    assert words in body["detail"]


# -- Telegram out of reach: 502 telegram_unavailable, never 500 ----------------------

SELF = raw.functions.users.GetFullUser(id=raw.types.InputUserSelf())


async def ask_telegram(request: web.Request) -> None:
    """users.getFullUser through the account's client, giving up after 2 tries at once
    (pyrogram's default, 10 tries 1 s apart, would only make the test slow)."""
    client = await request.app[SESSIONS].get(get_account(request))
    await client.invoke(SELF, retries=2, retry_delay=0)


@route("GET", "/api/v3/test/unreachable", summary="Telegram gives no answer (test route)")
async def unreachable(request: web.Request) -> web.Response:
    await ask_telegram(request)
    return json_response({"ok": True})


@route("GET", "/api/v3/test/unreachable/stream", summary="The same in a stream (test route)")
async def unreachable_stream(request: web.Request) -> web.StreamResponse:
    async with open_stream(request) as stream:
        await stream.send({"started": True})
        await ask_telegram(request)
    return stream.response


@route("GET", "/api/v3/test/stopped-client", summary="A client stopped meanwhile (test route)")
async def stopped_client(request: web.Request) -> web.Response:
    client = await request.app[SESSIONS].get(get_account(request))
    await request.app[SESSIONS].evict(get_account(request))
    await client.invoke(SELF)  # pyrogram: ConnectionError "Client has not been started yet"
    return json_response({"ok": True})


@route("GET", "/api/v3/test/own-timeout", summary="Our own timeout around a call (test route)")
async def own_timeout(request: web.Request) -> web.Response:
    client = await request.app[SESSIONS].get(get_account(request))
    async with asyncio.timeout(0.2):
        await client.invoke(SELF)
    return json_response({"ok": True})


@route("GET", "/test/own-os-error", summary="Our own OSError (test route)")
async def own_os_error(request: web.Request) -> web.Response:
    await asyncio.to_thread(Path("/nonexistent/tgscraper-test").read_bytes)
    return json_response({"ok": True})


def add_unreachable_routes(app: web.Application) -> None:
    register_routes(app, unreachable, unreachable_stream, stopped_client, own_timeout, own_os_error)


@pytest.fixture
async def telegram(fakegram):
    w = WorldBuilder()
    w.account("alice")
    return await fakegram(w.world)


@pytest.fixture
async def reachable(make_tgsc, telegram):
    return await make_tgsc(telegram=telegram, setup=add_unreachable_routes)


async def test_telegram_giving_no_answer_is_502(reachable, telegram):
    await reachable.json("GET", "/api/v3/test/unreachable")
    telegram.faults.fail("users.getFullUser", 500, "RPC_CALL_FAIL", times=100)
    telegram.reset_calls()
    body = await reachable.json("GET", "/api/v3/test/unreachable", status=502)
    assert body["error"] == "telegram_unavailable"
    assert "Could not reach Telegram" in body["detail"]
    assert "users.GetFullUser" in body["detail"]  # pyrogram's "Failed to invoke ..."
    assert telegram.calls["users.getFullUser"] == 2  # pyrogram did try, and gave up


async def test_telegram_unreachable_in_a_stream_is_an_error_event(reachable, telegram):
    await reachable.json("GET", "/api/v3/test/unreachable")  # the client is started
    telegram.faults.fail("users.getFullUser", 500, "RPC_CALL_FAIL", times=100)
    result = await read_stream(reachable, "/api/v3/test/unreachable/stream")
    assert result.status == 200
    assert result.events[0].json() == {"started": True}
    assert result.error["error"] == "telegram_unavailable"


async def test_a_client_with_no_connection_is_502(reachable):
    body = await reachable.json("GET", "/api/v3/test/stopped-client", status=502)
    assert body["error"] == "telegram_unavailable"
    assert "not been started" in body["detail"]


async def test_our_own_timeout_around_a_telegram_call_stays_a_500(reachable, telegram):
    await reachable.json("GET", "/api/v3/test/unreachable")  # the client is started
    telegram.faults.latency("users.getFullUser", 30)
    body = await reachable.json("GET", "/api/v3/test/own-timeout", status=500)
    assert body["error"] == "internal_error"


async def test_our_own_os_error_stays_a_500(make_tgsc):
    app = await make_tgsc(setup=add_unreachable_routes)
    body = await app.json("GET", "/test/own-os-error", status=500)
    assert body["error"] == "internal_error"
