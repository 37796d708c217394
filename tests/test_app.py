"""The app's lifetime: shared objects exist while it runs and are closed on shutdown."""

from __future__ import annotations

import asyncio

import pytest

from tgscraper.web.appkeys import CACHE, CONFIG, JOBS, SESSIONS, SETTINGS, STREAMS


async def test_shared_objects_exist_while_running(tgsc):
    for key in (CONFIG, SETTINGS, SESSIONS, JOBS, STREAMS, CACHE):
        assert key in tgsc.app
    assert tgsc.app[CONFIG].data_dir == tgsc.data_dir


async def test_shutdown_cancels_jobs_and_closes_databases(tgsc):
    cache = await tgsc.app[CACHE].dialog(-1001234567890, None)
    assert cache is not None
    assert (tgsc.data_dir / "channels" / "-1001234567890" / "-1001234567890.db").is_file()
    scheduler = tgsc.app[JOBS]
    job = await scheduler.spawn(_sleep_forever())
    await tgsc.close()
    assert job.closed
    assert scheduler.closed
    with pytest.raises(RuntimeError, match="closed"):
        await tgsc.app[CACHE].dialog(-1001234567890, None)


async def _sleep_forever() -> None:
    await asyncio.get_running_loop().create_future()
