"""Where dialog databases live, one cache per dialog, per-account isolation, the media
index; how many databases stay open (cap, idle closing, leases) and their threads."""

import asyncio
import gc
import hashlib
import threading

import pytest
from pyrogram import raw

from tests.cache_support import CHANNEL, batch, cached_ids, media_row, record
from tests.fakegram.methods.history import get_history
from tests.fakegram.methods.upload import get_file
from tests.fakegram.tl import resolve_peer
from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, world_ids
from tests.media_support import MIB, by_kind, digest_of, media_world, post_files, wait_for_status
from tests.media_support import read_history as read_media_history
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.media_index import MediaOwner
from tgscraper.web.appkeys import CACHE

T0 = 1_700_000_000
USER = 777000
GROUP = -4321


@pytest.fixture
async def manager(tmp_path):
    manager = CacheManager(tmp_path)
    yield manager
    await manager.close()


async def test_channel_is_shared_by_accounts(manager, tmp_path):
    alice = await manager.dialog(CHANNEL, "alice")
    bob = await manager.dialog(CHANNEL, "bob")
    nobody = await manager.dialog(CHANNEL, None)
    assert alice is bob is nobody
    assert alice.database.path == tmp_path / "channels" / str(CHANNEL) / f"{CHANNEL}.db"
    assert alice.media_dir == tmp_path / "channels" / str(CHANNEL) / "media"
    assert alice.database.path.exists()


@pytest.mark.parametrize("dialog_id", [USER, GROUP])
async def test_private_chats_and_basic_groups_are_per_account(manager, tmp_path, dialog_id):
    alice = await manager.dialog(dialog_id, "alice")
    bob = await manager.dialog(dialog_id, "bob")
    assert alice is not bob
    assert alice.database.path == (
        tmp_path / "accounts" / "alice" / "chats" / str(dialog_id) / f"{dialog_id}.db"
    )
    await alice.write_batch(batch([record(1, T0, "for alice")], dialog_id=dialog_id))
    assert await cached_ids(alice) == [1]
    assert await cached_ids(bob) == []
    assert alice.owner == MediaOwner(dialog_id, "alice", "user" if dialog_id > 0 else "chat")


async def test_private_chat_needs_a_valid_account(manager):
    with pytest.raises(ValueError, match="account"):
        await manager.dialog(USER, None)
    for bad in ("../etc", "a/b", "..", ""):
        with pytest.raises(ValueError):
            await manager.dialog(USER, bad)


async def test_invalid_dialog_id(manager):
    with pytest.raises(ValueError):
        await manager.dialog(0, "alice")


async def test_concurrent_first_use_opens_once(manager):
    caches = await asyncio.gather(*(manager.dialog(CHANNEL, None) for _ in range(10)))
    assert all(cache is caches[0] for cache in caches)


async def test_media_index_finds_the_owner(manager):
    chat = await manager.dialog(USER, "alice")
    rec = record(1, T0, media_type="photos", media_uuid="uuid-a")
    await chat.write_batch(batch([rec], [media_row(1, "uuid-a")], dialog_id=USER))
    channel = await manager.dialog(CHANNEL, None)
    rec = record(5, T0, media_type="photos", media_uuid="uuid-c")
    await channel.write_batch(batch([rec], [media_row(5, "uuid-c")]))
    assert await manager.media_owner("uuid-a") == MediaOwner(USER, "alice", "user")
    assert await manager.media_owner("uuid-c") == MediaOwner(CHANNEL, None, "channel")
    assert await manager.media_owner("nope") is None
    owner = await manager.media_owner("uuid-a")
    cache = await manager.dialog(owner.dialog_id, owner.account)
    assert (await cache.media.get("uuid-a")).message_id == 1


async def test_close_then_reopen_keeps_everything(tmp_path):
    manager = CacheManager(tmp_path)
    cache = await manager.dialog(CHANNEL, None)
    await cache.write_batch(batch([record(1, T0)], [media_row(1, "u")]))
    await manager.close()
    await manager.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await manager.dialog(CHANNEL, None)
    again = CacheManager(tmp_path)
    try:
        cache = await again.dialog(CHANNEL, None)
        assert await cached_ids(cache) == [1]
        assert await again.media_owner("u") == MediaOwner(CHANNEL, None, "channel")
    finally:
        await again.close()


async def test_failed_open_is_retried(manager, tmp_path):
    blocker = tmp_path / "channels"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        await manager.dialog(CHANNEL, None)
    assert manager.open_databases == manager.open_connections == 0
    blocker.unlink()
    cache = await manager.dialog(CHANNEL, None)
    assert await cached_ids(cache) == []


# -- bounded open databases -------------------------------------------------------------


