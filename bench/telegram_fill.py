"""Benchmark: filling an empty cache from Telegram. A channel of N messages in fakegram
(its own process) answering every ``messages.getHistory`` after a latency, one
``GET /api/v3/history/{dialog}`` for all of it, read by a client that parses every event.

    .venv/bin/python bench/telegram_fill.py [--messages 100000] [--latency-ms 50]
        [--concurrency 1,4] [--runs 3] [--flood-burst 20 --flood-refill-ms 17] [--quick]

Each run starts a fresh server (``bench/probed_server.py``) on an empty data directory
for each ``history_concurrency`` K of ``--concurrency``, one K after the other (so a
noisy moment hits every K alike), and streams the whole channel oldest first, with
``chunk_size`` 1000 and ``progress=true`` (the ``wait`` events count the flood waits the
server sat out). fakegram enforces a token bucket on ``messages.getHistory`` per account
for every K, the baseline included: ``--flood-burst`` calls at once, then one every
``--flood-refill-ms`` (0 turns it off; default 0.34 x the latency). At 50 ms that is
58.8 calls/s, about 3.4 times what one sequential pager asks and less than what 4 pagers
ask: the bucket bites at K = 4 (flood waits happen) and leaves the 3x target reachable.

Figures: ``lower_bound_s`` = (N / 100) x latency; per K: ``fill_s`` (median),
``flood_waits``, ``errors`` (streams that failed or came back incomplete; target 0),
``get_history_calls``, ``vs_flood_bound`` (the fill's time over the least the bucket
allows for its calls: (calls - burst) x refill; 1.0 = as fast as the bucket lets anyone
go); ``sequential_vs_lower_bound`` (K = 1; target <= 1.2); ``speedup`` per K > 1 (median
of each run's sequential / parallel time; target >= 3 for K = 4).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from pathlib import Path

import aiohttp
from harness import (
    END_DATE_TEXT,
    HEADERS,
    Fakegram,
    Server,
    channel_world,
    emit,
    machine,
    median,
    read_history,
    work_dir,
    write_settings,
)

BENCH = "telegram_fill"
PAGE = 100


async def fill_once(fake: Fakegram, work: Path, name: str, concurrency: int) -> dict:
    """One server on an empty cache, one stream of the whole channel."""
    data_dir = work / name
    shutil.copytree(fake.sessions, data_dir / "sessions")
    await write_settings(data_dir, history_concurrency=concurrency, download_media=False)
    info = fake.info
    params = {"end_date": END_DATE_TEXT, "chunk_size": "1000", "progress": "true"}
    timeout = aiohttp.ClientTimeout(total=None)
    async with (
        Server(data_dir, info["api_id"], info["api_hash"], log_file=work / f"{name}.log") as server,
        aiohttp.ClientSession(timeout=timeout) as http,
    ):
        # the client's start and the access check, before the clock starts
        async with http.get(f"{server.url}/api/v3/dialogs/bench/cache", headers=HEADERS) as r:
            r.raise_for_status()
        await server.report()
        await fake.reset_calls()
        stats = await read_history(http, server.history_url("bench"), params)
        probe = await server.report()
        calls = await fake.calls()
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "seconds": stats.elapsed_s,
        "messages": stats.messages,
        "error": stats.error,
        "waits": stats.named.get("wait", 0),
        "calls": calls.get("messages.getHistory", 0),
        "max_lag_ms": probe["max_lag_ms"],
        "cpu_s": probe["cpu_s"],
        "ttfe_s": stats.first_event_s,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", default="1,4", help="K values; the first is the baseline")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flood-burst", type=int, default=20)
    parser.add_argument("--flood-refill-ms", type=float, help="default: 0.34 x latency")
    parser.add_argument("--step", type=float, default=3.0, help="seconds between messages")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3000 messages, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.runs, args.latency_ms = 3000, 1, 10.0
    if args.flood_refill_ms is None:
        args.flood_refill_ms = round(0.34 * args.latency_ms, 3)
    ks = [int(k) for k in args.concurrency.split(",")]

    work = work_dir("telegram-fill")
    channel_world(work / "world.json", messages=args.messages, step=args.step)
    results: dict[int, list[dict]] = {k: [] for k in ks}
    async with Fakegram(work / "world.json", work / "fake") as fake:
        await fake.latency("messages.getHistory", args.latency_ms / 1000)
        if args.flood_refill_ms > 0:
            await fake.flood("messages.getHistory", burst=args.flood_burst,
                             refill_seconds=args.flood_refill_ms / 1000)  # fmt: skip
        for run in range(args.runs):
            for k in ks:
                results[k].append(await fill_once(fake, work, f"run{run}-k{k}", k))

    bound = args.messages / PAGE * args.latency_ms / 1000
    flooding = args.flood_refill_ms > 0
    flood = {"flood_burst": args.flood_burst, "flood_refill_ms": args.flood_refill_ms}
    common = {"messages": args.messages, "latency_ms": args.latency_ms, "runs": args.runs,
              **(flood if flooding else {"flood": None}), **machine()}  # fmt: skip
    emit(BENCH, "lower_bound_s", round(bound, 2), "s", **common)
    base = ks[0]
    for k in ks:
        runs = results[k]
        fill_s = median(r["seconds"] for r in runs)
        emit(BENCH, "fill_s", round(fill_s, 2), "s", history_concurrency=k,
             all_s=[round(r["seconds"], 2) for r in runs],
             time_to_first_event_s=round(median(r["ttfe_s"] or 0 for r in runs), 3),
             server_cpu_s=round(median(r["cpu_s"] for r in runs), 2),
             server_max_loop_lag_ms=max(r["max_lag_ms"] for r in runs), **common)  # fmt: skip
        failed = [r for r in runs if r["error"] is not None or r["messages"] != args.messages]
        emit(BENCH, "errors", len(failed), "streams", target="0", ok=not failed,
             history_concurrency=k, detail=[str(r["error"]) for r in failed], **common)  # fmt: skip
        emit(BENCH, "flood_waits", median(r["waits"] for r in runs), "waits",
             history_concurrency=k, **common)  # fmt: skip
        calls = median(r["calls"] for r in runs)
        emit(BENCH, "get_history_calls", calls, "calls", history_concurrency=k, **common)
        if flooding:
            least = max(calls - args.flood_burst, 0) * args.flood_refill_ms / 1000
            emit(BENCH, "vs_flood_bound", round(fill_s / least, 3) if least else None, "x",
                 history_concurrency=k, flood_bound_s=round(least, 2), **common)  # fmt: skip
        if k == 1:
            ratio = fill_s / bound
            emit(BENCH, "sequential_vs_lower_bound", round(ratio, 3), "x",
                 target="<= 1.2", ok=ratio <= 1.2, **common)  # fmt: skip
        if k != base:
            pairs = zip(results[base], runs, strict=True)
            speedup = median(b["seconds"] / r["seconds"] for b, r in pairs)
            target = {"target": ">= 3", "ok": speedup >= 3} if k == 4 else {}
            emit(BENCH, "speedup", round(speedup, 2), "x", history_concurrency=k,
                 baseline_concurrency=base, **target, **common)  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
