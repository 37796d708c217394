"""fakegram outside pytest: the control API and `python -m tests.fakegram serve`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pyrogram
import pytest
from pyrogram import raw
from pyrogram.errors import FloodWait, Unauthorized
from pyrogram.qrlogin import QRLogin

from tests.fakegram import rsa_key
from tests.fakegram.control import start_control
from tests.fakegram.roundtrip import measure
from tests.fakegram.testing import TEST_API_HASH, TEST_API_ID, serve_process
from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.worlddump import save_world

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world():
    w = WorldBuilder(now=1_700_000_000)
    alice = w.account("alice")
    bob = w.user("bob")
    news = w.channel("News", username="news", members=[alice])
    w.fill(news, 30, start=1_699_000_000, step=60)
    dm = w.private(alice, bob)
    w.post(dm, "hi", sender=bob, date=1_699_500_000)
    return w.world


@pytest.fixture
async def control(fakegram, world):
    server = await fakegram(world)
    runner, port = await start_control(server)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        yield server, http
    await runner.cleanup()


async def newest_message(client: pyrogram.Client, chat) -> pyrogram.types.Message:
    async for message in client.get_chat_history(chat, limit=1):
        return message
    raise AssertionError("the chat is empty")


def alice_of(world):
    return next(user for user in world.accounts() if user.username == "alice")


async def test_posted_edited_and_deleted_messages_reach_the_client(control, fakegram_client, world):
    server, http = control
    client = await fakegram_client(server, alice_of(world).id)
    async with http.post("/chats/news/messages", json={"text": "breaking"}) as response:
        assert response.status == 201
        posted = await response.json()
    assert posted["id"] == 31
    newest = await newest_message(client, "news")
    assert (newest.id, newest.text) == (31, "breaking")

    async with http.patch("/chats/news/messages/31", json={"text": "fixed"}) as response:
        assert response.status == 200
    (message,) = await client.get_messages("news", [31])
    assert message.text == "fixed" and message.edit_date is not None

    async with http.delete("/chats/news/messages/31") as response:
        assert response.status == 200
    assert (await newest_message(client, "news")).id == 30


async def test_private_chat_and_media_through_the_control_api(control, fakegram_client, world):
    server, http = control
    client = await fakegram_client(server, alice_of(world).id)
    body = {"account": "alice", "text": "look", "sender": "bob", "media": {"type": "photo"}}
    async with http.post("/chats/bob/messages", json=body) as response:
        assert response.status == 201, await response.text()
    bob = next(u for u in world.users.values() if u.username == "bob")
    newest = await newest_message(client, bob.id)
    assert newest.caption == "look" and newest.photo is not None

    async with http.post("/chats/bob/messages", json={"text": "x"}) as response:
        assert response.status == 400
        assert "account" in (await response.json())["error"]
    async with http.post("/chats/nobody/messages", json={"text": "x"}) as response:
        assert response.status == 404


async def test_faults_and_counters_through_the_control_api(control, fakegram_client, world):
    server, http = control
    client = await fakegram_client(server, alice_of(world).id, sleep_threshold=0)
    async with http.delete("/calls") as response:
        assert response.status == 200
    flood = {"method": "help.getNearestDc", "burst": 1, "refill_seconds": 20}
    async with http.post("/faults/flood", json=flood) as response:
        assert (await response.json())["flood"] == {
            "help.getNearestDc": {"burst": 1, "refill_seconds": 20.0}
        }
    await client.invoke(raw.functions.help.GetNearestDc())
    with pytest.raises(FloodWait) as caught:
        await client.invoke(raw.functions.help.GetNearestDc())
    assert caught.value.value == 20
    async with http.post("/faults/flood", json={"method": "help.getNearestDc"}) as response:
        assert (await response.json())["flood"] == {}  # no refill_seconds: removed
    await client.invoke(raw.functions.help.GetNearestDc())

    error = {"method": "updates.getState", "code": 420, "message": "FLOOD_WAIT_3"}
    async with http.post("/faults/error", json=error):
        pass
    with pytest.raises(FloodWait) as caught:
        await client.invoke(raw.functions.updates.GetState())
    assert caught.value.value == 3

    async with http.get("/calls") as response:
        calls = await response.json()
    assert calls["calls"] == {"help.getNearestDc": 3, "updates.getState": 1}
    async with http.delete("/faults") as response:
        assert (await response.json())["flood"] == {}
    async with http.post("/connections/drop", json={}) as response:
        assert (await response.json())["dropped"] == 1
    assert isinstance(
        await client.invoke(raw.functions.updates.GetState()), raw.types.updates.State
    )
    assert server.connections_accepted == 2


async def test_latency_drop_byte_rate_and_restart_through_the_control_api(
    control, fakegram_client, world
):
    server, http = control
    client = await fakegram_client(server, alice_of(world).id)
    latency = {"method": "messages.getHistory", "seconds": 0.05, "jitter": 0.01}
    async with http.post("/faults/latency", json=latency) as response:
        assert (await response.json())["latency"] == {
            "messages.getHistory": {"seconds": 0.05, "jitter": 0.01}
        }
    rate = {"bytes_per_second": 1_000_000}
    async with http.post("/faults/byte-rate", json=rate) as response:
        assert (await response.json())["byte_rate"] == {"upload.getFile": 1_000_000}
    drop = {"method": "messages.getHistory", "after": 1}
    async with http.post("/faults/drop", json=drop) as response:
        assert (await response.json())["drops"] == [
            {"method": "messages.getHistory", "after": 1, "mid_response": False}
        ]
    assert (await newest_message(client, "news")).id == 30  # answered after a reconnect
    assert server.connections_accepted == 2
    async with http.get("/faults") as response:
        assert (await response.json())["drops"] == []  # a drop rule fires once

    body = {"text": "before the restart", "media": {"type": "document", "size": 50_000}}
    async with http.post("/chats/news/messages", json=body) as response:
        posted = await response.json()
    async with http.post("/restart") as response:
        assert (await response.json()) == {"restarted": True}
    newest = await newest_message(client, "news")  # the world survived the restart
    assert (newest.id, newest.caption) == (posted["id"], "before the restart")
    data = await client.download_media(newest, in_memory=True)  # at the slow byte rate
    assert len(data.getvalue()) == 50_000
    assert server.connections_accepted >= 3

    photo = {"media": {"type": "photo"}}
    async with http.patch(f"/chats/news/messages/{posted['id']}", json=photo) as response:
        assert response.status == 200
    (edited,) = await client.get_messages("news", [posted["id"]])
    assert edited.photo is not None and edited.caption == "before the restart"
    async with http.patch("/chats/news/messages/31", json={"media": {"type": "poll"}}) as response:
        assert response.status == 400 and "media type" in (await response.json())["error"]


async def test_accept_login_through_the_control_api(control, world, tmp_path):
    server, http = control
    client = server.fresh_client("fresh", tmp_path)
    assert await client.connect() is False
    try:
        qr = QRLogin(client)
        await qr.recreate()
        waiting = asyncio.create_task(qr.wait(timeout=20))
        url = "/accounts/alice/accept-login"
        async with http.post(url, json={"qr_url": qr.url}) as response:
            assert (await response.json()) == {"accepted": True, "account": "alice"}
        assert (await waiting).id == alice_of(world).id
        async with http.post(url, json={"qr_url": qr.url}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "AUTH_TOKEN_ALREADY_ACCEPTED"
        async with http.post(url, json={"qr_url": "tg://login?token=bm9wZQ"}) as response:
            assert (await response.json())["error"] == "AUTH_TOKEN_INVALIDX"
        for bad in ({}, ["not", "an", "object"]):
            async with http.post(url, json=bad) as response:
                assert response.status == 400
        async with http.post("/accounts/news/accept-login", json={"qr_url": qr.url}) as response:
            assert response.status == 400
    finally:
        await client.disconnect()


async def test_log_out_revokes_the_account_keys(control, fakegram_client, world):
    server, http = control
    client = await fakegram_client(server, alice_of(world).id)
    async with http.post("/accounts/alice/log-out") as response:
        assert (await response.json()) == {"logged_out": 1}
    with pytest.raises(Unauthorized):
        await client.invoke(raw.functions.updates.GetState())
    async with http.post("/accounts/news/log-out") as response:
        assert response.status == 400


async def test_world_summary(control, world):
    _, http = control
    async with http.get("/world") as response:
        summary = await response.json()
    assert [a["name"] for a in summary["accounts"]] == ["alice"]
    dialogs = {d["title"]: d for d in summary["dialogs"]}
    assert dialogs["News"]["type"] == "channel" and dialogs["News"]["messages"] == 30
    assert dialogs["Bob"]["type"] == "private" and dialogs["Bob"]["messages"] == 1


async def test_roundtrip_measures_what_it_names():
    lines = await measure(calls=5)
    figures = {line["figure"]: line for line in lines}
    assert list(figures) == [
        "get_history_100_ms",
        "get_history_1_ms",
        "fake_share_100_ms",
        "client_read_100_ms",
    ]
    assert all(line["bench"] == "fakegram_roundtrip" and line["unit"] == "ms" for line in lines)
    assert all(line["value"] > 0 and line["calls"] == 5 for line in lines)
    assert figures["get_history_100_ms"]["get_history_calls"] == 10  # 5 pages of each size
    assert "ok" in figures["get_history_100_ms"]


def test_public_key_command_prints_the_fake_key():
    pem = subprocess.run(
        [sys.executable, "-m", "tests.fakegram", "public-key"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert pem == rsa_key.public_key_pem()
    assert pem.startswith("-----BEGIN RSA PUBLIC KEY-----")


def free_ports(count: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def read_texts(*paths: str) -> list[str]:
    return [Path(path).read_text() for path in paths]


async def test_serve_prints_its_line_writes_sessions_and_obeys_the_control_api(tmp_path, world):
    save_world(world, tmp_path / "world.json")
    dc2, dc4, control_port = free_ports(3)
    ports = ("--port", str(dc2), "--dc4-port", str(dc4), "--control-port", str(control_port))
    async with serve_process(tmp_path, "--world", str(tmp_path / "world.json"), *ports) as line:
        assert line["api_id"] == TEST_API_ID and line["api_hash"] == TEST_API_HASH
        assert (line["port"], line["dc_ports"]) == (dc2, {"2": dc2, "4": dc4})
        assert line["control_port"] == control_port
        assert [a["name"] for a in line["accounts"]] == ["alice"]
        session = tmp_path / "sessions" / "alice.session"
        assert session.stat().st_mode & 0o777 == 0o600
        env, key = await asyncio.to_thread(read_texts, line["env_file"], line["server_key"])
        assert env == f"TELEGRAM_API_ID={TEST_API_ID}\nTELEGRAM_API_HASH={TEST_API_HASH}\n"
        assert key == rsa_key.public_key_pem()
        assert Path(line["env_file"]).parent == Path(line["server_key"]).parent == tmp_path
        (channel,) = [d for d in line["dialogs"] if d["type"] == "channel"]
        assert (channel["title"], channel["messages"]) == ("News", 30)

        client = pyrogram.Client(
            "alice",
            TEST_API_ID,
            TEST_API_HASH,
            workdir=str(tmp_path / "sessions"),
            no_updates=True,
        )
        async with client:
            assert client.me.username == "alice"
            async with aiohttp.ClientSession(f"http://127.0.0.1:{line['control_port']}") as http:
                url = f"/chats/{channel['id']}/messages"
                async with http.post(url, json={"text": "from the control API"}) as response:
                    assert response.status == 201, await response.text()
                    posted = await response.json()
            newest = await newest_message(client, channel["id"])
            assert (newest.id, newest.text) == (posted["id"], "from the control API")


async def test_serve_with_the_demo_world(tmp_path):
    async with serve_process(tmp_path) as line:
        assert line["accounts"] and line["dialogs"]
        for account in line["accounts"]:
            assert (tmp_path / "sessions" / f"{account['name']}.session").is_file()
        assert max(d["messages"] for d in line["dialogs"]) >= 1000
        assert {"channel", "supergroup", "group", "private"} <= {d["type"] for d in line["dialogs"]}
        account = line["accounts"][0]
        client = pyrogram.Client(
            account["name"],
            TEST_API_ID,
            TEST_API_HASH,
            workdir=str(tmp_path / "sessions"),
            no_updates=True,
        )
        async with client:
            assert client.me.id == account["id"]
            dialogs = [d async for d in client.get_dialogs()]
            assert dialogs


async def test_serve_reports_a_bad_world_file(tmp_path):
    (tmp_path / "world.json").write_text('{"users": [{"username": "x", "colour": "red"}]}')
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.fakegram", "serve", "--data-dir", str(tmp_path)),
        "--world",
        str(tmp_path / "world.json"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert stdout == b""
    assert b"colour" in stderr