def sqlite_threads() -> set[threading.Thread]:
    """aiosqlite's worker threads alive in this process (one per open connection; a
    closed connection's thread may take a moment to end: compare sets, not counts)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


def channel(i: int) -> int:
    return CHANNEL - 1 - i


async def touch(manager: CacheManager, dialog_id: int) -> None:
    """Write and read one message of a dialog, as a short request would."""
    async with manager.use(dialog_id, None) as cache:
        await cache.write_batch(batch([record(1, T0, f"in {dialog_id}")], dialog_id=dialog_id))
        assert await cached_ids(cache) == [1]


async def wait_until(condition) -> None:
    """Poll a condition (no timing asserted: a generous bound only stops a hung test)."""
    async with asyncio.timeout(30):
        while not condition():  # noqa: ASYNC110 (state of the manager, no event to wait on)
            await asyncio.sleep(0.01)


async def test_many_dialogs_keep_open_databases_and_threads_within_the_cap(tmp_path):
    threads_before = sqlite_threads()
    manager = CacheManager(tmp_path, max_open=8)
    try:
        for i in range(40):
            await touch(manager, channel(i))
            # closes run in the background (under load several can overlap): once the
            # ones this touch started are done, the cap holds
            await manager.wait_closing()
            assert manager.open_databases <= 8
        await manager.wait_closing()
        assert manager.open_databases == 8
        assert [i for i in range(40) if manager.is_open(channel(i), None)] == list(range(32, 40))
        # a written and read dialog has a writer and one reader (the second opens on demand)
        assert manager.open_connections == 8 * 2
        # + the media index's connection
        assert len(sqlite_threads() - threads_before) == manager.open_connections + 1
        for i in range(40):  # every one still serves its data (reopened as needed)
            assert await cached_ids(await manager.dialog(channel(i), None)) == [1]
        await manager.wait_closing()
        assert manager.open_databases == 8
    finally:
        await manager.close()
    assert manager.open_databases == manager.open_connections == 0
    await wait_until(lambda: not sqlite_threads() - threads_before)


async def test_many_concurrent_users_then_back_under_the_cap(tmp_path):
    manager = CacheManager(tmp_path, max_open=4)
    try:
        await asyncio.gather(*(touch(manager, channel(i)) for i in range(30)))
        await manager.wait_closing()
        assert manager.open_databases <= 4
    finally:
        await manager.close()


async def test_a_cache_in_use_is_never_closed_under_pressure(tmp_path):
    manager = CacheManager(tmp_path, max_open=8)
    try:
        async with manager.use(CHANNEL, None) as cache:
            await cache.write_batch(batch([record(i, T0 + i) for i in range(1, 201)]))
            stream = cache.read_range(0, T0 + 1000, batch_size=10)
            ids = (await anext(stream)).message_ids
            for i in range(100):  # a slow reader: a hundred other dialogs between batches
                await touch(manager, channel(i))
                assert manager.is_open(CHANNEL, None)
            await manager.wait_closing()
            assert manager.open_databases <= 8 + 1  # the cap, and the one in use
            ids += [i async for chunk in stream for i in chunk.message_ids]
            assert ids == list(range(1, 201))
            assert await manager.dialog(CHANNEL, None) is cache
            assert cache.database.opens == 1  # never closed
        for i in range(100, 108):  # released: it goes when it is the least recently used
            await touch(manager, channel(i))
        await manager.wait_closing()
        assert not manager.is_open(CHANNEL, None)
    finally:
        await manager.close()


async def test_a_closed_cache_reopens_with_the_same_data(tmp_path):
    manager = CacheManager(tmp_path, max_open=2)
    try:
        cache = await manager.dialog(CHANNEL, None)
        await cache.write_batch(batch([record(i, T0 + i) for i in (1, 2, 3)], [media_row(2, "m")]))
        for i in range(3):
            await touch(manager, channel(i))
        await manager.wait_closing()
        assert not manager.is_open(CHANNEL, None)
        assert cache.database.connections == 0
        assert await cached_ids(cache) == [1, 2, 3]  # the object kept: reopens by itself
        assert manager.is_open(CHANNEL, None)
        assert cache.database.opens == 2
        assert await manager.dialog(CHANNEL, None) is cache
        assert (await cache.media.get("m")).message_id == 2
        await cache.write_batch(batch([record(4, T0 + 4)]))
        assert await cached_ids(await manager.dialog(CHANNEL, None)) == [1, 2, 3, 4]
    finally:
        await manager.close()


async def test_a_forgotten_cache_is_opened_afresh_with_the_same_data(tmp_path):
    manager = CacheManager(tmp_path, max_open=1)
    try:
        await touch(manager, CHANNEL)
        await touch(manager, channel(0))  # CHANNEL closed, and nobody holds its cache
        await manager.wait_closing()
        gc.collect()
        assert not manager.is_open(CHANNEL, None)
        assert await cached_ids(await manager.dialog(CHANNEL, None)) == [1]
    finally:
        await manager.close()


async def test_idle_databases_close_and_held_ones_stay(tmp_path):
    manager = CacheManager(tmp_path, idle_timeout=0.05)
    try:
        held = await manager.dialog(CHANNEL, None)
        with held.hold():
            await touch(manager, channel(0))  # used after `held`: expires later
            await wait_until(lambda: not manager.is_open(channel(0), None))
            assert manager.is_open(CHANNEL, None)
            assert held.database.opens == 1
        await wait_until(lambda: manager.open_databases == 0)
        assert manager.open_connections == 0
        await touch(manager, channel(0))  # and the next use opens again
        assert manager.is_open(channel(0), None)
    finally:
        await manager.close()


async def test_shutdown_closes_everything_after_the_write_in_progress(tmp_path):
    threads_before = sqlite_threads()
    manager = CacheManager(tmp_path)
    for i in range(5):
        await touch(manager, channel(i))
    cache = await manager.dialog(CHANNEL, None)
    lease = cache.hold()
    async with cache.database.write_lock:
        closing = asyncio.ensure_future(manager.close())
        await asyncio.sleep(0.05)
        assert not closing.done()  # waits for the write lock to be released
        await cache.database.writer.execute("INSERT INTO coverage (start_ts, end_ts) VALUES (1, 2)")
    await closing
    lease.release()
    assert manager.open_databases == manager.open_connections == 0
    await wait_until(lambda: not sqlite_threads() - threads_before)
    with pytest.raises(RuntimeError, match="closed"):
        await cache.coverage()
    with pytest.raises(RuntimeError, match="closed"):
        await manager.dialog(channel(0), None)
    again = CacheManager(tmp_path)
    try:
        assert await (await again.dialog(CHANNEL, None)).coverage() == [(1, 2)]
    finally:
        await again.close()


# -- through the app: a stream keeps its database while others come and go --------------


async def test_a_history_stream_keeps_its_database_while_a_hundred_others_are_read(
    fakegram, make_tgsc
):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    slow = w.channel("Slow", username="slow_feed", members=[alice])
    w.fill(slow, 300, start=JAN_1, step=60)
    others = []
    for i in range(100):
        other = w.channel(f"Other {i}", username=f"other_{i}", members=[alice])
        w.fill(other, 2, start=JAN_1 + i, step=60)
        others.append(other.peer)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    manager = app.app[CACHE]
    asked, go_on = asyncio.Event(), asyncio.Event()

    async def gated(ctx, request):
        """The slow chat's history waits until the others were read."""
        if resolve_peer(ctx.world, ctx.require_user(), request.peer) == slow.peer:
            asked.set()
            async with asyncio.timeout(60):
                await go_on.wait()
        return await get_history(ctx, request)

    server.set_handler(raw.functions.messages.GetHistory, gated)
    stream = asyncio.ensure_future(history(app, slow.peer, end_date="2025-01-31"))
    async with asyncio.timeout(60):
        await asyncio.wait(
            [asyncio.ensure_future(asked.wait()), stream], return_when="FIRST_COMPLETED"
        )
    assert asked.is_set(), stream.result().body
    threads_before = sqlite_threads()
    readers = asyncio.Semaphore(4)

    async def read(peer: int) -> None:
        async with readers:
            result = await history(app, peer, end_date="2025-01-31")
        assert result.message_ids == world_ids(w.world, alice.id, peer)

    await asyncio.gather(*(read(peer) for peer in others))
    await manager.wait_closing()
    assert manager.is_open(slow.peer, None)
    assert manager.open_databases <= manager.max_open + 1  # the cap, and the one in use
    assert sum(manager.is_open(peer, None) for peer in others) <= manager.max_open
    assert len(sqlite_threads() - threads_before) <= manager.open_connections
    go_on.set()
    result = await stream
    assert result.message_ids == world_ids(w.world, alice.id, slow.peer)
    assert result.done["from_telegram"] == 300
    assert (await manager.dialog(slow.peer, None)).database.opens == 1


