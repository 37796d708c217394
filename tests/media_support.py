"""Helpers shared by the media tests: a world with every kind of file, reading history
through the real HTTP API, waiting for background downloads, proving parallel parts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrogram import raw

from tests.fakegram.methods.upload import get_file
from tests.fakegram.world.builder import WorldBuilder
from tests.fakegram.world.files import file_digest
from tests.sse_client import read_stream

MIB = 1024 * 1024
#: 2024-01-01 00:00:00 UTC
JAN_1 = 1_704_067_200


@dataclass
class MediaWorld:
    w: WorldBuilder
    alice: Any
    bob: Any
    channel: Any
    #: media kind -> (message, file) posted in ``channel``
    posts: dict[str, tuple[Any, Any]]


def media_world() -> MediaWorld:
    """alice and bob; a public channel "media" with alice as its member (add files with
    ``post_files``)."""
    w = WorldBuilder(now=JAN_1 + 3600)
    alice = w.account("alice")
    bob = w.account("bob")
    channel = w.channel("Media", username="media", members=[alice])
    return MediaWorld(w, alice, bob, channel, {})


def post_files(world: MediaWorld, files: dict[str, Any], *, start: int = JAN_1) -> None:
    """One message per file in the channel, a minute apart, in the given order."""
    for index, (kind, file) in enumerate(files.items()):
        message = world.w.post(world.channel, kind, date=start + 60 * index, media=file)
        world.posts[kind] = (message, file)


async def read_history(
    tgsc: Any, dialog: str = "media", *, account: str | None = None, **params: Any
) -> list[dict]:
    """GET /api/v3/history/{dialog} to its end (as ``account``, default the app's); its
    messages (oldest first)."""
    by = {} if account is None else {"account": account}
    result = await read_stream(
        tgsc, f"/api/v3/history/{dialog}", params={"reverse": True, **params}, **by
    )
    assert result.status == 200, result.body
    assert result.done is not None, result.last_event
    return result.messages


async def metadata(tgsc: Any, uuid: str, **kwargs: Any) -> dict:
    return await tgsc.json("GET", f"/api/v3/files/{uuid}?metadata_only=true", **kwargs)


async def wait_for_status(tgsc: Any, uuid: str, *statuses: str) -> dict:
    """Poll the file's metadata until its status is one of ``statuses`` (background work
    finishes when it finishes: this waits for a state, it measures nothing; 60 s at most)."""
    answer: dict = {}
    try:
        async with asyncio.timeout(60):
            while True:
                answer = await metadata(tgsc, uuid)
                if answer["status"] in statuses:
                    return answer
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{uuid} stayed {answer.get('status')}, not {statuses}") from None


def by_kind(world: MediaWorld, messages: list[dict]) -> dict[str, dict]:
    """The message JSON of each posted kind."""
    ids = {message.id: kind for kind, (message, _) in world.posts.items()}
    return {ids[m["message_id"]]: m for m in messages if m["message_id"] in ids}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest_of(file: Any) -> str:
    """The SHA-256 a download of a fakegram document (or a photo's largest size) must
    have."""
    if hasattr(file, "sizes"):
        largest = file.sizes[-1]
        return file_digest(largest.seed, largest.size)
    return file_digest(file.seed, file.size)


def gate_parts(server: Any, wanted: int) -> dict[str, int]:
    """Hold upload.getFile answers until ``wanted`` requests wait at once (proof of
    parallel parts that times nothing; after 5 s they go anyway and the proof fails);
    returns the counters (``max`` = most requests seen waiting together)."""
    state = {"waiting": 0, "max": 0}
    opened = asyncio.Event()

    async def gated(ctx: Any, request: Any) -> Any:
        state["waiting"] += 1
        state["max"] = max(state["max"], state["waiting"])
        if state["waiting"] >= wanted:
            opened.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(opened.wait(), 5)
        state["waiting"] -= 1
        return await get_file(ctx, request)

    server.set_handler(raw.functions.upload.GetFile, gated)
    return state


def bound_gate(server: Any, expected: int, key: Callable[[Any], Any]) -> dict[str, int]:
    """Hold upload.getFile requests until ``expected`` of them (distinct ``key(request)``)
    are in flight, then a grace of 0.5 s in which one more would show up: a bound cannot be
    seen without giving the request over it that chance, but no outcome depends on how
    long anything takes otherwise (more than ``expected`` releases at once; 20 s without
    ``expected`` releases too, and the count shows it). Returns the counters (``max`` =
    most in flight together)."""
    state = {"max": 0}
    in_flight: set[Any] = set()
    release = asyncio.Event()

    async def held(ctx: Any, request: Any) -> Any:
        name = key(request)
        in_flight.add(name)
        state["max"] = max(state["max"], len(in_flight))
        if len(in_flight) > expected:
            release.set()
        elif len(in_flight) == expected and not release.is_set():
            await asyncio.sleep(0.5)
            release.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), 20)
        try:
            return await get_file(ctx, request)
        finally:
            in_flight.discard(name)

    server.set_handler(raw.functions.upload.GetFile, held)
    return state
