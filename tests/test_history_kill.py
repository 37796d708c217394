"""A real tgsc-server killed (SIGKILL) in the middle of a fill, against a real
`python -m tests.fakegram serve`: coverage never claims what was not fetched, and after a
restart the same request is complete."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from pathlib import Path

import aiohttp

from tests.fakegram.testing import serve_process
from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.worlddump import save_world
from tests.history_support import DAY, JAN_1, world_ids
from tests.processes import RemoteApp, TgscProcess
from tests.sse_client import parse_events, read_stream

END = "2024-12-31"


def coverage_and_messages(database: Path) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        coverage = db.execute("SELECT start_ts, end_ts FROM coverage ORDER BY start_ts").fetchall()
        messages = db.execute("SELECT message_id, date FROM messages").fetchall()
    return coverage, messages


async def test_sigkill_mid_fill_then_restart(tmp_path):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    news = w.channel("News", username="kill_news", members=[alice])
    w.fill(news, 6000, start=JAN_1, step=0.5)  # seconds shared by two messages
    save_world(w.world, tmp_path / "world.json")
    expected = world_ids(w.world, alice.id, news.peer)
    data_dir = tmp_path / "data"
    async with (
        serve_process(data_dir, "--world", str(tmp_path / "world.json")) as line,
        aiohttp.ClientSession() as session,
    ):
        control = f"http://127.0.0.1:{line['control_port']}"
        latency = {"method": "messages.getHistory", "seconds": 0.2}
        async with session.post(control + "/faults/latency", json=latency) as response:
            assert response.status < 300
        server = TgscProcess(data_dir)
        try:
            await server.wait_healthy()
            received: list[int] = []
            url = f"{server.url}/api/v3/history/{news.peer}"
            params = {"end_date": END, "chunk_size": "100"}
            headers = {"X-Telegram-Username": "alice"}
            async with session.get(url, params=params, headers=headers) as response:
                assert response.status == 200, await response.text()
                async for event in parse_events(response.content):
                    received.extend(m["message_id"] for m in event.json()["messages"])
                    if len(received) >= 300:
                        server.process.kill()  # SIGKILL mid-fill
                        break
            server.process.communicate(timeout=60)
        finally:
            server.stop(signal.SIGTERM)
        assert received == expected[: len(received)]

        database = data_dir / "channels" / str(news.peer) / f"{news.peer}.db"
        coverage, stored = coverage_and_messages(database)
        assert coverage, "nothing was claimed"
        dates = dict(zip(w.world.history(alice.id, news.peer).ids,
                         w.world.history(alice.id, news.peer).dates, strict=True))  # fmt: skip
        for start, end in coverage:
            claimed = sorted(mid for mid, date in stored if start <= date < end)
            truth = sorted(mid for mid, date in dates.items() if start <= date < end)
            assert claimed == truth, (start, end)
        assert len(stored) < len(expected), "the fill ended before the kill"

        async with session.post(control + "/faults/latency", json={**latency, "seconds": 0}):
            pass
        restarted = TgscProcess(data_dir)
        try:
            await restarted.wait_healthy()
            result = await read_stream(
                RemoteApp(session, restarted.url), f"/api/v3/history/{news.peer}",
                params={"end_date": END, "chunk_size": 1000},
            )  # fmt: skip
        finally:
            restarted.stop(signal.SIGTERM)
        assert result.error is None, result.error
        assert result.message_ids == expected
        assert result.done["from_cache"] >= len(received), (result.done, len(received))
        assert result.done["from_cache"] + result.done["from_telegram"] == len(expected)
