"""Where dialog databases live, open-once sharing, per-account isolation, the media index."""

import asyncio

import pytest

from tests.cache_support import CHANNEL, batch, cached_ids, media_row, record
from tgscraper.cache.manager import CacheManager
from tgscraper.cache.media_index import MediaOwner

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
    blocker.unlink()
    cache = await manager.dialog(CHANNEL, None)
    assert await cached_ids(cache) == []
