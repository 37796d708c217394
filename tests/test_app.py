"""The app's lifetime: shared objects exist while it runs and are closed on shutdown."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from tests.fakegram.world.builder import WorldBuilder
from tgscraper import __version__
from tgscraper.web.appkeys import CACHE, CONFIG, JOBS, SESSIONS, SETTINGS, STREAMS
from tgscraper.web.json import json_response
from tgscraper.web.routing import register_routes, route


async def test_shared_objects_exist_while_running(tgsc):
    for key in (CONFIG, SETTINGS, SESSIONS, JOBS, STREAMS, CACHE):
        assert key in tgsc.app
    assert tgsc.app[CONFIG].data_dir == tgsc.data_dir


async def test_shutdown_cancels_jobs_and_closes_databases(tgsc):
    cache = await tgsc.app[CACHE].dialog(-1001234567890, None)
    assert cache is not None
    assert (tgsc.data_dir / "channels" / "-1001234567890" / "-1001234567890.db").is_file()
    scheduler = tgsc.app[JOBS]
    job = await scheduler.spawn(_sleep_forever())
    await tgsc.close()
    assert job.closed
    assert scheduler.closed
    with pytest.raises(RuntimeError, match="closed"):
        await tgsc.app[CACHE].dialog(-1001234567890, None)


async def _sleep_forever() -> None:
    await asyncio.get_running_loop().create_future()


@route("GET", "/test/listed", summary="A route added by a test")
async def listed(request: web.Request) -> web.Response:
    return json_response({})


@route("GET", "/test/unlisted", summary="A hidden route", hidden=True)
async def unlisted(request: web.Request) -> web.Response:
    return json_response({})


async def test_index_names_the_server_and_lists_every_declared_route(make_tgsc):
    app = await make_tgsc(setup=lambda a: register_routes(a, listed, unlisted))
    index = await app.json("GET", "/", account=None)
    assert index["name"] == "tgscraper"
    assert index["version"] == __version__
    assert (await app.request("GET", index["docs"], account=None)).status == 200
    spec = await app.json("GET", index["openapi"], account=None)
    listed_routes = [(e["method"], e["path"]) for e in index["endpoints"]]
    assert len(listed_routes) == len(set(listed_routes))
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
    }
    # every declared route, hidden ones aside, HEAD included
    assert set(listed_routes) == documented
    expected_routes = [
        ("GET", "/"),
        ("GET", "/health"),
        ("PATCH", "/api/v3/settings"),
        ("HEAD", "/api/v3/files/{uuid}"),
    ]
    for expected in expected_routes:
        assert expected in listed_routes
    assert {"method": "GET", "path": "/test/listed", "summary": "A route added by a test"} in (
        index["endpoints"]
    )
    assert ("GET", "/test/unlisted") not in listed_routes
    assert all(endpoint["summary"] for endpoint in index["endpoints"])


async def test_health_uptime_grows_from_startup(make_tgsc):
    before_start = time.monotonic()
    app = await make_tgsc()
    first = await app.json("GET", "/health", account=None)
    await asyncio.sleep(0.05)
    second = await app.json("GET", "/health", account=None)
    since_start = time.monotonic() - before_start
    assert first["status"] == second["status"] == "ok"
    assert first["version"] == __version__
    assert 0 <= first["uptime_s"] < second["uptime_s"] <= since_start + 0.001  # rounded to ms
    assert second["uptime_s"] - first["uptime_s"] >= 0.05 - 0.001


async def test_health_counts_started_clients(fakegram, make_tgsc):
    w = WorldBuilder()
    w.account("alice")
    w.account("bob")
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    sessions = app.app[SESSIONS]

    async def connected() -> int:
        return (await app.json("GET", "/health", account=None))["accounts_connected"]

    assert await connected() == 0
    await sessions.get("alice")
    assert await connected() == 1
    await sessions.get("alice")  # the same client again
    assert await connected() == 1
    await sessions.get("bob")
    assert await connected() == 2
    await sessions.evict("alice")
    assert await connected() == 1
