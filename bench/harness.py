"""What every benchmark shares: fakegram and the real server as processes on real ports, a
cache seeded through the cache API, a fully parsing SSE client, medians, JSON figures.

* :class:`Fakegram` — ``python -m tests.fakegram serve`` with a world file, and its control
  API (latency, flood policy, call counters). A real Telegram does not share our CPU; a
  process of its own is the closest we get.
* :class:`Server` — ``bench/probed_server.py`` (``tgsc-server`` plus a loop-lag probe):
  the server measured apart from the client. :meth:`Server.report` ends a measuring
  period: longest event-loop stall, peak and current RSS, CPU seconds.
* :func:`read_history` — one ``GET /api/v3/history/{dialog}`` read to its end: every SSE
  field parsed, every ``data`` decoded as JSON, ids checked to ascend (the benchmarks'
  chats have ids in date order), time to first event.
* ``seed.py``: :func:`seeded_cache`, a data directory with N cached messages.
* :func:`emit` — one JSON line per figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakegram.testing import serve_process  # noqa: E402
from tests.fakegram.world.builder import WorldBuilder  # noqa: E402
from tests.fakegram.world.worlddump import save_world  # noqa: E402
from tests.processes import clean_env, free_port  # noqa: E402
from tgscraper.config import prepare_data_dir  # noqa: E402
from tgscraper.settings import SettingsStore  # noqa: E402

ACCOUNT = "alice"
HEADERS = {"X-Telegram-Username": ACCOUNT}
#: 2020-01-01 00:00:00 UTC: the benchmark chats' first message
BASE_DATE = 1_577_836_800
DAY = 86_400
#: messages are dated before this (2023-01-01); requests end here
END_DATE = BASE_DATE + 3 * 365 * DAY + DAY
END_DATE_TEXT = "2022-12-31"
#: bump when the seeded data changes, so old seeds are not reused
SEED_FORMAT = 2


# -- output ----------------------------------------------------------------------------------


def emit(
    bench: str,
    figure: str,
    value: float | int | None,
    unit: str,
    *,
    target: str | None = None,
    ok: bool | None = None,
    **extra: Any,
) -> None:
    """Print one figure as one JSON line (``target`` in words, ``ok`` whether it is met)."""
    line = {"bench": bench, "figure": figure, "value": value, "unit": unit}
    if target is not None:
        line["target"] = target
        line["ok"] = ok
    line.update(extra)
    print(json.dumps(line), flush=True)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def machine() -> dict[str, Any]:
    """What the figures were measured on (load average: how shared the machine was)."""
    return {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}


def work_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"tgsc-bench-{prefix}-"))


# -- text ------------------------------------------------------------------------------------

_TEXT = (
    "the of and to in is you that it he was for on are as with his they at be this have "
    "from or one had by word but not what all were we when your can said there use an each "
    "which she do how their if will up other about out many then them these so some her "
    "would make like him into time has look two more write go see number no way could "
    "people my than first water been call who oil its now find long down day did get come "
    "made may part привет мир новости канал сообщение сегодня завтра 🚀 ✅ 📢 🔥 café naïve "
    "https://example.org/a/b?c=d #news @someone quoted 100% 3.14 2024-05-01"
)
_WORDS = _TEXT.split()


def corpus(rng: random.Random, size: int = 1 << 20) -> str:
    """A long run of words to slice message texts from (fast, varied, realistic)."""
    words = rng.choices(_WORDS, k=size // 5)
    for index in range(0, len(words), 23):
        words[index] += "\n" if rng.random() < 0.3 else ","
    return " ".join(words)[:size]


# -- fakegram --------------------------------------------------------------------------------


class Fakegram:
    """``python -m tests.fakegram serve`` (``testing.serve_process``) and its control API
    (see tests/fakegram/README.md)."""

    def __init__(self, world_file: Path, data_dir: Path):
        self.world_file = world_file
        self.data_dir = data_dir
        self.info: dict[str, Any] = {}
        self.http: aiohttp.ClientSession | None = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Fakegram:
        async with contextlib.AsyncExitStack() as stack:
            process = serve_process(self.data_dir, "--world", str(self.world_file))
            self.info = await stack.enter_async_context(process)
            self.http = await stack.enter_async_context(aiohttp.ClientSession())
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    @property
    def sessions(self) -> Path:
        return self.data_dir / "sessions"

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"http://127.0.0.1:{self.info['control_port']}{path}"
        async with self.http.request(method, url, json=body) as reply:
            reply.raise_for_status()
            return await reply.json()

    async def latency(self, method: str, seconds: float) -> None:
        await self.control("POST", "/faults/latency", {"method": method, "seconds": seconds})

    async def flood(self, method: str, *, burst: int, refill_seconds: float | None) -> None:
        body = {"method": method, "burst": burst, "refill_seconds": refill_seconds}
        await self.control("POST", "/faults/flood", body)

    async def calls(self) -> dict[str, int]:
        return (await self.control("GET", "/calls"))["calls"]

    async def reset_calls(self) -> None:
        await self.control("DELETE", "/calls")


def channel_world(path: Path, *, messages: int = 0, step: float = 1.0) -> tuple[int, str]:
    """A world file with the account ``alice`` in one public channel ``bench`` holding
    ``messages`` posts dated from :data:`BASE_DATE`, ``step`` seconds apart; returns the
    channel's (Bot-API id, username)."""
    w = WorldBuilder(now=END_DATE + 30 * DAY)
    alice = w.account(ACCOUNT)
    channel = w.channel("Bench", username="bench", members=[alice])
    if messages:
        text = "{i} " + corpus(random.Random(7))[:140]  # the words hold no braces
        w.fill(channel, messages, start=BASE_DATE, step=step, text=text)
    save_world(w.world, path)
    return channel.peer, "bench"


