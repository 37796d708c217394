"""SessionManager against fakegram: one lazily started client per account, shared,
evicted when Telegram rejects the session, stopped on shutdown."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from pyrogram import raw

from tests.fakegram.world.builder import WorldBuilder
from tgscraper.telegram.sessions import session_is_authorized
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route

SELF = raw.functions.users.GetFullUser(id=raw.types.InputUserSelf())


@route("GET", "/api/v3/test/me", summary="Who the account's client is (test route)")
async def me(request: web.Request) -> web.Response:
    client = await request.app[SESSIONS].get(get_account(request))
    full = await client.invoke(SELF)
    return json_response({"user_id": full.users[0].id, "client": id(client)})


def add_routes(app: web.Application) -> None:
    register_routes(app, me)


@pytest.fixture
async def world():
    w = WorldBuilder()
    return {"alice": w.account("alice"), "bob": w.account("bob"), "world": w.world}


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world["world"])


@pytest.fixture
async def app(make_tgsc, server):
    return await make_tgsc(telegram=server, setup=add_routes)


async def test_client_is_created_on_first_use_and_shared(app, server, world):
    assert app.app[SESSIONS].connected == 0
    assert server.calls["updates.getState"] == 0
    first = await app.json("GET", "/api/v3/test/me")
    second = await app.json("GET", "/api/v3/test/me")
    assert first["user_id"] == world["alice"].id
    assert second["client"] == first["client"]
    assert server.calls["updates.getState"] == 1  # one client start
    health = await app.json("GET", "/health")
    assert health["accounts_connected"] == 1


async def test_concurrent_first_requests_create_exactly_one_client(app, server):
    answers = await asyncio.gather(*(app.json("GET", "/api/v3/test/me") for _ in range(8)))
    assert len({answer["client"] for answer in answers}) == 1
    assert server.calls["updates.getState"] == 1
    assert app.app[SESSIONS].connected == 1


async def test_each_account_gets_its_own_client(app, world):
    alice = await app.json("GET", "/api/v3/test/me")
    bob = await app.json("GET", "/api/v3/test/me", account="bob")
    assert (alice["user_id"], bob["user_id"]) == (world["alice"].id, world["bob"].id)
    assert alice["client"] != bob["client"]
    assert (await app.json("GET", "/health"))["accounts_connected"] == 2


@pytest.mark.parametrize("error", ["AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "USER_DEACTIVATED"])
async def test_rejected_session_is_401_and_the_client_is_evicted(app, server, world, error):
    first = await app.json("GET", "/api/v3/test/me")
    client = await app.app[SESSIONS].get("alice")
    server.faults.fail("users.getFullUser", 401, error)
    body = await app.json("GET", "/api/v3/test/me", status=401)
    assert body["error"] == "session_rejected"
    assert error in body["detail"]
    assert "tgsc-auth alice" in body["detail"]
    assert not client.is_connected
    assert app.app[SESSIONS].connected == 0
    # the same session file is not tried again: 401 at once, Telegram is not called
    calls = sum(server.calls.values())
    assert (await app.json("GET", "/api/v3/test/me", status=401)) == body
    assert sum(server.calls.values()) == calls
    # a new login (a new session file) is used at once
    server.write_session(app.data_dir / "sessions", "alice", world["alice"].id)
    again = await app.json("GET", "/api/v3/test/me")
    assert again["client"] != first["client"]
    assert server.calls["updates.getState"] == 2


async def test_evict_for_relogin_clears_a_rejection(app, server):
    await app.json("GET", "/api/v3/test/me")
    server.faults.fail("users.getFullUser", 401, "AUTH_KEY_UNREGISTERED")
    await app.json("GET", "/api/v3/test/me", status=401)
    await app.app[SESSIONS].evict("alice")
    await app.json("GET", "/api/v3/test/me")


async def test_duplicated_key_is_401_too(app, server):
    await app.json("GET", "/api/v3/test/me")
    server.faults.fail("users.getFullUser", 406, "AUTH_KEY_DUPLICATED")
    body = await app.json("GET", "/api/v3/test/me", status=401)
    assert "AUTH_KEY_DUPLICATED" in body["detail"]
    assert app.app[SESSIONS].connected == 0


async def test_rejection_during_start_is_401(app, server):
    server.faults.fail("updates.getState", 401, "AUTH_KEY_UNREGISTERED")
    body = await app.json("GET", "/api/v3/test/me", status=401)
    assert body["error"] == "session_rejected"
    assert app.app[SESSIONS].connected == 0


async def test_clients_are_stopped_on_shutdown(app):
    await app.json("GET", "/api/v3/test/me")
    client = await app.app[SESSIONS].get("alice")
    assert client.is_connected
    await app.close()
    assert not client.is_connected


async def test_evict_stops_and_forgets(app):
    await app.json("GET", "/api/v3/test/me")
    manager = app.app[SESSIONS]
    client = await manager.get("alice")
    await manager.evict("alice")
    assert not client.is_connected
    assert not manager.is_started("alice")
    await manager.evict("alice")  # nothing left to evict: no error


async def test_session_file_without_login_is_401_without_dialing(make_tgsc, tmp_path):
    app = await make_tgsc(setup=add_routes)  # placeholder session: exists, no auth key
    body = await app.json("GET", "/api/v3/test/me", status=401)
    assert body == {
        "error": "not_authenticated",
        "detail": "User 'alice' not authenticated. Run: tgsc-auth alice",
    }
    assert app.app[SESSIONS].connected == 0


async def test_session_file_check(server, world, tmp_path):
    written = server.write_session(tmp_path, "alice", world["alice"].id)
    assert session_is_authorized(written)
    assert not session_is_authorized(tmp_path / "missing.session")
    (tmp_path / "empty.session").touch()
    assert not session_is_authorized(tmp_path / "empty.session")
    (tmp_path / "junk.session").write_bytes(b"not sqlite at all" * 100)
    assert not session_is_authorized(tmp_path / "junk.session")


async def test_invalid_names_never_reach_the_file_system(app):
    with pytest.raises(ApiError) as error:
        await app.app[SESSIONS].get("../alice")
    assert error.value.status == 400


async def test_a_start_slower_than_the_start_timeout_is_502(make_tgsc, server):
    app = await make_tgsc(telegram=server, setup=add_routes, telegram_start_timeout_s=0.5)
    server.faults.latency("updates.getState", 30)  # a step of pyrogram's start sequence
    body = await app.json("GET", "/api/v3/test/me", status=502)
    assert body == {
        "error": "telegram_unavailable",
        "detail": "Could not connect to Telegram for 'alice' within 0.5 s; try again later.",
    }
    assert app.app[SESSIONS].connected == 0
    server.faults.clear()
    await app.json("GET", "/api/v3/test/me")  # nothing is left stuck: the next one starts
    assert app.app[SESSIONS].connected == 1


async def test_get_after_shutdown_is_503_without_dialing(app, server):
    manager = app.app[SESSIONS]
    await app.close()
    connections = server.connections_accepted
    with pytest.raises(ApiError) as error:
        await manager.get("alice")
    assert (error.value.status, error.value.code) == (503, "shutting_down")
    assert server.connections_accepted == connections
    assert manager.connected == 0


async def test_a_start_cut_short_by_shutdown_is_503(app, server):
    server.faults.latency("updates.getState", 30)
    getting = asyncio.create_task(app.app[SESSIONS].get("alice"))
    async with asyncio.timeout(60):
        while server.calls["updates.getState"] == 0:  # noqa: ASYNC110 (the start is under way)
            await asyncio.sleep(0.01)
    await app.close()
    with pytest.raises(ApiError) as error:
        await getting
    assert (error.value.status, error.value.code) == (503, "shutting_down")
    assert app.app[SESSIONS].connected == 0
