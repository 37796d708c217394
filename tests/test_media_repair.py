"""Repair: POST /api/v3/media/repair/{dialog} and the repair that serving cached history
does with repair_media on (fakegram, real HTTP)."""

from __future__ import annotations

import asyncio

from pyrogram import raw

from tests.fakegram.methods.upload import get_file
from tests.fakegram.rpc import RpcError
from tests.media_support import (
    JAN_1,
    MIB,
    by_kind,
    digest_of,
    media_world,
    metadata,
    post_files,
    read_history,
    sha256,
    wait_for_status,
)
from tgscraper.web.appkeys import CACHE, MEDIA

DAY = 86_400


def _fail_file(server, file_id: int) -> None:
    """upload.getFile of one file answers FILE_ID_INVALID (the others are served)."""

    async def handler(ctx, request):
        if request.location.id == file_id:
            raise RpcError(400, "FILE_ID_INVALID")
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, handler)


async def test_sync_counts_a_failed_download_and_repair_retries_it(fakegram, make_tgsc):
    world = media_world()
    files = {"fine": world.w.document(30_000), "broken": world.w.document(20_000)}
    post_files(world, files)
    server = await fakegram(world.w.world)
    _fail_file(server, files["broken"].id)
    tgsc = await make_tgsc(telegram=server)

    answer = await tgsc.json("POST", "/api/v3/sync/media")
    assert (answer["media_downloaded"], answer["media_skipped"], answer["media_failed"]) == (
        1,
        0,
        1,
    )
    uuids = {k: m["media_uuid"] for k, m in by_kind(world, await read_history(tgsc)).items()}
    broken = await metadata(tgsc, uuids["broken"])
    assert (broken["status"], broken["reason"]) == ("failed", "Telegram answered FILE_ID_INVALID")

    server.set_handler(raw.functions.upload.GetFile, None)
    report = await tgsc.json("POST", f"/api/v3/media/repair/{world.channel.peer}")
    assert report == {"queued": 1, "already_present": 1, "still_skipped": 0}
    answer = await wait_for_status(tgsc, uuids["broken"], "downloaded")
    assert sha256(tgsc.data_dir / answer["file_path"]) == digest_of(files["broken"])


async def test_repair_after_raising_the_size_limit_counts_exactly(fakegram, make_tgsc):
    world = media_world()
    w = world.w
    files = {
        "photo": w.photo(40_000),
        "gone": w.document(30_000, file_name="gone.txt", mime_type="text/plain"),
        "big": w.document(2 * MIB, file_name="big.bin"),
        "video": w.video(500_000),
        "broken": w.document(20_000, file_name="broken.bin"),
    }
    post_files(world, files)
    server = await fakegram(w.world)
    _fail_file(server, files["broken"].id)
    settings = {"max_media_size_mb": 1, "download_file_types": {"videos": False}}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuids = {k: m["media_uuid"] for k, m in by_kind(world, await read_history(tgsc)).items()}
    photo = await wait_for_status(tgsc, uuids["photo"], "downloaded")
    gone = await wait_for_status(tgsc, uuids["gone"], "downloaded")
    await wait_for_status(tgsc, uuids["big"], "skipped_by_size")
    await wait_for_status(tgsc, uuids["video"], "skipped_by_type")
    broken = await wait_for_status(tgsc, uuids["broken"], "failed")
    assert broken["reason"] == "Telegram answered FILE_ID_INVALID"
    (tgsc.data_dir / gone["file_path"]).unlink()  # lost on disk

    media_dir = (tgsc.data_dir / photo["file_path"]).parent
    for leftover in (".0a0b0c0d-dead-4bad-8bad-00000000dead.partial", ".0a0b.parts"):
        (media_dir / leftover).write_bytes(b"x")  # a download of a row that is gone

    server.set_handler(raw.functions.upload.GetFile, None)
    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 3})
    report = await tgsc.json("POST", f"/api/v3/media/repair/{world.channel.peer}")
    assert report == {"queued": 3, "already_present": 1, "still_skipped": 1}
    for kind in ("big", "gone", "broken"):
        answer = await wait_for_status(tgsc, uuids[kind], "downloaded")
        assert sha256(tgsc.data_dir / answer["file_path"]) == digest_of(files[kind])
    assert (await metadata(tgsc, uuids["photo"]))["file_path"] == photo["file_path"]
    video = await metadata(tgsc, uuids["video"])
    assert (video["status"], video["reason"]) == (
        "skipped_by_type",
        "download_file_types.videos is off",
    )

    again = await tgsc.json("POST", "/api/v3/media/repair/media")  # by username too
    assert again == {"queued": 0, "already_present": 4, "still_skipped": 1}
    assert not [p.name for p in media_dir.iterdir() if p.name.startswith(".")]


async def test_serving_cached_history_queues_what_is_allowed_now(fakegram, make_tgsc):
    world = media_world()
    big = world.w.document(2 * MIB, file_name="big.bin")
    post_files(world, {"big": big})
    server = await fakegram(world.w.world)
    settings = {"max_media_size_mb": 1, "repair_media": False}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuid = by_kind(world, await read_history(tgsc))["big"]["media_uuid"]
    await wait_for_status(tgsc, uuid, "skipped_by_size")

    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 3})
    server.reset_calls()
    await read_history(tgsc)  # from the cache; repair_media is off: nothing queued
    assert server.calls["upload.getFile"] == 0
    assert (await metadata(tgsc, uuid))["status"] == "skipped_by_size"

    await tgsc.json("PATCH", "/api/v3/settings", json={"repair_media": True})
    messages = await read_history(tgsc)  # served from the cache, the download in background
    assert [m["media_uuid"] for m in messages] == [uuid]
    answer = await wait_for_status(tgsc, uuid, "downloaded")
    assert sha256(tgsc.data_dir / answer["file_path"]) == digest_of(big)
    assert server.calls["messages.getHistory"] <= 2  # the newest seconds only, never the range


