"""Benchmark: one large document, tgscraper's parallel part download vs pyrogram's
``download_media``, against fakegram with a latency on every ``upload.getFile``.

    .venv/bin/python bench/media_download.py [--size-mb 50] [--latency-ms 30] [--runs 2]

fakegram runs in its own process (``python -m tests.fakegram serve``): a real Telegram
does not share this machine's CPU, and the fake's encryption would otherwise compete
with the client's. The tgscraper app runs in this process (its real cleanup contexts,
settings, cache and media service); the document's row is stored by reading the chat's
history over HTTP (with download_media off), then ``app[MEDIA].fetch`` downloads it, as
``GET /api/v3/files/{uuid}`` does on demand. pyrogram's ``download_media`` fetches the same
message with a client of the same account (a copy of its session file). Each run times
both, one after the other; both files are checked byte for byte against the fake's
digest. Prints one JSON line per figure: the median of the runs for the two times in
seconds, and the median of the per-run ratios (``--quick``: 8 MB, one run, a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pyrogram
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import emit, machine, median  # noqa: E402

from tests.fakegram.testing import serve_process  # noqa: E402
from tests.fakegram.world.builder import WorldBuilder  # noqa: E402
from tests.fakegram.world.files import file_digest  # noqa: E402
from tests.fakegram.world.worlddump import save_world  # noqa: E402
from tgscraper.app import create_app  # noqa: E402
from tgscraper.config import Config, prepare_data_dir  # noqa: E402
from tgscraper.settings import SettingsStore  # noqa: E402
from tgscraper.web.appkeys import CACHE, MEDIA  # noqa: E402

MIB = 1024 * 1024


def build_world(size: int, directory: Path) -> tuple[Path, int, int, str]:
    """A world file with one channel post carrying a ``size``-byte document."""
    w = WorldBuilder()
    alice = w.account("alice")
    channel = w.channel("Bench", username="bench", members=[alice])
    document = w.document(size, file_name="bench.bin")
    message = w.post(channel, "a large file", media=document)
    path = directory / "world.json"
    save_world(w.world, path)
    return path, channel.peer, message.id, file_digest(document.seed, size)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


async def time_pyrogram(
    info: dict, sessions: Path, work: Path, message_id: int
) -> tuple[float, Path]:
    """pyrogram's download_media of the message, with its own copy of the session."""
    workdir = work / "pyrogram"
    workdir.mkdir(exist_ok=True)
    shutil.copy(sessions / "alice.session", workdir / "alice.session")
    client = pyrogram.Client(
        "alice", info["api_id"], info["api_hash"], workdir=str(workdir), no_updates=True
    )
    await client.start()
    try:
        message = await client.get_messages("bench", message_id)
        target = workdir / "download.bin"
        started = time.perf_counter()
        await client.download_media(message, file_name=str(target))
        elapsed = time.perf_counter() - started
    finally:
        await client.stop()
    return elapsed, target


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 8 MB, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.size_mb, args.runs = 8, 1

    work = Path(tempfile.mkdtemp(prefix="tgsc-bench-media-"))
    data_dir = work / "data"
    prepare_data_dir(data_dir)
    world, dialog_id, message_id, digest = build_world(args.size_mb * MIB, work)
    runner = None
    try:
        async with (
            serve_process(data_dir, "--world", str(world)) as info,
            aiohttp.ClientSession() as http,
        ):
            control = f"http://127.0.0.1:{info['control_port']}"
            latency = {"method": "upload.getFile", "seconds": args.latency_ms / 1000}
            await (await http.post(f"{control}/faults/latency", json=latency)).read()

            store = SettingsStore.open(data_dir)
            await store.update({"download_media": False, "max_media_size_mb": 0})
            config = Config(data_dir=data_dir, api_id=info["api_id"], api_hash=info["api_hash"])
            app = create_app(config, settings_store=store)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            headers = {"X-Telegram-Username": "alice"}
            url = f"http://127.0.0.1:{port}/api/v3/history/bench?reverse=true"
            async with http.get(url, headers=headers) as reply:
                text = await reply.text()
            uuid = next(
                json.loads(line[5:])["messages"][0]["media_uuid"]
                for line in text.splitlines()
                if line.startswith("data:") and '"messages"' in line
            )
            cache = await app[CACHE].dialog(dialog_id, "alice")

            ours, theirs = [], []
            for _ in range(args.runs):
                elapsed, target = await time_pyrogram(info, data_dir / "sessions", work, message_id)
                assert sha256(target) == digest, "pyrogram's download differs"
                target.unlink()
                theirs.append(elapsed)

                media = await cache.media.get(uuid)
                if media.file_path:
                    (cache.directory / media.file_path).unlink()
                await cache.media.set_status(uuid, "disabled")
                started = time.perf_counter()
                media = await app[MEDIA].fetch("alice", cache, uuid)
                ours.append(time.perf_counter() - started)
                assert sha256(cache.directory / media.file_path) == digest, "our download differs"
            await runner.cleanup()
            runner = None
    finally:
        if runner is not None:
            await runner.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    options = app[MEDIA].fetcher.options
    common = {"size_mb": args.size_mb, "latency_ms": args.latency_ms, "runs": args.runs}
    emit("media_download", "pyrogram_download_media_s", round(median(theirs), 3), "s", **common)
    emit(
        "media_download", "tgscraper_parallel_download_s", round(median(ours), 3), "s",
        part_size=options.part_size, parts_in_flight=options.parts_in_flight, **common,
    )  # fmt: skip
    speedup = median(t / o for t, o in zip(theirs, ours, strict=True))
    emit(
        "media_download", "speedup", round(speedup, 2), "x",
        target=">= 4x pyrogram's download_media", ok=speedup >= 4, **common, **machine(),
    )  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
