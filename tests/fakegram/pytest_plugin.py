"""pytest fixtures for fakegram (registered in tests/conftest.py).

async def test_something(fakegram, fakegram_client):
    server = await fakegram(world)                 # started; stopped after the test
    client = await fakegram_client(server, alice.id, sleep_threshold=0)  # started
    ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pyrogram
import pytest_asyncio

from .testing import FakeTelegram, start_client

StartServer = Callable[..., Awaitable[FakeTelegram]]
StartClient = Callable[..., Awaitable[pyrogram.Client]]


@pytest_asyncio.fixture
async def fakegram() -> AsyncIterator[StartServer]:
    """`await fakegram(world=None, **FakeTelegram kwargs)` -> a started FakeTelegram."""
    servers: list[FakeTelegram] = []

    async def start(world: Any = None, **kwargs: Any) -> FakeTelegram:
        server = FakeTelegram(world, **kwargs)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.stop()


@pytest_asyncio.fixture
async def fakegram_client(fakegram: StartServer, tmp_path_factory) -> AsyncIterator[StartClient]:
    """`await fakegram_client(server, user_id, **pyrogram.Client kwargs)` -> a started
    client logged into that account (stopped after the test, before the server)."""
    clients: list[pyrogram.Client] = []
    workdir = tmp_path_factory.mktemp("fakegram-sessions")

    async def start(server: FakeTelegram, user_id: int, **kwargs: Any) -> pyrogram.Client:
        kwargs.setdefault("name", f"user{user_id}-{len(clients)}")
        client = await start_client(server, user_id, workdir, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        if client.is_connected:
            await client.stop()