async def test_repair_needs_access_to_the_chat(fakegram, make_tgsc):
    world = media_world()
    vault = world.w.channel("Vault", members=[world.alice])
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server)
    refused = await tgsc.request("POST", f"/api/v3/media/repair/{vault.peer}", account="bob")
    assert refused.status in (403, 404)
    empty = await tgsc.json("POST", f"/api/v3/media/repair/{vault.peer}")
    assert empty == {"queued": 0, "already_present": 0, "still_skipped": 0}


async def test_reviews_of_a_chat_queue_their_ranges_and_remember_them(fakegram, make_tgsc):
    world = media_world()
    days = [JAN_1 + k * DAY for k in range(4)]
    files = {f"day{k}": world.w.document(2 * MIB, file_name=f"day{k}.bin") for k in range(4)}
    for day, (kind, file) in zip(days, files.items(), strict=True):
        post_files(world, {kind: file}, start=day)
    server = await fakegram(world.w.world)
    settings = {"max_media_size_mb": 1, "media_concurrency": 1}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuids = {k: m["media_uuid"] for k, m in by_kind(world, await read_history(tgsc)).items()}
    for uuid in uuids.values():
        await wait_for_status(tgsc, uuid, "skipped_by_size")
    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 3})
    service = tgsc.app[MEDIA]
    cache = await tgsc.app[CACHE].dialog(world.channel.peer, "alice")

    # two ranges at once (the first review has not even started): neither is dropped
    service.review("alice", cache, days[0], days[1])
    service.review("alice", cache, days[1], days[2])
    day0 = await wait_for_status(tgsc, uuids["day0"], "downloaded")
    await wait_for_status(tgsc, uuids["day1"], "downloaded")

    # what was reviewed under these settings is not looked at again: day 0's file, lost
    # on disk, stays lost while days 0-2 are reviewed (only day 2 is new) and then day 3
    # (reviews of a chat run in turn, downloads one at a time in queue order: had day 0
    # been queued, it would be on disk before day 3)
    lost = tgsc.data_dir / day0["file_path"]
    lost.unlink()
    service.review("alice", cache, days[0], days[3])
    service.review("alice", cache, days[3], days[3] + DAY)
    await wait_for_status(tgsc, uuids["day2"], "downloaded")
    await wait_for_status(tgsc, uuids["day3"], "downloaded")
    assert not lost.exists()

    # a settings change forgets it: serving day 0 again reviews it, and the file comes back
    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 4})
    await read_history(tgsc, start_date="2024-01-01", end_date="2024-01-01")
    async with asyncio.timeout(60):
        while not lost.exists():  # noqa: ASYNC110 - a file a background task writes
            await asyncio.sleep(0.05)
    assert sha256(lost) == digest_of(files["day0"])


async def test_files_of_messages_hidden_from_the_account_are_left_to_others(fakegram, make_tgsc):
    """bob joined a supergroup with hidden pre-history: neither his served history (with
    repair_media on) nor his repair counts or downloads the older files alice cached."""
    world = media_world()
    w = world.w
    team = w.supergroup("Team", members=[world.alice], hidden_prehistory=True)
    early = [w.post(team, f"early {k}", date=JAN_1 + k, media=w.document(2 * MIB))
             for k in range(2)]  # fmt: skip
    w.join(team, world.bob)
    late = w.post(team, "late", date=JAN_1 + 60, media=w.document(2 * MIB))
    next_day = w.post(team, "next day", date=JAN_1 + DAY, media=w.document(2 * MIB))
    server = await fakegram(w.world)
    settings = {"max_media_size_mb": 1, "media_concurrency": 1}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuids = {m["message_id"]: m["media_uuid"] for m in await read_history(tgsc, str(team.peer))}
    for uuid in uuids.values():
        await wait_for_status(tgsc, uuid, "skipped_by_size")
    patch = {"max_media_size_mb": 3, "repair_media": True}
    await tgsc.json("PATCH", "/api/v3/settings", json=patch)

    # bob's reviews run in turn and his downloads one at a time in queue order: had the
    # first day's review queued the early files, they would be on disk before next_day's
    server.reset_calls()
    for day in ("2024-01-01", "2024-01-02"):
        messages = await read_history(tgsc, str(team.peer), account="bob",
                                      start_date=day, end_date=day)  # fmt: skip
        assert early[0].id not in [m["message_id"] for m in messages]
    await wait_for_status(tgsc, uuids[next_day.id], "downloaded")
    assert (await metadata(tgsc, uuids[late.id]))["downloaded"] is True
    report = await tgsc.json("POST", f"/api/v3/media/repair/{team.peer}", account="bob")
    assert report == {"queued": 0, "already_present": 2, "still_skipped": 0}
    for message in early:  # untouched: still alice's skipped files
        assert (await metadata(tgsc, uuids[message.id]))["status"] == "skipped_by_size"
    assert server.calls["upload.getFile"] == 4  # two parts of each of bob's files

    report = await tgsc.json("POST", f"/api/v3/media/repair/{team.peer}")
    assert report == {"queued": 2, "already_present": 2, "still_skipped": 0}
    for message in early:
        await wait_for_status(tgsc, uuids[message.id], "downloaded")
