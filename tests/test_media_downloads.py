"""Downloads under trouble: one download per file however many ask, flood waits, a file
that moved DC, an expired file reference, a dropped connection, a shutdown mid-download
and the resume after it (fakegram, real HTTP)."""

from __future__ import annotations

import asyncio
import hashlib

from pyrogram import raw

from tests.fakegram.methods.upload import get_file
from tests.fakegram.rpc import RpcError
from tests.media_support import (
    MIB,
    bound_gate,
    by_kind,
    digest_of,
    media_world,
    metadata,
    post_files,
    read_history,
    sha256,
    wait_for_status,
)


async def _until(condition, what: str) -> None:
    """Wait (at most 60 s) until ``condition()`` holds."""
    try:
        async with asyncio.timeout(60):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


def _partial_files(tgsc, world):
    media_dir = tgsc.data_dir / "channels" / str(world.channel.peer) / "media"
    return sorted(p.name for p in media_dir.iterdir()) if media_dir.exists() else []


async def test_a_request_during_the_background_download_waits_for_it(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(3 * MIB, file_name="slow.bin")
    post_files(world, {"slow": doc})
    server = await fakegram(world.w.world)
    server.faults.byte_rate("upload.getFile", 2 * MIB)  # slow parts: the overlap is certain
    tgsc = await make_tgsc(telegram=server)

    uuid = by_kind(world, await read_history(tgsc))["slow"]["media_uuid"]  # queues it
    await _until(lambda: server.calls["upload.getFile"] > 0, "the background download began")
    replies = await asyncio.gather(
        *(tgsc.request("GET", f"/api/v3/files/{uuid}") for _ in range(3))
    )
    for reply in replies:
        assert reply.status == 200
        assert hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert server.calls["upload.getFile"] == 3  # one download: each part asked once
    assert (await metadata(tgsc, uuid))["status"] == "downloaded"


async def test_flood_waits_are_waited_out_and_a_moved_file_followed(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(4 * MIB + 1, file_name="flood.bin")
    moved = world.w.document(2 * MIB, file_name="moved.bin")
    post_files(world, {"flood": doc, "moved": moved})
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    messages = by_kind(world, await read_history(tgsc))

    server.faults.flood("upload.getFile", burst=2, refill_seconds=1)
    reply = await tgsc.request("GET", f"/api/v3/files/{messages['flood']['media_uuid']}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert server.calls["upload.getFile"] > 5  # some parts were refused with FLOOD_WAIT_1
    server.faults.no_flood("upload.getFile")

    moved.dc_id = 4  # Telegram moved it after the message was stored: FILE_MIGRATE_4
    server.reset_calls()
    reply = await tgsc.request("GET", f"/api/v3/files/{messages['moved']['media_uuid']}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(moved)


async def test_an_expired_file_reference_is_refreshed_from_the_message(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(2 * MIB + 7, file_name="ref.bin")
    photo = world.w.photo(30_000)
    post_files(world, {"doc": doc, "photo": photo})
    dm = world.w.private(world.alice, world.bob)
    direct = world.w.document(50_000, file_name="direct.bin")
    world.w.post(dm, "for alice", sender=world.bob, media=direct)
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    messages = by_kind(world, await read_history(tgsc))
    (from_bob,) = await read_history(tgsc, str(world.bob.id))

    world.w.expire_file_reference(doc)
    world.w.expire_file_reference(photo)
    world.w.expire_file_reference(direct)
    server.reset_calls()
    for kind, file in (("doc", doc), ("photo", photo)):
        reply = await tgsc.request("GET", f"/api/v3/files/{messages[kind]['media_uuid']}")
        assert reply.status == 200, reply.body
        assert hashlib.sha256(reply.body).hexdigest() == digest_of(file)
    reply = await tgsc.request("GET", f"/api/v3/files/{from_bob['media_uuid']}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(direct)
    assert server.calls["messages.getMessages"] == 1  # a private chat's message ids
    assert server.calls["channels.getMessages"] == 2  # one refetch per file


async def test_a_connection_dropped_mid_part_still_gives_the_whole_file(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(5 * MIB, file_name="dropped.bin")
    post_files(world, {"doc": doc})
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    uuid = by_kind(world, await read_history(tgsc))["doc"]["media_uuid"]

    server.faults.drop_connection(method="upload.getFile", after=3, mid_response=True)
    connections = server.connections_accepted
    reply = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert server.connections_accepted > connections  # it did reconnect
    assert _partial_files(tgsc, world) == [f"{world.posts['doc'][0].id}-dropped.bin"]


async def test_a_shutdown_mid_download_leaves_no_file_and_the_retry_resumes(
    fakegram, make_tgsc, tmp_path
):
    world = media_world()
    doc = world.w.document(6 * MIB, file_name="resume.bin")
    post_files(world, {"doc": doc})
    server = await fakegram(world.w.world)
    release = asyncio.Event()
    served = 0

    async def two_parts_then_hold(ctx, request):
        nonlocal served
        served += 1
        if served > 2:
            await release.wait()
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, two_parts_then_hold)
    data_dir = tmp_path / "data"
    tgsc = await make_tgsc(telegram=server, data_dir=data_dir)
    uuid = by_kind(world, await read_history(tgsc))["doc"]["media_uuid"]  # queued
    final = f"{world.posts['doc'][0].id}-resume.bin"
    media_dir = data_dir / "channels" / str(world.channel.peer) / "media"
    log = media_dir / f".{uuid}.parts"
    await _until(lambda: log.exists() and len(log.read_text().splitlines()) == 3, "2 parts")
    await tgsc.close()  # shutdown: the background download is cancelled
    assert not (media_dir / final).exists()  # nothing under the final name
    assert (media_dir / f".{uuid}.partial").exists()
    assert len(log.read_text().splitlines()) == 3  # the header and the two parts

    server.set_handler(raw.functions.upload.GetFile, None)
    release.set()
    server.reset_calls()
    again = await make_tgsc(telegram=server, data_dir=data_dir, settings={"download_media": False})
    reply = await again.request("GET", f"/api/v3/files/{uuid}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert server.calls["upload.getFile"] == 4  # only the missing parts
    assert sorted(p.name for p in media_dir.iterdir()) == [final]
    assert sha256(media_dir / final) == digest_of(doc)
    assert (await metadata(again, uuid))["status"] == "downloaded"


async def test_a_wait_longer_than_allowed_is_429_and_the_retry_resumes(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(3 * MIB, file_name="flood.bin")
    post_files(world, {"doc": doc})
    server = await fakegram(world.w.world)
    settings = {"download_media": False, "max_flood_wait_s": 5}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuid = by_kind(world, await read_history(tgsc))["doc"]["media_uuid"]
    log = tgsc.data_dir / "channels" / str(world.channel.peer) / "media" / f".{uuid}.parts"

    def recorded() -> int:
        """Parts the download has on disk (its log: a header, then a line per part)."""
        return len(log.read_text().splitlines()) - 1 if log.exists() else 0

    async def first_part_then_flood(ctx, request):
        if request.offset == 0:
            return await get_file(ctx, request)
        await _until(lambda: recorded() == 1, "the first part is on disk")
        raise RpcError(420, "FLOOD_WAIT_120")

    server.set_handler(raw.functions.upload.GetFile, first_part_then_flood)
    refused = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert refused.status == 429 and refused.json()["error"] == "flood_wait"
    assert refused.headers["Retry-After"] == "120"
    assert "max_flood_wait_s (5 s)" in refused.json()["detail"]
    failed = await metadata(tgsc, uuid)
    assert (failed["status"], failed["downloaded"]) == ("failed", False)
    assert "max_flood_wait_s" in failed["reason"]
    assert _partial_files(tgsc, world) == [f".{uuid}.partial", f".{uuid}.parts"]
    assert recorded() == 1

    server.set_handler(raw.functions.upload.GetFile, None)
    server.reset_calls()
    reply = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert reply.status == 200 and hashlib.sha256(reply.body).hexdigest() == digest_of(doc)
    assert server.calls["upload.getFile"] == 2  # the part served before the wait was kept
    assert _partial_files(tgsc, world) == [f"{world.posts['doc'][0].id}-flood.bin"]


async def test_a_reference_is_only_taken_from_the_same_message_and_file(fakegram, make_tgsc):
    """After FILE_REFERENCE_EXPIRED the message is fetched again: a message deleted since,
    or edited to carry another file, gives no reference (never another file's bytes under
    this uuid): 502, the row failed with the reason, nothing left on disk."""
    world = media_world()
    w = world.w
    files = {"deleted": w.document(30_000), "edited": w.document(40_000, file_name="a.bin")}
    post_files(world, files)
    server = await fakegram(w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    messages = by_kind(world, await read_history(tgsc))
    for file in files.values():
        w.expire_file_reference(file)
    w.delete(world.posts["deleted"][0])
    w.edit(world.posts["edited"][0], media=w.document(40_000, file_name="b.bin"))

    server.reset_calls()
    for kind in files:
        uuid = messages[kind]["media_uuid"]
        reply = await tgsc.request("GET", f"/api/v3/files/{uuid}")
        assert reply.status == 502, (kind, reply.body)
        assert reply.json()["error"] == "download_failed"
        assert "no longer carries this file" in reply.json()["detail"]
        answer = await metadata(tgsc, uuid)
        assert (answer["status"], answer["reason"]) == (
            "failed",
            "the message no longer carries this file",
        )
    assert server.calls["channels.getMessages"] == 2
    assert server.calls["upload.getFile"] == 2  # each refused once, never the new file
    assert _partial_files(tgsc, world) == []


async def test_background_downloads_run_media_concurrency_at_a_time(fakegram, make_tgsc):
    """Four files queued at once with media_concurrency 3: three download together (the
    pool uses every worker it may, also while others are busy), never four."""
    world = media_world()
    files = {f"f{k}": world.w.document(100_000 + k) for k in range(4)}  # one part each
    post_files(world, files)
    server = await fakegram(world.w.world)
    gate = bound_gate(server, 3, key=lambda request: request.location.id)
    tgsc = await make_tgsc(telegram=server, settings={"media_concurrency": 3})
    messages = by_kind(world, await read_history(tgsc))  # all four queued at once
    for kind, file in files.items():
        answer = await wait_for_status(tgsc, messages[kind]["media_uuid"], "downloaded")
        assert sha256(tgsc.data_dir / answer["file_path"]) == digest_of(file)
    assert gate["max"] == 3


async def test_media_parts_in_flight_bounds_the_parts_of_one_file(fakegram, make_tgsc):
    world = media_world()
    files = {"first": world.w.document(6 * MIB), "second": world.w.document(6 * MIB + 1)}
    post_files(world, files)
    server = await fakegram(world.w.world)
    settings = {"download_media": False, "media_parts_in_flight": 2}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    messages = by_kind(world, await read_history(tgsc))

    for kind, parts in (("first", 2), ("second", 5)):  # a PATCH applies to the next one
        await tgsc.json("PATCH", "/api/v3/settings", json={"media_parts_in_flight": parts})
        gate = bound_gate(server, parts, key=lambda request: request.offset)
        reply = await tgsc.request("GET", f"/api/v3/files/{messages[kind]['media_uuid']}")
        assert reply.status == 200
        assert hashlib.sha256(reply.body).hexdigest() == digest_of(files[kind])
        assert gate["max"] == parts, kind
