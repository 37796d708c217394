"""The README's Python client reads a real stream correctly (against fakegram)."""

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


async def test_the_readme_client_raises_http_errors(env):
    _, app, _, _, vault = env
    history = readme_client()
    base = app.url("").rstrip("/")
    with pytest.raises(urllib.error.HTTPError) as caught:
        await asyncio.to_thread(lambda: list(history(base, "alice", vault.peer)))
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"] == "not_found"
