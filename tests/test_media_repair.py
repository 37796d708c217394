"""Repair: POST /api/v3/media/repair/{dialog} and the repair that serving cached history
does with repair_media on (fakegram, real HTTP)."""

from __future__ import annotations

from pyrogram import raw

from tests.fakegram.methods.upload import get_file
from tests.fakegram.rpc import RpcError
from tests.media_support import (
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


def _fail_file(server, file_id: int) -> None:
    """upload.getFile of one file answers FILE_ID_INVALID (the others are served)."""

    async def handler(ctx, request):
        if request.location.id == file_id:
            raise RpcError(400, "FILE_ID_INVALID")
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, handler)


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