async def test_a_download_keeps_its_database_while_others_are_read(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(MIB, file_name="held.bin")
    post_files(world, {"held": doc})
    others = []
    for i in range(12):
        other = world.w.channel(f"Other {i}", username=f"other_{i}", members=[world.alice])
        world.w.post(other, f"hello {i}", date=JAN_1 + i)
        others.append(other.peer)
    server = await fakegram(world.w.world)
    asked, go_on = asyncio.Event(), asyncio.Event()

    async def gated(ctx, request):
        asked.set()
        async with asyncio.timeout(60):
            await go_on.wait()
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, gated)
    app = await make_tgsc(telegram=server)
    manager = app.app[CACHE]
    manager.max_open = 4  # a small cap: a dozen other chats are pressure enough
    uuid = by_kind(world, await read_media_history(app))["held"]["media_uuid"]  # queued
    async with asyncio.timeout(60):
        await asked.wait()  # the download is running
    for peer in others:
        result = await history(app, peer)
        assert result.message_ids == world_ids(world.w.world, world.alice.id, peer)
    await manager.wait_closing()
    assert manager.is_open(world.channel.peer, None)
    assert manager.open_databases <= 4 + 1
    go_on.set()
    assert (await wait_for_status(app, uuid, "downloaded"))["status"] == "downloaded"
    reply = await app.request("GET", f"/api/v3/files/{uuid}")
    assert hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert (await manager.dialog(world.channel.peer, None)).database.opens == 1
