"""The part downloader against fakegram: parallel parts, other DC, resume, size checks."""

from __future__ import annotations

import hashlib

import pytest
from pyrogram import raw

from tests.fakegram.methods.upload import get_file
from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.files import file_bytes, file_digest
from tests.media_support import gate_parts
from tgscraper.media.connections import MediaConnections
from tgscraper.media.downloader import (
    MIB,
    DownloadError,
    DownloadOptions,
    ReferenceExpired,
    download,
    remote_file,
)
from tgscraper.media.partfile import PartFile
from tgscraper.telegram.convert import convert_messages
from tgscraper.telegram.gateway import FloodPolicy

NO_WAITING = FloodPolicy(0)


async def _setup(fakegram, fakegram_client, size, *, dc_id=2):
    w = WorldBuilder()
    alice = w.account("alice")
    news = w.channel("News", username="news", members=[alice])
    document = w.document(size, file_name="big.bin", dc_id=dc_id)
    post = w.post(news, "a file", media=document)
    server = await fakegram(w.world)
    client = await fakegram_client(server, alice.id, sleep_threshold=0)
    peer = await client.resolve_peer("news")
    answer = await client.invoke(
        raw.functions.channels.GetMessages(
            channel=raw.types.InputChannel(
                channel_id=peer.channel_id, access_hash=peer.access_hash
            ),
            id=[raw.types.InputMessageID(id=post.id)],
        )
    )
    (media,) = convert_messages(answer, -1000000000000 - peer.channel_id).media
    return w, server, client, document, media


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_20_mb_file_on_the_other_dc_arrives_byte_exact_in_parallel_parts(
    fakegram, fakegram_client, tmp_path
):
    size = 20 * MIB + 12345
    _, server, client, document, media = await _setup(fakegram, fakegram_client, size, dc_id=4)
    assert media.dc_id == 4
    state = gate_parts(server, 4)
    connections = MediaConnections(client)
    part_file = await PartFile.open(tmp_path, media.uuid, MIB, size)
    server.reset_calls()
    try:
        got = await download(
            connections, remote_file(media), part_file, NO_WAITING, DownloadOptions()
        )
        await part_file.finish(tmp_path / "big.bin", got)
    finally:
        await connections.close()
    assert got == size
    assert _digest(tmp_path / "big.bin") == file_digest(document.seed, size)
    assert server.calls["upload.getFile"] == 21  # one request per part, none repeated
    assert state["max"] >= 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]  # no leftovers


async def test_an_unknown_size_is_read_until_a_short_part(fakegram, fakegram_client, tmp_path):
    size = 3 * MIB + 10
    _, _, client, document, media = await _setup(fakegram, fakegram_client, size)
    remote = remote_file(media)
    remote.size = None
    connections = MediaConnections(client)
    part_file = await PartFile.open(tmp_path, "x", MIB, None)
    try:
        got = await download(connections, remote, part_file, NO_WAITING, DownloadOptions())
        await part_file.finish(tmp_path / "f", got)
    finally:
        await connections.close()
    assert got == size
    assert (tmp_path / "f").read_bytes() == file_bytes(document.seed, 0, size)


async def test_an_interrupted_download_resumes_from_the_recorded_parts(
    fakegram, fakegram_client, tmp_path
):
    size = 6 * MIB
    _, server, client, document, media = await _setup(fakegram, fakegram_client, size)
    connections = MediaConnections(client)
    options = DownloadOptions(parts_in_flight=2)
    part_file = await PartFile.open(tmp_path, media.uuid, MIB, size)
    served = 0

    async def fails_after_three(ctx, request):
        nonlocal served
        served += 1
        if served > 3:
            from tests.fakegram.rpc import RpcError

            raise RpcError(400, "FILE_ID_INVALID")
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, fails_after_three)
    try:
        with pytest.raises(Exception, match="FILE_ID_INVALID"):
            await download(connections, remote_file(media), part_file, NO_WAITING, options)
        await part_file.close()
        assert not (tmp_path / "f").exists()
        resumed = await PartFile.open(tmp_path, media.uuid, MIB, size)
        kept = len(resumed.done)
        assert kept >= 2  # parts whose bytes arrived before the failure (3 were served)
        server.set_handler(raw.functions.upload.GetFile, None)
        server.reset_calls()
        got = await download(connections, remote_file(media), resumed, NO_WAITING, options)
        await resumed.finish(tmp_path / "f", got)
    finally:
        await connections.close()
    assert server.calls["upload.getFile"] == 6 - kept  # only the missing parts
    assert _digest(tmp_path / "f") == file_digest(document.seed, size)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


async def test_an_expired_reference_is_reported_and_a_wrong_size_refused(
    fakegram, fakegram_client, tmp_path
):
    w, _, client, _, media = await _setup(fakegram, fakegram_client, 2 * MIB)
    connections = MediaConnections(client)
    try:
        wrong = remote_file(media)
        wrong.size = 3 * MIB  # more than Telegram has
        part_file = await PartFile.open(tmp_path, "a", MIB, wrong.size)
        with pytest.raises(DownloadError, match="expected"):
            await download(connections, wrong, part_file, NO_WAITING, DownloadOptions())
        await part_file.discard()

        w.expire_file_reference(w.world.files[media.file_id])
        part_file = await PartFile.open(tmp_path, "b", MIB, 2 * MIB)
        with pytest.raises(ReferenceExpired):
            await download(
                connections, remote_file(media), part_file, NO_WAITING, DownloadOptions()
            )
        await part_file.discard()
    finally:
        await connections.close()
    assert list(tmp_path.iterdir()) == []


def test_part_sizes_follow_telegrams_rules():
    for bad in (0, 1000, 3 * 4096, 2 * MIB):
        with pytest.raises(ValueError):
            DownloadOptions(part_size=bad)
    assert DownloadOptions(part_size=512 * 1024).part_size == 512 * 1024
