"""Benchmark: many clients streaming cached history at once. C clients each read the whole
cached channel (N messages, the cache_stream seed) at the same moment over real HTTP,
every event parsed; the server's event loop is watched by a loop-lag probe.

    .venv/bin/python bench/concurrent_clients.py [--clients 50] [--messages 100000]
                                                 [--runs 3] [--chunk-size 1000] [--quick]

The server is ``bench/probed_server.py`` (tgsc-server plus the probe) in its own process;
the clients share one process (one aiohttp session, one connection each). A warm-up
stream precedes the runs. Figures: ``aggregate_messages_per_s`` (all clients' messages /
the time until the last stream ended), ``max_loop_lag_ms`` (the longest event-loop stall
in the server during the runs; target < 100 ms), ``errors`` (streams that failed or came
back incomplete; target 0), ``slowest_stream_s`` / ``fastest_stream_s`` (fairness),
``server_peak_rss_mb``. Medians of ``--runs`` except the lag (the worst run).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time

import aiohttp
from harness import (
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

BENCH = "concurrent_clients"


async def one_run(http: aiohttp.ClientSession, url: str, params: dict, clients: int) -> dict:
    started = time.perf_counter()
    streams = await asyncio.gather(
        *(read_history(http, url, params) for _ in range(clients)), return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    done = [s for s in streams if not isinstance(s, BaseException)]
    errors = [repr(s) for s in streams if isinstance(s, BaseException)]
    errors += [str(s.error) for s in done if s.error is not None]
    return {
        "elapsed": elapsed,
        "messages": sum(s.messages for s in done),
        "errors": errors,
        "slowest": max((s.elapsed_s for s in done), default=0.0),
        "fastest": min((s.elapsed_s for s in done), default=0.0),
        "first_event_ms": median(s.first_event_s * 1000 for s in done if s.first_event_s),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 clients, 2000 msgs")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.messages, args.runs = 5, 2000, 1

    path, seed = await seeded_cache(args.messages)
    emit(BENCH, "seed", seed["seed_s"], "s", messages=args.messages, reused=seed["reused"],
         path=seed["path"])  # fmt: skip
    data_dir = path / "data"
    await write_settings(data_dir, download_media=False)
    logs = work_dir("concurrent")
    params = {"end_date": END_DATE_TEXT, "chunk_size": str(args.chunk_size)}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None)
    async with (
        fakegram_and_server(path / "world.json", data_dir, logs / "server.log") as (_, server),
        aiohttp.ClientSession(connector=connector, timeout=timeout) as http,
    ):
        url = server.history_url(seed["username"])
        warm = await read_history(http, url, params)
        if warm.error is not None:
            raise SystemExit(f"warm-up stream failed: {warm.error}")
        await server.report()
        runs, probes = [], []
        for _ in range(args.runs):
            runs.append(await one_run(http, url, params, args.clients))
            probes.append(await server.report())

    common = {"clients": args.clients, "messages_per_client": args.messages,
              "chunk_size": args.chunk_size, "runs": args.runs, **machine()}  # fmt: skip
    rate = median(r["messages"] / r["elapsed"] for r in runs)
    emit(BENCH, "aggregate_messages_per_s", round(rate), "msg/s",
         server_cpu_s=round(median(p["cpu_s"] for p in probes), 2), **common)  # fmt: skip
    lag = max(p["max_lag_ms"] for p in probes)
    emit(BENCH, "max_loop_lag_ms", lag, "ms", target="< 100", ok=lag < 100,
         max_gc_ms=max(p["max_gc_ms"] for p in probes), **common)  # fmt: skip
    errors = sum(len(r["errors"]) for r in runs)
    incomplete = sum(args.clients * args.messages - r["messages"] for r in runs)
    emit(BENCH, "errors", errors, "streams", target="0", ok=errors == 0 and incomplete == 0,
         missing_messages=incomplete, detail=sorted({e for r in runs for e in r["errors"]})[:5],
         **common)  # fmt: skip
    emit(BENCH, "slowest_stream_s", round(median(r["slowest"] for r in runs), 2), "s", **common)
    emit(BENCH, "fastest_stream_s", round(median(r["fastest"] for r in runs), 2), "s", **common)
    emit(BENCH, "median_time_to_first_event_ms",
         round(median(r["first_event_ms"] for r in runs), 1), "ms", **common)  # fmt: skip
    peak = max(p["peak_rss_kb"] for p in probes) / 1024
    emit(BENCH, "server_peak_rss_mb", round(peak, 1), "MB", **common)
    shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
