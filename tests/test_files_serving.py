"""GET/HEAD /api/v3/files/{uuid}: on-demand fetch of a 20 MB file from the other DC in
parallel parts, ranges, conditional requests, names, metadata, 409 (fakegram, real HTTP)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from tests.fakegram.world.files import file_bytes
from tests.media_support import (
    JAN_1,
    MIB,
    by_kind,
    digest_of,
    gate_parts,
    media_world,
    metadata,
    post_files,
    read_history,
    sha256,
)


async def test_a_20_mb_file_on_dc_4_is_fetched_on_demand_in_parallel_parts(fakegram, make_tgsc):
    world = media_world()
    size = 20 * MIB + 4321
    big = world.w.document(size, file_name="big.mkv", mime_type="video/x-matroska", dc_id=4)
    post_files(world, {"big": big})
    server = await fakegram(world.w.world)
    settings = {"download_media": False, "max_media_size_mb": 21}
    tgsc = await make_tgsc(telegram=server, settings=settings)
    uuid = by_kind(world, await read_history(tgsc))["big"]["media_uuid"]
    before = await metadata(tgsc, uuid)
    assert (before["status"], before["downloaded"], before["size"]) == ("disabled", False, size)
    assert "file_path" not in before

    gate = gate_parts(server, 4)
    server.reset_calls()
    reply = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert reply.status == 200
    assert hashlib.sha256(reply.body).hexdigest() == digest_of(big)
    assert gate["max"] >= 4  # four parts were waiting on the server at the same time
    assert server.calls["upload.getFile"] == 21  # each 1 MiB part once
    assert reply.headers["Content-Type"] == "video/x-matroska"
    assert int(reply.headers["Content-Length"]) == size
    assert reply.headers["Accept-Ranges"] == "bytes"
    after = await metadata(tgsc, uuid)
    assert (after["status"], after["downloaded"]) == ("downloaded", True)
    media_dir = tgsc.data_dir / "channels" / str(world.channel.peer) / "media"
    assert [p.name for p in media_dir.iterdir()] == [f"{world.posts['big'][0].id}-big.mkv"]
    assert sha256(media_dir / f"{world.posts['big'][0].id}-big.mkv") == digest_of(big)

    # served from disk now: ranges, HEAD, conditional requests
    server.reset_calls()
    expected = file_bytes(big.seed, 0, size)
    for header, status, first, last in [
        ("bytes=0-", 206, 0, size - 1),
        ("bytes=-1000", 206, size - 1000, size - 1),
        ("bytes=5000000-5999999", 206, 5_000_000, 5_999_999),
        (f"bytes={size - 10}-{size + 500}", 206, size - 10, size - 1),
    ]:
        part = await tgsc.request("GET", f"/api/v3/files/{uuid}", headers={"Range": header})
        assert part.status == status, header
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert part.body == expected[first : last + 1]
    beyond = await tgsc.request("GET", f"/api/v3/files/{uuid}", headers={"Range": f"bytes={size}-"})
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"

    head = await tgsc.request("HEAD", f"/api/v3/files/{uuid}")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == size
    etag, modified = head.headers["ETag"], head.headers["Last-Modified"]
    assert etag.startswith('"') and modified
    assert head.headers["ETag"] == reply.headers["ETag"]
    for conditional in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        cached = await tgsc.request("GET", f"/api/v3/files/{uuid}", headers=conditional)
        assert cached.status == 304 and cached.body == b""
    changed = await tgsc.request("GET", f"/api/v3/files/{uuid}", headers={"If-None-Match": '"x"'})
    assert changed.status == 200 and len(changed.body) == size
    assert server.calls["upload.getFile"] == 0


async def test_names_are_sanitised_on_disk_and_sent_as_rfc_6266(fakegram, make_tgsc):
    world = media_world()
    w = world.w
    files = {
        "evil": w.document(1000, file_name="../../etc/passwd", mime_type="text/html"),
        "unicode": w.document(2000, file_name="отчёт «Q1» 2024.pdf", mime_type="application/pdf"),
        "voice": w.voice(3000),
    }
    post_files(world, files)
    server = await fakegram(w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    messages = by_kind(world, await read_history(tgsc))

    evil = await tgsc.request("GET", f"/api/v3/files/{messages['evil']['media_uuid']}")
    assert evil.status == 200 and evil.body == file_bytes(files["evil"].seed, 0, 1000)
    assert evil.headers["Content-Disposition"] == (
        "inline; filename=\"_.._etc_passwd\"; filename*=UTF-8''_.._etc_passwd"
    )
    # an HTML "file" from a chat cannot run script in this server's origin
    assert evil.headers["Content-Security-Policy"] == "sandbox"
    assert evil.headers["X-Content-Type-Options"] == "nosniff"
    evil_id = world.posts["evil"][0].id
    dialog_dir = tgsc.data_dir / "channels" / str(world.channel.peer)
    assert (dialog_dir / "media" / f"{evil_id}-_.._etc_passwd").is_file()
    assert not (tgsc.data_dir / "etc").exists() and not (dialog_dir / "etc").exists()

    unicode = await tgsc.request("GET", f"/api/v3/files/{messages['unicode']['media_uuid']}")
    name = "отчёт «Q1» 2024.pdf"
    assert unicode.headers["Content-Disposition"] == (
        f"inline; filename=\"Q1 2024.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    assert unicode.headers["Content-Type"] == "application/pdf"
    unicode_id = world.posts["unicode"][0].id
    assert (dialog_dir / "media" / f"{unicode_id}-{name}").is_file()

    voice = await tgsc.request("GET", f"/api/v3/files/{messages['voice']['media_uuid']}")
    assert 'filename="voice.ogg"' in voice.headers["Content-Disposition"]
    assert voice.headers["Content-Type"] == "audio/ogg"


async def test_metadata_and_the_size_limit(fakegram, make_tgsc):
    world = media_world()
    big = world.w.document(3 * MIB, file_name="big.iso")
    post_files(world, {"big": big})
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"max_media_size_mb": 2})
    uuid = by_kind(world, await read_history(tgsc))["big"]["media_uuid"]

    answer = await metadata(tgsc, uuid)
    assert answer == {
        "uuid": uuid,
        "media_type": "files",
        "size": 3 * MIB,
        "mime_type": "application/octet-stream",
        "original_filename": "big.iso",
        "downloaded": False,
        "status": "skipped_by_size",
        "reason": f"the file has {3 * MIB} bytes, more than max_media_size_mb (2 MB)",
    }
    refused = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert refused.status == 409
    assert refused.json()["error"] == "too_large"
    assert "max_media_size_mb" in refused.json()["detail"]
    assert (await tgsc.request("HEAD", f"/api/v3/files/{uuid}")).status == 409
    assert server.calls["upload.getFile"] == 0

    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 0})  # no limit
    head = await tgsc.request("HEAD", f"/api/v3/files/{uuid}")  # fetches it first
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == 3 * MIB
    assert server.calls["upload.getFile"] == 3
    served = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert served.status == 200 and hashlib.sha256(served.body).hexdigest() == digest_of(big)
    assert served.headers["ETag"] == head.headers["ETag"]
    assert server.calls["upload.getFile"] == 3  # served from disk
    local = await metadata(tgsc, uuid)
    assert local["file_path"] == str(
        tgsc.data_dir
        / "channels"
        / str(world.channel.peer)
        / "media"
        / f"{world.posts['big'][0].id}-big.iso"
    )
    proxied = await metadata(tgsc, uuid, headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied["downloaded"] is True and "file_path" not in proxied


async def test_bad_unknown_and_foreign_files(fakegram, make_tgsc):
    world = media_world()
    w = world.w
    vault = w.channel("Vault", members=[world.alice])  # private: bob cannot open it
    w.post(vault, "secret", media=w.document(500))
    dm = w.private(world.alice, world.bob)
    photo = w.photo(2000)
    mine = w.post(dm, "for bob", sender=world.alice, media=photo)
    server = await fakegram(w.world)
    tgsc = await make_tgsc(telegram=server)
    vault_uuid = (await read_history(tgsc, str(vault.peer)))[0]["media_uuid"]
    dm_messages = await read_history(tgsc, str(world.bob.id))
    dm_uuid = next(m["media_uuid"] for m in dm_messages if m["message_id"] == mine.id)

    bad = await tgsc.request("GET", "/api/v3/files/not-a-uuid")
    assert bad.status == 400 and "'uuid'" in bad.json()["detail"]
    unknown = await tgsc.request("GET", "/api/v3/files/00000000-0000-4000-8000-000000000000")
    assert unknown.status == 404 and unknown.json()["error"] == "not_found"
    for uuid in (vault_uuid, dm_uuid):
        for method in ("GET", "HEAD"):
            refused = await tgsc.request(method, f"/api/v3/files/{uuid}", account="bob")
            assert refused.status == 403, (uuid, method)
        answer = await tgsc.request(
            "GET", f"/api/v3/files/{uuid}?metadata_only=true", account="bob"
        )
        assert answer.status == 403 and answer.json()["error"] == "no_access"
    mine_answer = await tgsc.request("GET", f"/api/v3/files/{dm_uuid}")
    assert mine_answer.status == 200
    assert hashlib.sha256(mine_answer.body).hexdigest() == digest_of(photo)


async def test_a_file_of_a_message_hidden_from_the_account_is_refused_as_a_foreign_chats(
    fakegram, make_tgsc
):
    """bob joined a supergroup with hidden pre-history: its older files (cached by alice,
    on disk or not) answer him exactly as a file of a chat he cannot open does."""
    world = media_world()
    w = world.w
    team = w.supergroup("Team", members=[world.alice], hidden_prehistory=True)
    early = [w.post(team, "doc", date=JAN_1, media=w.document(700)),
             w.post(team, "photo", date=JAN_1 + 1, media=w.photo(900))]  # fmt: skip
    w.join(team, world.bob)
    late_file = w.document(800)
    late = w.post(team, "late", date=JAN_1 + 60, media=late_file)
    vault = w.channel("Vault", members=[world.alice])  # private: bob cannot open it
    w.post(vault, "secret", media=w.document(500))
    server = await fakegram(w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    uuids = {m["message_id"]: m["media_uuid"] for m in await read_history(tgsc, str(team.peer))}
    vault_uuid = (await read_history(tgsc, str(vault.peer)))[0]["media_uuid"]
    on_disk = uuids[early[0].id]
    assert (await tgsc.request("GET", f"/api/v3/files/{on_disk}")).status == 200  # alice's
    media_dir = tgsc.data_dir / "channels" / str(team.peer) / "media"
    assert [p.name for p in media_dir.iterdir()] == [f"{early[0].id}-file.bin"]

    server.reset_calls()
    for query in ("", "?metadata_only=true"):
        for method in ("GET", "HEAD"):
            path = f"/api/v3/files/{vault_uuid}{query}"
            foreign = await tgsc.request(method, path, account="bob")
            assert foreign.status == 403
            if method == "GET":
                assert foreign.json()["error"] == "no_access"
            for message in early:
                path = f"/api/v3/files/{uuids[message.id]}{query}"
                hidden = await tgsc.request(method, path, account="bob")
                assert (hidden.status, hidden.body) == (foreign.status, foreign.body), path
    assert server.calls["upload.getFile"] == 0  # nothing was fetched for him
    assert len(list(media_dir.iterdir())) == 1

    visible = await tgsc.request("GET", f"/api/v3/files/{uuids[late.id]}", account="bob")
    assert visible.status == 200
    assert hashlib.sha256(visible.body).hexdigest() == digest_of(late_file)
    assert (await metadata(tgsc, uuids[late.id], account="bob"))["downloaded"] is True
