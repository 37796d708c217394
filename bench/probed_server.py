"""tgsc-server with a loop-lag probe, for benchmarks: the server under test, in its own
process so that its memory and its event loop are measured apart from the client's.

    python bench/probed_server.py --data-dir DIR --port P [any tgsc-server option]

It runs ``tgscraper.cli.server.main()`` itself, unchanged: the only addition is an event
loop policy whose loops start one more task, which sleeps :data:`TICK_S` at a time and
records how late each wake-up is; the longest lateness is the longest stretch the event
loop was blocked (to within one tick). ``kill -USR1`` prints one JSON line on stdout and
starts a new measuring period::

    {"probe": {"max_lag_ms": ..., "ticks": ..., "rss_kb": ..., "peak_rss_kb": ...,
               "cpu_s": ..., "max_gc_ms": ..., "gc_gen2": ...}}

``peak_rss_kb`` is the kernel's high-water mark of the process's resident memory
(``VmHWM``), reset with each report (``/proc/self/clear_refs``), so each period reports
its own peak; ``cpu_s`` is the process's user + system CPU time in the period;
``max_gc_ms`` the longest garbage collection (a stall of its own) and ``gc_gen2`` how many
full collections ran. Production servers carry no probe: this wrapper is the only place
it exists.
"""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tgscraper.cli.server import main  # noqa: E402

#: the probe's sleep; a stall is measured to within this
TICK_S = 0.005


def memory_kb() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in kB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found["VmRSS"], found["VmHWM"]


def reset_peak_rss() -> None:
    """Start a new high-water mark of resident memory (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


class LoopLagProbe:
    def __init__(self) -> None:
        self.max_lag = 0.0
        self.ticks = 0
        self.cpu_at = time.process_time()
        self.max_gc = 0.0
        self.full_collections = 0
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        self.max_gc = max(self.max_gc, time.perf_counter() - self._gc_started)
        if info["generation"] == 2:
            self.full_collections += 1

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_signal_handler(signal.SIGUSR1, self.report)
        self.task = loop.create_task(self.run())

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK_S)
            lag = loop.time() - before - TICK_S
            self.ticks += 1
            if lag > self.max_lag:
                self.max_lag = lag

    def report(self) -> None:
        rss, peak = memory_kb()
        cpu = time.process_time()
        line = {
            "probe": {
                "max_lag_ms": round(self.max_lag * 1000, 2),
                "ticks": self.ticks,
                "rss_kb": rss,
                "peak_rss_kb": peak,
                "cpu_s": round(cpu - self.cpu_at, 3),
                "max_gc_ms": round(self.max_gc * 1000, 2),
                "gc_gen2": self.full_collections,
            }
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        self.max_lag, self.ticks, self.cpu_at = 0.0, 0, cpu
        self.max_gc, self.full_collections = 0.0, 0
        reset_peak_rss()


class ProbedLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """Every new loop (aiohttp's run_app makes one) starts the probe when it runs."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.call_soon(LoopLagProbe().start, loop)
        return loop


if __name__ == "__main__":
    asyncio.set_event_loop_policy(ProbedLoopPolicy())
    raise SystemExit(main())
