"""Telegram out of reach while a file is fetched on demand: 502 telegram_unavailable, the
row failed with the reason, and the next request downloads it (fakegram, real HTTP)."""

from __future__ import annotations

import hashlib

from tests.media_support import by_kind, digest_of, media_world, metadata, post_files, read_history


async def test_a_file_telegram_gives_no_answer_for_is_502(fakegram, make_tgsc):
    world = media_world()
    doc = world.w.document(50_000, file_name="far.bin")
    post_files(world, {"far": doc})
    server = await fakegram(world.w.world)
    tgsc = await make_tgsc(telegram=server, settings={"download_media": False})
    uuid = by_kind(world, await read_history(tgsc))["far"]["media_uuid"]
    server.faults.fail("upload.getFile", 500, "RPC_CALL_FAIL", times=100)
    answer = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert answer.status == 502, answer.body
    assert answer.json()["error"] == "telegram_unavailable"
    state = await metadata(tgsc, uuid)
    assert state["status"] == "failed"
    server.faults.clear()
    again = await tgsc.request("GET", f"/api/v3/files/{uuid}")
    assert again.status == 200
    assert hashlib.sha256(again.body).hexdigest() == digest_of(doc)