# -- the server under test -------------------------------------------------------------------


class Server:
    """``bench/probed_server.py`` on a free port (see its docstring for the probe)."""

    def __init__(self, data_dir: Path, api_id: int, api_hash: str, *, log_file: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = clean_env(TELEGRAM_API_ID=str(api_id), TELEGRAM_API_HASH=api_hash)
        self._log_file = log_file
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Server:
        log = await asyncio.to_thread(open, self._log_file, "ab")  # handed to the child
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bench" / "probed_server.py"),
                "--data-dir", str(self.data_dir), "--port", str(self.port),
                "--log-level", "WARNING",
                env=self._env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log,
            )  # fmt: skip
        finally:
            log.close()
        await self._wait_healthy()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 60)

    async def _wait_healthy(self) -> None:
        async with aiohttp.ClientSession() as http, asyncio.timeout(120):
            while True:
                if self.process.returncode is not None:
                    raise SystemExit(f"the server exited; see {self._log_file}")
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(self.url + "/health") as reply:
                        if reply.status == 200:
                            return
                await asyncio.sleep(0.05)

    async def report(self) -> dict[str, Any]:
        """End a measuring period: the probe's figures since the previous report."""
        self.process.send_signal(signal.SIGUSR1)
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), 60)
            if not line:
                raise SystemExit(f"the server exited; see {self._log_file}")
            if line.startswith(b'{"probe"'):
                return json.loads(line)["probe"]

    def history_url(self, dialog: str | int) -> str:
        return f"{self.url}/api/v3/history/{dialog}"


async def write_settings(data_dir: Path, **settings: Any) -> None:
    prepare_data_dir(data_dir)
    store = SettingsStore.open(data_dir)
    await store.update(settings)


# -- the SSE client --------------------------------------------------------------------------


@dataclass
class StreamStats:
    """One history stream read to its end."""

    status: int
    messages: int = 0
    events: int = 0
    bytes: int = 0
    #: seconds from sending the request to the first messages event, parsed
    first_event_s: float | None = None
    elapsed_s: float = 0.0
    done: dict[str, Any] | None = None
    error: Any = None
    named: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed_s if self.elapsed_s else 0.0


class SseParser:
    """Server-sent events as the spec defines them (fields, comments, multi-line data,
    ids); lines end with LF or CRLF (what aiohttp-sse sends)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._id: bytes | None = None

    def feed(self, chunk: bytes) -> list[tuple[str | None, bytes, str | None]]:
        """(event name, data, last event id) of each event completed by ``chunk``."""
        self._buffer += chunk
        events = []
        start = 0
        buffer = self._buffer
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end]).removesuffix(b"\r")
            start = end + 1
            if not line:
                if self._data:
                    events.append(
                        (
                            self._event.decode() if self._event else None,
                            b"\n".join(self._data),
                            self._id.decode() if self._id is not None else None,
                        )
                    )
                self._data, self._event = [], None
                continue
            if line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            value = value.removeprefix(b" ")
            if name == b"data":
                self._data.append(value)
            elif name == b"event":
                self._event = value
            elif name == b"id" and b"\0" not in value:
                self._id = value
        del buffer[:start]
        return events


async def read_history(
    http: aiohttp.ClientSession, url: str, params: dict[str, str]
) -> StreamStats:
    """Read one history stream to its end, parsing and checking everything."""
    started = time.perf_counter()
    async with http.get(url, params=params, headers=HEADERS) as reply:
        stats = StreamStats(reply.status)
        if reply.status != 200:
            stats.error = await reply.text()
            stats.elapsed_s = time.perf_counter() - started
            return stats
        parser = SseParser()
        last_id = 0
        async for chunk in reply.content.iter_any():
            stats.bytes += len(chunk)
            for name, data, event_id in parser.feed(chunk):
                payload = orjson.loads(data)
                stats.events += 1
                if name is not None:
                    stats.named[name] = stats.named.get(name, 0) + 1
                    if name == "done":
                        stats.done = payload
                    elif name == "error":
                        stats.error = payload
                    continue
                messages = payload["messages"]
                for message in messages:
                    if message["message_id"] <= last_id:
                        stats.error = f"message {message['message_id']} out of order"
                    last_id = message["message_id"]
                if event_id != str(last_id):
                    stats.error = f"event id {event_id} is not the last message id {last_id}"
                if stats.first_event_s is None:
                    stats.first_event_s = time.perf_counter() - started
                stats.messages += len(messages)
    stats.elapsed_s = time.perf_counter() - started
    if stats.done is None and stats.error is None:
        stats.error = "the stream ended without a done event"
    elif stats.done is not None and stats.done.get("total") != stats.messages:
        stats.error = f"done says {stats.done.get('total')}, received {stats.messages}"
    return stats


@contextlib.asynccontextmanager
async def fakegram_and_server(
    world_file: Path, data_dir: Path, log_file: Path
) -> AsyncIterator[tuple[Fakegram, Server]]:
    """fakegram (sessions written into ``data_dir``) and the server on that data dir."""
    async with Fakegram(world_file, data_dir) as fake:
        info = fake.info
        async with Server(data_dir, info["api_id"], info["api_hash"], log_file=log_file) as server:
            yield fake, server
