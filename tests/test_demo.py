"""The README's "Try it without a Telegram account" as real processes: `python -m
tests.fakegram serve` (demo world) and `tgsc-server` configured only by what serve wrote
into the data dir. Then the ways it stops: SIGTERM ends an open stream with
`shutting_down` and exits 0; a second SIGTERM during a slow shutdown exits at once, with
the cache intact."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakegram.testing import serve_process
from tests.processes import RemoteApp, TgscProcess
from tests.sse_client import open_events, read_stream


@pytest.fixture
async def demo(tmp_path) -> AsyncIterator[tuple[dict, TgscProcess, RemoteApp]]:
    """fakegram serve + tgsc-server exactly as README.rst says (credentials from the
    DATA_DIR/.env that serve wrote, its key from DATA_DIR/fakegram.pem)."""
    data_dir = tmp_path / "demo"
    async with serve_process(data_dir) as line, aiohttp.ClientSession() as session:
        server = TgscProcess(
            data_dir,
            "--server-key", line["server_key"],
            "--telegram-dc", f"127.0.0.1:{line['port']}",
        )  # fmt: skip
        try:
            await server.wait_healthy()
            yield line, server, RemoteApp(session, server.url)
        finally:
            server.kill()


def dialog(line: dict, title: str) -> dict:
    (found,) = [d for d in line["dialogs"] if d["title"] == title]
    return found


async def slow_history(line: dict, app: RemoteApp, seconds: float) -> None:
    control = f"http://127.0.0.1:{line['control_port']}/faults/latency"
    latency = {"method": "messages.getHistory", "seconds": seconds}
    async with app.session.post(control, json=latency) as response:
        assert response.status < 300


async def test_the_demo_world_through_a_real_server(demo):
    line, _, app = demo
    tech = dialog(line, "Tech News")
    result = await read_stream(app, f"/api/v3/history/{tech['id']}", params={"chunk_size": 1000})
    assert result.error is None, result.error
    assert result.done["total"] == len(result.messages) == tech["messages"]
    ids = result.message_ids
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    async with app.session.get(app.url("/api/v3/me"), headers=app.headers()) as response:
        assert (await response.json())["username"] == "alice"


async def test_sigterm_ends_an_open_stream_and_exits_cleanly(demo):
    line, server, app = demo
    await slow_history(line, app, 0.3)
    path = f"/api/v3/history/{dialog(line, 'Dev Chat')['id']}"
    received = []
    async with open_events(app, path, params={"chunk_size": 100}) as (response, events):
        assert response.status == 200
        async for event in events:
            received.append(event)
            if len(received) == 1:
                server.process.send_signal(signal.SIGTERM)
    assert received[0].event is None  # a batch of messages first
    assert (received[-1].event, received[-1].json()["error"]) == ("error", "shutting_down")
    status, stderr = await asyncio.to_thread(server.wait)
    assert status == 0, stderr
    assert "tgscraper stopped" in stderr


async def test_a_second_sigterm_during_a_slow_shutdown_exits_at_once(demo, tmp_path):
    line, server, app = demo
    await slow_history(line, app, 0.5)
    tech = dialog(line, "Tech News")
    sync = asyncio.ensure_future(
        app.session.post(app.url(f"/api/v3/sync/{tech['id']}"), headers=app.headers())
    )
    database = tmp_path / "demo" / "channels" / str(tech["id"]) / f"{tech['id']}.db"
    async with asyncio.timeout(60):
        while not await asyncio.to_thread(database.exists):  # noqa: ASYNC110 (the fill began)
            await asyncio.sleep(0.05)
    server.process.send_signal(signal.SIGTERM)  # shutdown waits for the running sync
    await asyncio.sleep(1)
    assert server.process.poll() is None, "the shutdown did not wait for the sync"
    server.process.send_signal(signal.SIGTERM)
    status, stderr = await asyncio.to_thread(server.wait, 15)
    assert status == 128 + signal.SIGTERM, stderr
    assert "exiting now" in stderr
    with contextlib.suppress(aiohttp.ClientError):
        (await sync).close()
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_qr_login_accepted_by_the_fakes_phone(demo):
    """A fresh login from another process: the key exchange trusts --server-key and
    starts at --telegram-dc; the control API's "phone" of bob scans the code; bob's 2FA
    password finishes it."""
    line, _, app = demo
    headers = {"Content-Type": "application/json"}
    async with app.session.post(
        app.url("/api/v3/auth/qr"), json={"username": "bobby"}, headers=headers
    ) as response:
        assert response.status == 200, await response.text()
        started = await response.json()
    control = f"http://127.0.0.1:{line['control_port']}/accounts/bob/accept-login"
    async with app.session.post(control, json={"qr_url": started["qr_url"]}) as response:
        assert response.status == 200, await response.text()
    status_url = app.url(f"/api/v3/auth/qr/{started['token']}")
    async with asyncio.timeout(60):
        while True:
            async with app.session.get(status_url) as response:
                status = await response.json()
            if status["status"] != "pending":
                break
            await asyncio.sleep(0.1)
    assert status["status"] == "password_required", status  # bob has 2FA in the demo
    (bob,) = [account for account in line["accounts"] if account["name"] == "bob"]
    async with app.session.post(
        status_url + "/2fa", json={"password": bob["password"]}, headers=headers
    ) as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["status"] == "success"
    me = app.url("/api/v3/me")
    async with app.session.get(me, headers=app.headers(account="bobby")) as response:
        assert (await response.json())["username"] == "bob"
