"""The README's Python client reads a real stream correctly (against fakegram), also when
its connection is cut in the middle of an event."""

from __future__ import annotations

import asyncio
import json
import textwrap
import urllib.error
from pathlib import Path

import pytest

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, world_ids

README = (Path(__file__).resolve().parent.parent / "README.rst").read_text()


def readme_client():
    """The `history` function of the README's "A Python client" code block."""
    section = README.split("A Python client", 1)[1]
    block = section.split(".. code-block:: python\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith("      "):
            break
        lines.append(line)
    code = textwrap.dedent("\n".join(lines))
    definitions = code.split("\n\n\nfor message in ", 1)[0]  # leave out the usage lines
    namespace: dict = {}
    exec(compile(definitions, "README.rst", "exec"), namespace)
    return namespace["history"]


@pytest.fixture
async def env(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="readme_news", members=[alice])
    vault = w.channel("Vault", members=[w.account("bob")])
    w.fill(news, 250, start=JAN_1, step=30)
    w.fill(vault, 5, start=JAN_1, step=30)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return w, app, alice, news, vault


async def test_the_readme_client_reads_every_message(env):
    w, app, alice, news, _ = env
    history = readme_client()
    base = app.url("").rstrip("/")
    messages = await asyncio.to_thread(
        lambda: list(history(base, "alice", "readme_news", end_date="2024-12-31", chunk_size=7))
    )
    assert [m["message_id"] for m in messages] == world_ids(w.world, alice.id, news.peer)


class CuttingProxy:
    """A TCP proxy in front of the app that cuts each of its first `cuts` connections in
    the middle of an event: after the `id:` line of the connection's `nth` batch and a
    few bytes of that batch's `data:` line (the server writes `id:` before `data:`)."""

    def __init__(self, port: int, *, cuts: int, nth: int):
        self.port = port
        self.cuts = cuts
        self.nth = nth
        self.connections = 0
        self.cut_ids: list[str] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, client_reader, client_writer) -> None:
        cutting = self.connections < self.cuts
        self.connections += 1
        app_reader, app_writer = await asyncio.open_connection("127.0.0.1", self.port)
        upstream = asyncio.create_task(self._pump(client_reader, app_writer))
        received = b""
        try:
            while chunk := await app_reader.read(65536):
                if not cutting:
                    client_writer.write(chunk)
                    await client_writer.drain()
                    continue
                received += chunk
                cut = self._cut_point(received)
                if cut is not None:
                    client_writer.write(received[:cut])
                    await client_writer.drain()
                    return
            client_writer.write(received if cutting else b"")
        finally:
            upstream.cancel()
            app_writer.close()
            client_writer.close()

    def _cut_point(self, received: bytes) -> int | None:
        """Where to cut: 10 bytes into the data line after the nth `id:` line."""
        position = -1
        for _ in range(self.nth):
            position = received.find(b"\nid: ", position + 1)
            if position < 0:
                return None
        line_end = received.find(b"\n", position + 1)
        if line_end < 0 or len(received) < line_end + 12:
            return None
        assert received[line_end + 1 : line_end + 7] == b"data: "
        self.cut_ids.append(received[position + 5 : line_end].decode().strip())
        return line_end + 11

    @staticmethod
    async def _pump(reader, writer) -> None:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()


async def test_the_readme_client_loses_nothing_when_cut_in_the_middle_of_an_event(env):
    w, app, alice, news, _ = env
    history = readme_client()
    proxy = CuttingProxy(app.server.port, cuts=2, nth=3)
    base = await proxy.start()
    try:
        messages = await asyncio.to_thread(
            lambda: list(history(base, "alice", "readme_news", end_date="2024-12-31",
                                 chunk_size=7))
        )  # fmt: skip
    finally:
        await proxy.close()
    assert len(proxy.cut_ids) == 2 and proxy.connections == 3
    ids = [m["message_id"] for m in messages]
    assert ids == world_ids(w.world, alice.id, news.peer)  # none lost, none twice
    # each cut fell inside a batch the client had not received whole
    assert [int(cut) for cut in proxy.cut_ids] == [ids[3 * 7 - 1], ids[5 * 7 - 1]]


async def test_the_readme_client_raises_http_errors(env):
    _, app, _, _, vault = env
    history = readme_client()
    base = app.url("").rstrip("/")
    with pytest.raises(urllib.error.HTTPError) as caught:
        await asyncio.to_thread(lambda: list(history(base, "alice", vault.peer)))
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"] == "not_found"
