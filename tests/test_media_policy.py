"""Which files are downloaded while history is read: categories, toggles, size limit,
download_media=false; each row's state and reason (fakegram, real HTTP)."""

from __future__ import annotations

import hashlib

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


def every_kind(world):
    w = world.w
    return {
        "photo": w.photo(50_000),
        "video": w.video(300_000),
        "voice": w.voice(20_000),
        "round": w.round_video(100_000),
        "sticker": w.sticker(15_000),
        "gif": w.gif(80_000),
        "audio": w.audio(200_000),
        "document": w.document(40_000, file_name="notes.pdf", mime_type="application/pdf"),
        "link": w.webpage("https://example.com", title="Example"),
    }


EXPECTED_TYPES = {
    "photo": "photos",
    "video": "videos",
    "voice": "voice_messages",
    "round": "video_messages",
    "sticker": "stickers",
    "gif": "gifs",
    "audio": "files",
    "document": "files",
}


async def test_every_category_is_classified_and_downloaded_byte_exact(fakegram, make_tgsc):
    world = media_world()
    files = every_kind(world)
    post_files(world, files)
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server)

    messages = by_kind(world, await read_history(tgsc))
    assert "media_type" not in messages["link"] and "media_uuid" not in messages["link"]
    assert {kind: m["media_type"] for kind, m in messages.items() if kind != "link"} == (
        EXPECTED_TYPES
    )
    for kind, expected_type in EXPECTED_TYPES.items():
        answer = await wait_for_status(tgsc, messages[kind]["media_uuid"], "downloaded")
        assert answer["media_type"] == expected_type
        assert answer["downloaded"] is True and answer["reason"] is None
        assert answer["file_path"].startswith(str(tgsc.data_dir / "channels"))  # loopback
        reply = await tgsc.request("GET", f"/api/v3/files/{answer['uuid']}")
        assert reply.status == 200
        assert int(reply.headers["Content-Length"]) == answer["size"] == len(reply.body)
        assert hashlib.sha256(reply.body).hexdigest() == digest_of(files[kind])
    assert messages["document"]["media_original_filename"] == "notes.pdf"
    assert (await metadata(tgsc, messages["document"]["media_uuid"]))["file_path"].endswith(
        f"/media/{world.posts['document'][0].id}-notes.pdf"
    )


async def test_toggles_and_the_size_limit_decide_and_record_why(fakegram, make_tgsc):
    world = media_world()
    w = world.w
    files = {
        "photo": w.photo(50_000),
        "video": w.video(300_000),
        "big": w.document(3 * MIB, file_name="big.zip"),
        "small": w.document(10_000, file_name="small.txt", mime_type="text/plain"),
    }
    post_files(world, files)
    server = await fakegram(w.world)
    settings = {"max_media_size_mb": 2, "download_file_types": {"videos": False}}
    tgsc = await make_tgsc(telegram=server, settings=settings)

    messages = by_kind(world, await read_history(tgsc))
    small = await wait_for_status(tgsc, messages["small"]["media_uuid"], "downloaded")
    photo = await wait_for_status(tgsc, messages["photo"]["media_uuid"], "downloaded")
    video = await wait_for_status(tgsc, messages["video"]["media_uuid"], "skipped_by_type")
    big = await wait_for_status(tgsc, messages["big"]["media_uuid"], "skipped_by_size")
    assert small["downloaded"] and photo["downloaded"]
    assert not video["downloaded"] and "file_path" not in video
    assert video["reason"] == "download_file_types.videos is off"
    assert "max_media_size_mb (2 MB)" in big["reason"] and not big["downloaded"]
    assert sha256(tgsc.data_dir / small["file_path"]) == digest_of(files["small"])
    media_dir = tgsc.data_dir / "channels" / str(world.channel.peer) / "media"
    assert sorted(p.name for p in media_dir.iterdir()) == sorted(
        [f"{world.posts['small'][0].id}-small.txt", f"{world.posts['photo'][0].id}-photo.jpg"]
    )


async def test_download_media_false_disables_every_automatic_download(fakegram, make_tgsc):
    world = media_world()
    post_files(world, {"photo": world.w.photo(), "doc": world.w.document(5_000)})
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})

    messages = by_kind(world, await read_history(tgsc))
    for message in messages.values():
        answer = await wait_for_status(tgsc, message["media_uuid"], "disabled")
        assert answer["reason"] == "download_media is off" and not answer["downloaded"]
    assert server.calls["upload.getFile"] == 0


async def test_sync_waits_for_the_downloads_and_counts_exactly(fakegram, make_tgsc):
    world = media_world()
    w = world.w
    files = {
        "photo": w.photo(40_000),
        "small": w.document(20_000, file_name="a.txt", mime_type="text/plain"),
        "video": w.video(100_000),
        "big": w.document(2 * MIB, file_name="big.bin"),
        "link": w.webpage("https://example.org"),
    }
    post_files(world, files)
    for index in range(3):
        w.post(world.channel, f"text {index}", date=world.posts["link"][0].date + 60 + index)
    server = await fakegram(w.world)
    settings = {"max_media_size_mb": 1, "download_file_types": {"videos": False}}
    tgsc = await make_tgsc(telegram=server, settings=settings)

    answer = await tgsc.json("POST", "/api/v3/sync/media")
    assert answer == {
        "dialog_id": world.channel.peer,
        "messages_downloaded": 8,
        "messages_with_media": 4,
        "media_downloaded": 2,
        "media_skipped": 2,
        "media_failed": 0,
    }
    messages = by_kind(world, await read_history(tgsc))
    for kind in ("photo", "small"):  # on disk when sync answered: no waiting here
        state = await metadata(tgsc, messages[kind]["media_uuid"])
        assert state["status"] == "downloaded" and state["downloaded"]
        assert sha256(tgsc.data_dir / state["file_path"]) == digest_of(files[kind])
    again = await tgsc.json("POST", "/api/v3/sync/media")
    assert again["messages_downloaded"] == 0
    assert (again["media_downloaded"], again["media_skipped"]) == (0, 0)
