"""How fast fakegram answers: `python -m tests.fakegram roundtrip [--calls N]`.

The issue's speed target: on loopback with no injected latency a messages.getHistory
round trip takes about a millisecond, so the suite stays fast. Measured with the stock
pyrogram client against a channel of 10,000 messages, one process (client and server share
the event loop, as in the tests), pages at varying offsets so the fake's per-message cache
is cold and warm alike. Prints one JSON line per figure (the format of bench/):

* ``get_history_100_ms``: median round trip of a full page (100 messages), pyrogram's raw
  ``invoke`` (TL reading included, no parsing into pyrogram types);
* ``get_history_1_ms``: the same for a page of one message (the fixed cost of a call);
* ``fake_share_100_ms``: the fake's own part of a full page (handler, TL writing, gzip),
  timed without the wire; ``client_read_100_ms``: pyrogram reading that answer.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import tempfile
import time
from io import BytesIO
from typing import Any

from pyrogram import raw
from pyrogram.raw.core import TLObject

from .calls import encode_result
from .rpc import HANDLERS, CallContext
from .testing import start_client
from .world.builder import WorldBuilder

BENCH = "fakegram_roundtrip"
MESSAGES = 10_000
T0 = 1_700_000_000


def _world():
    w = WorldBuilder(now=T0 + MESSAGES)
    alice = w.account("alice")
    news = w.channel("News", username="news", members=[alice], date=T0)
    w.fill(news, MESSAGES, start=T0, step=0.5)
    return w.world, alice, news


def _page(peer: Any, index: int, limit: int) -> raw.functions.messages.GetHistory:
    offset_id = MESSAGES - (index * 97) % (MESSAGES - 200)
    return raw.functions.messages.GetHistory(
        peer=peer,
        offset_id=offset_id,
        offset_date=0,
        add_offset=0,
        limit=limit,
        max_id=0,
        min_id=0,
        hash=0,
    )


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


async def _shares(world: Any, alice: Any, news: Any, calls: int) -> tuple[float, float]:
    """(the fake's time, pyrogram's reading time) for one full page, without the wire."""
    ctx = CallContext(
        server=None, world=world, dc_id=2, auth_key_id=0, user_id=alice.id, connection=None
    )
    peer = raw.types.InputPeerChannel(
        channel_id=news.id, access_hash=world.access_hash(alice.id, news.peer)
    )
    fake, client = [], []
    for index in range(calls):
        request = _page(peer, index, 100)
        started = time.perf_counter()
        body = encode_result(await HANDLERS[type(request)](ctx, request))
        gzip.compress(body, compresslevel=6)
        written = time.perf_counter()
        TLObject.read(BytesIO(body))
        fake.append(written - started)
        client.append(time.perf_counter() - written)
    return _ms(fake), _ms(client)


async def measure(calls: int = 300) -> list[dict[str, Any]]:
    """The figures (see the module docstring), `calls` round trips per page size."""
    world, alice, news = _world()
    figures = []
    with tempfile.TemporaryDirectory(prefix="fakegram-roundtrip-") as workdir:
        from .server import FakeTelegram

        async with FakeTelegram(world) as server:
            client = await start_client(server, alice.id, workdir, no_updates=True)
            try:
                peer = await client.resolve_peer("news")
                server.reset_calls()
                for limit in (100, 1):
                    times = []
                    for index in range(calls):
                        request = _page(peer, index, limit)
                        started = time.perf_counter()
                        answer = await client.invoke(request)
                        times.append(time.perf_counter() - started)
                        if len(answer.messages) != limit:
                            raise AssertionError(f"a page of {len(answer.messages)} messages")
                    figures.append((f"get_history_{limit}_ms", _ms(times)))
                counted = server.calls["messages.getHistory"]
            finally:
                await client.stop()
    fake, read = await _shares(world, alice, news, calls)
    figures += [("fake_share_100_ms", fake), ("client_read_100_ms", read)]
    load = round(os.getloadavg()[0], 2)
    lines = []
    for figure, value in figures:
        line = {"bench": BENCH, "figure": figure, "value": value, "unit": "ms"}
        if figure == "get_history_100_ms":
            line |= {"target": "about 1 ms (<= 2 ms)", "ok": value <= 2.0}
        lines.append(line | {"calls": calls, "cpus": os.cpu_count(), "load_avg_1m": load})
    lines[0]["get_history_calls"] = counted
    return lines


def print_figures(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        print(json.dumps(line), flush=True)
