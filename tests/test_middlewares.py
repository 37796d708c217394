"""The account header and API key rules, over HTTP against the real app."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import pytest
from aiohttp import web

from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route


@route("GET", "/api/v3/whoami", summary="Echo the resolved account (test route)")
async def whoami(request: web.Request) -> web.Response:
    return json_response({"account": get_account(request)})


@route("GET", "/api/v3/auth/qr/test", summary="An account-less API route (test route)")
async def qr_like(request: web.Request) -> web.Response:
    return json_response({"ok": True})


def add_test_routes(app: web.Application) -> None:
    register_routes(app, whoami, qr_like)


async def test_handler_gets_the_resolved_account(make_tgsc):
    app = await make_tgsc(accounts=("alice", "bob.smith-2"), setup=add_test_routes)
    assert await app.json("GET", "/api/v3/whoami") == {"account": "alice"}
    body = await app.json("GET", "/api/v3/whoami", account="bob.smith-2")
    assert body == {"account": "bob.smith-2"}


async def test_missing_account_header_is_401(tgsc):
    body = await tgsc.json("GET", "/api/v3/settings", account=None, status=401)
    assert body == {"error": "missing_account", "detail": "Missing X-Telegram-Username header"}


@pytest.mark.parametrize(
    "name",
    ["../x", "a/b", "", ".", "..", "a" * 65, "white space", "ü", "x\\y", "semi;colon"],
)
async def test_invalid_account_name_is_400(tgsc, name):
    body = await tgsc.json("GET", "/api/v3/settings", account=name, status=400)
    assert body["error"] == "invalid_account"
    assert "X-Telegram-Username" in body["detail"]


async def test_64_characters_is_the_longest_name(make_tgsc):
    name = "a" * 64
    app = await make_tgsc(accounts=(name,), account=name)
    await app.json("GET", "/api/v3/settings")


async def test_unknown_account_is_401_with_the_fix(tgsc):
    body = await tgsc.json("GET", "/api/v3/settings", account="carol", status=401)
    assert body == {
        "error": "not_authenticated",
        "detail": "User 'carol' not authenticated. Run: tgsc-auth carol",
    }


async def test_qr_login_routes_need_no_account(make_tgsc):
    app = await make_tgsc(setup=add_test_routes)
    assert await app.json("GET", "/api/v3/auth/qr/test", account=None) == {"ok": True}


async def test_routes_outside_the_api_need_no_account(tgsc):
    await tgsc.json("GET", "/", account=None)
    await tgsc.json("GET", "/health", account=None)


KEYS = ("first-key", "second-key")


@pytest.fixture
async def keyed(make_tgsc):
    return await make_tgsc(api_keys=KEYS)


@pytest.mark.parametrize("path", ["/", "/api/v3/settings", "/no/such/route"])
async def test_api_key_required(keyed, path):
    response = await keyed.request("GET", path, api_key=None)
    assert response.status == 401
    body = response.json()
    assert body["error"] == "api_key_required"
    assert "X-API-Key" in body["detail"] and "Bearer" in body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("key", KEYS)
async def test_every_configured_key_is_accepted_in_x_api_key(keyed, key):
    await keyed.json("GET", "/api/v3/settings", api_key=key)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_key_accepted_as_bearer_token(keyed, scheme):
    await keyed.json(
        "GET", "/api/v3/settings", api_key=None, headers={"Authorization": f"{scheme} second-key"}
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wrong"},
        {"X-API-Key": "first-key-but-longer"},
        {"Authorization": "Bearer wrong"},
    ],
)
async def test_wrong_key_is_refused(keyed, headers):
    body = await keyed.json("GET", "/api/v3/settings", api_key=None, headers=headers, status=401)
    assert body == {"error": "invalid_api_key", "detail": "Invalid API key."}


@pytest.mark.parametrize("credentials", ["anyone:first-key", ":second-key", "first-key"])
async def test_the_api_takes_no_basic_credentials(keyed, credentials):
    """A browser sends Basic credentials by itself, also with requests other sites make it
    send: only a page for people (/login) takes the key that way, the API never does."""
    encoded = base64.b64encode(credentials.encode()).decode()
    body = await keyed.json(
        "GET",
        "/api/v3/settings",
        api_key=None,
        headers={"Authorization": f"Basic {encoded}"},
        status=401,
    )
    assert body["error"] == "api_key_required"


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
async def test_health_and_docs_are_open(keyed, path):
    response = await keyed.request("GET", path, api_key=None, account=None)
    assert response.status == 200


async def test_api_key_is_checked_before_the_account(keyed):
    body = await keyed.json("GET", "/api/v3/settings", api_key=None, account=None, status=401)
    assert body["error"] == "api_key_required"


async def test_no_key_configured_means_open(tgsc):
    await tgsc.json("GET", "/api/v3/settings", api_key=None)


async def raw_request(app, *header_lines: bytes, path: bytes = b"/api/v3/settings"):
    """Send a hand-made GET (aiohttp's client refuses header values that are not UTF-8):
    (status, decoded JSON body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.server.port)
    try:
        lines = [b"GET " + path + b" HTTP/1.1", b"Host: 127.0.0.1", *header_lines]
        writer.write(b"\r\n".join([*lines, b"Connection: close", b"", b""]))
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


@pytest.mark.parametrize(
    "key_header",
    [b"X-API-Key: \xff\xfe", b"Authorization: Bearer \xff\xfe", b"X-API-Key: first-key\xff"],
)
async def test_key_bytes_that_are_not_utf8_are_a_wrong_key(keyed, key_header, caplog):
    with caplog.at_level(logging.WARNING):
        status, body = await raw_request(keyed, key_header, b"X-Telegram-Username: alice")
    assert (status, body) == (401, {"error": "invalid_api_key", "detail": "Invalid API key."})
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("name", [b"\xff\xfe", b"al\xffice", b"alice\xc3"])
async def test_account_bytes_that_are_not_utf8_are_an_invalid_name(keyed, name, caplog):
    with caplog.at_level(logging.WARNING):
        status, body = await raw_request(
            keyed, b"X-API-Key: first-key", b"X-Telegram-Username: " + name
        )
    assert status == 400
    assert body["error"] == "invalid_account"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_non_ascii_key_matches_its_utf8_bytes(make_tgsc):
    app = await make_tgsc(api_keys=("secret-clé",))
    key = "secret-clé".encode()
    status, _ = await raw_request(app, b"X-API-Key: " + key, b"X-Telegram-Username: alice")
    assert status == 200
    status, body = await raw_request(app, b"X-API-Key: " + key[:-1], b"X-Telegram-Username: a")
    assert (status, body["error"]) == (401, "invalid_api_key")
