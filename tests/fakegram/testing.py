"""Plain helpers for tests that use fakegram (the pytest fixtures wrap these).

    server = await FakeTelegram(world).start()
    client = await start_client(server, alice.id, tmp_path)   # started, logged in
    ...
    await client.stop(); await server.stop()

Importing this module makes pyrogram in this process trust the fake's RSA key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyrogram

from . import rsa_key
from .server import TEST_API_HASH, TEST_API_ID, FakeTelegram

__all__ = [
    "TEST_API_HASH",
    "TEST_API_ID",
    "FakeTelegram",
    "make_client",
    "serve_process",
    "start_client",
]

#: the checkout's root, where ``python -m tests.fakegram`` runs
ROOT = Path(__file__).resolve().parent.parent.parent

rsa_key.trust()


def make_client(
    server: FakeTelegram,
    user_id: int,
    workdir: Path | str,
    *,
    name: str | None = None,
    dc_id: int | None = None,
    **client_kwargs: Any,
) -> pyrogram.Client:
    """A pyrogram Client for an account of the world, with a session file the server
    knows (no login). `client_kwargs` go to pyrogram.Client (e.g. sleep_threshold=0)."""
    name = name or f"user{user_id}"
    server.write_session(workdir, name, user_id, dc_id=dc_id)
    client_kwargs.setdefault("api_id", server.api_id)
    client_kwargs.setdefault("api_hash", server.api_hash)
    return pyrogram.Client(name, workdir=str(workdir), **client_kwargs)


async def start_client(
    server: FakeTelegram, user_id: int, workdir: Path | str, **kwargs: Any
) -> pyrogram.Client:
    """`make_client(...)`, started (connected, get_me done)."""
    client = make_client(server, user_id, workdir, **kwargs)
    await client.start()
    return client


@contextlib.asynccontextmanager
async def serve_process(data_dir: Path, *args: str) -> AsyncIterator[dict[str, Any]]:
    """Run ``python -m tests.fakegram serve --data-dir DATA_DIR ARGS...`` in its own
    process and yield its JSON line; SIGTERM it after, and raise if it then does not
    exit cleanly."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.fakegram", "serve", "--data-dir", str(data_dir), *args),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 30)
    if status != 0:
        raise RuntimeError(f"fakegram serve exited with status {status}")
