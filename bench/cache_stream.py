"""Benchmark: serving history from the cache. N cached messages of one channel (text of
50-400 characters, 10 % with a media row), one ``GET /api/v3/history/{dialog}`` for all of
them over real HTTP, read by a client that parses every event.

    .venv/bin/python bench/cache_stream.py [--sizes 10000,100000,1000000] [--runs 5]
                                           [--chunk-size 1000] [--quick] [--rebuild]

The server is ``bench/probed_server.py`` (tgsc-server plus a loop-lag probe) in its own
process, against ``python -m tests.fakegram serve`` (only asked for the access check).
The caches are written once through ``DialogCache.write_batch`` with fill claims and
kept under ``$TGSC_BENCH_DIR`` (default: the temp directory) for the next run: the
``seed`` line says whether this run built or reused them. Per size, a fresh server
streams the range once to warm up, then ``--runs`` times; figures are medians.

Figures (one JSON line each): ``messages_per_s`` (target >= 100,000 at chunk_size 1000;
with ``vs_cache_read``, the stream's rate over the cache layer's own: ``read_range`` of
the same database in this process, measured in the same run, the ceiling for a stream),
``time_to_first_event_ms`` (target < 20 ms with 1M cached), ``server_peak_rss_mb`` per
size, ``server_max_loop_lag_ms``, and ``peak_rss_growth_mb`` from the smallest to the
largest size (target < 50 MB from 10k to 1M).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time

import aiohttp
from harness import (
    END_DATE,
    END_DATE_TEXT,
    emit,
    fakegram_and_server,
    machine,
    median,
    read_history,
    work_dir,
    write_settings,
)
from seed import seeded_cache

from tgscraper.cache.manager import CacheManager

BENCH = "cache_stream"


async def cache_read_rate(data_dir, dialog_id: int) -> float:
    """Messages per second ``DialogCache.read_range`` yields (batches of 1000), no HTTP."""
    manager = CacheManager(data_dir)
    try:
        cache = await manager.dialog(dialog_id, None)
        started, count = time.perf_counter(), 0
        async for batch in cache.read_range(0, END_DATE, batch_size=1000):
            count += len(batch.json)
        return count / (time.perf_counter() - started)
    finally:
        await manager.close()


async def measure(count: int, args: argparse.Namespace, logs) -> dict:
    path, seed = await seeded_cache(count, rebuild=args.rebuild)
    emit(BENCH, "seed", seed["seed_s"], "s", messages=count, reused=seed["reused"],
         path=seed["path"])  # fmt: skip
    data_dir = path / "data"
    await write_settings(data_dir, download_media=False)
    params = {"end_date": END_DATE_TEXT, "chunk_size": str(args.chunk_size)}
    async with (
        fakegram_and_server(path / "world.json", data_dir, logs / f"server-{count}.log") as (
            _,
            server,
        ),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http,
    ):
        url = server.history_url(seed["username"])
        warm = await read_history(http, url, params)
        if warm.error is not None:
            raise SystemExit(f"warm-up stream failed: {warm.error}")
        warm_probe = await server.report()
        runs = []
        for _ in range(args.runs):
            stats = await read_history(http, url, params)
            if stats.error is not None or stats.messages != count:
                raise SystemExit(f"stream failed: {stats.error} ({stats.messages} messages)")
            runs.append(stats)
        probe = await server.report()
    reads = [await cache_read_rate(data_dir, seed["dialog_id"]) for _ in range(args.runs)]
    return {
        "cache_read_rate": median(reads),
        "count": count,
        "rate": median(stats.rate for stats in runs),
        "ttfe_ms": median(stats.first_event_s * 1000 for stats in runs),
        "peak_rss_mb": max(warm_probe["peak_rss_kb"], probe["peak_rss_kb"]) / 1024,
        "max_lag_ms": probe["max_lag_ms"],
        "cpu_per_run_s": probe["cpu_s"] / len(runs),
        "mb_per_run": median(stats.bytes for stats in runs) / 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, 1 run")
    parser.add_argument("--rebuild", action="store_true", help="seed the caches again")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = "2000,5000", 1
    sizes = sorted(int(size) for size in args.sizes.split(","))
    logs = work_dir("cache-stream")
    common = {"chunk_size": args.chunk_size, "runs": args.runs, **machine()}
    results = []
    for count in sizes:
        result = await measure(count, args, logs)
        results.append(result)
        at_1000 = args.chunk_size == 1000
        emit(BENCH, "messages_per_s", round(result["rate"]), "msg/s",
             target=">= 100000 at chunk_size 1000" if at_1000 else None,
             ok=result["rate"] >= 100_000 if at_1000 else None,
             messages=count, mb_per_stream=round(result["mb_per_run"], 1),
             server_cpu_s_per_stream=round(result["cpu_per_run_s"], 3),
             vs_cache_read=round(result["rate"] / result["cache_read_rate"], 3),
             cache_read_messages_per_s=round(result["cache_read_rate"]), **common)  # fmt: skip
        big = count >= 1_000_000
        emit(BENCH, "time_to_first_event_ms", round(result["ttfe_ms"], 2), "ms",
             target="< 20 with 1M cached" if big else None,
             ok=result["ttfe_ms"] < 20 if big else None, messages=count, **common)  # fmt: skip
        emit(BENCH, "server_peak_rss_mb", round(result["peak_rss_mb"], 1), "MB",
             messages=count, **common)  # fmt: skip
        emit(BENCH, "server_max_loop_lag_ms", result["max_lag_ms"], "ms", messages=count,
             **common)  # fmt: skip
    if len(results) > 1:
        low, high = results[0], results[-1]
        growth = high["peak_rss_mb"] - low["peak_rss_mb"]
        emit(BENCH, "peak_rss_growth_mb", round(growth, 1), "MB",
             target="< 50 from 10k to 1M", ok=growth < 50,
             **{"from": low["count"], "to": high["count"]}, **common)  # fmt: skip
    shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
