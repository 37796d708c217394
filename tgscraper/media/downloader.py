"""One file as parallel ``upload.getFile`` parts: fast, resumable, never half-visible.

pyrogram's ``download_media`` asks for one 1 MiB part, waits for it, asks for the next.
Here :data:`DownloadOptions.parts_in_flight` parts are requested at once (spread over the
account's media sessions for the file's DC, see ``connections``) and written at their
offsets as they arrive (``partfile``), so a file costs about ``size / parts_in_flight``
round trips instead of ``size``.

Telegram's rules for a part (core.telegram.org/api/files, "Downloading files"): the
offset divisible by 4 KiB, the limit divisible by 4 KiB with 1 MiB divisible by the
limit, and a part may not cross a 1 MiB boundary. A part size that divides 1 MiB, at
offsets that are multiples of it, satisfies all of them. A part shorter than asked ends
the file.

What can happen on the way:

* FLOOD_WAIT -> waited out under the flood policy (``gateway.with_flood_policy``); every
  part of that DC pauses (``connections.hold``). Longer than allowed: FloodWaitTooLong.
* FILE_MIGRATE_X -> the file is on DC X: the parts continue there.
* FILE_REFERENCE_EXPIRED / _INVALID -> :class:`ReferenceExpired`; the parts written so
  far stay recorded, the caller refreshes the reference and calls again (a resume).
* a dropped connection -> pyrogram reconnects and re-sends; if a part still fails, the
  download fails and the next attempt resumes from the recorded parts.
* a part of the wrong length -> :class:`DownloadError` (Telegram's file differs from
  the size we recorded), the partial file is discarded.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pyrogram import raw
from pyrogram.errors import FileMigrate, FileReferenceExpired, FileReferenceInvalid

from tgscraper.cache.media_files import MediaFile
from tgscraper.media.connections import MediaConnections
from tgscraper.media.partfile import PartFile
from tgscraper.telegram.gateway import FloodPolicy, with_flood_policy

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class DownloadOptions:
    """How one file is fetched: ``parts_in_flight`` requests of ``part_size`` bytes."""

    part_size: int = MIB
    parts_in_flight: int = 12

    def __post_init__(self) -> None:
        if self.part_size <= 0 or self.part_size % (4 * KIB) or MIB % self.part_size:
            raise ValueError("part_size must divide 1 MiB and be a multiple of 4 KiB")
        if self.parts_in_flight < 1:
            raise ValueError("parts_in_flight must be at least 1")


@dataclass(slots=True)
class RemoteFile:
    """What to fetch: a file location on a DC, and its size (None: unknown, read until
    a short part)."""

    dc_id: int
    location: raw.base.InputFileLocation
    size: int | None


def remote_file(media: MediaFile) -> RemoteFile:
    """The download location of a stored media row."""
    if media.location_kind == "photo":
        location = raw.types.InputPhotoFileLocation(
            id=media.file_id,
            access_hash=media.access_hash,
            file_reference=media.file_reference,
            thumb_size=media.thumb_size,
        )
    else:
        location = raw.types.InputDocumentFileLocation(
            id=media.file_id,
            access_hash=media.access_hash,
            file_reference=media.file_reference,
            thumb_size="",
        )
    return RemoteFile(media.dc_id, location, media.size)


class DownloadError(Exception):
    """The file could not be fetched as recorded (the message says why)."""


class ReferenceExpired(DownloadError):
    """Telegram refused the file reference: refresh it and download again."""


class _Progress:
    """Which parts remain, and where the file ends once a short part shows it."""

    def __init__(self, size: int | None, part_size: int, done: dict[int, int]):
        self.part_size = part_size
        self.done = done
        self.last_index: int | None = None if size is None else max(0, -(-size // part_size) - 1)
        self._indexes = itertools.count()

    def next_index(self) -> int | None:
        for index in self._indexes:
            if self.last_index is not None and index > self.last_index:
                return None
            if index not in self.done:
                return index
        return None  # pragma: no cover - count() never ends


async def download(
    connections: MediaConnections,
    remote: RemoteFile,
    part_file: PartFile,
    policy: FloodPolicy,
    options: DownloadOptions,
) -> int:
    """Fetch the parts ``part_file`` does not have yet; returns the file's size. The
    caller finishes (renames) or keeps ``part_file``."""
    progress = _Progress(remote.size, options.part_size, dict(part_file.done))
    short = [i for i, n in part_file.done.items() if n < options.part_size]
    if remote.size is None and short:
        progress.last_index = min(short)

    async def fetch(index: int) -> bytes:
        offset = index * options.part_size

        async def once() -> bytes:
            return await connections.get_part(
                remote.dc_id, remote.location, offset, options.part_size
            )

        while True:
            dc_id = remote.dc_id
            waiting = policy.listening(_holder(connections, dc_id, policy.on_wait))
            try:
                return await with_flood_policy(waiting, once)
            except FileMigrate as exc:
                if not isinstance(exc.value, int) or exc.value == dc_id:
                    raise
                remote.dc_id = exc.value  # every part follows
            except (FileReferenceExpired, FileReferenceInvalid) as exc:
                raise ReferenceExpired(str(exc)) from exc

    room = asyncio.Semaphore(options.parts_in_flight)  # parts received, not yet on disk

    async def worker() -> None:
        while (index := progress.next_index()) is not None:
            data = await fetch(index)
            _check_length(remote, progress, index, len(data))
            await room.acquire()  # the disk keeps up: memory stays bounded
            part_file.write(index, data).add_done_callback(lambda _: room.release())

    lanes = options.parts_in_flight
    if remote.size is not None:
        lanes = min(lanes, max(1, -(-remote.size // options.part_size)))
    await _all_or_first_error([worker() for _ in range(lanes)])
    await part_file.drain()
    return _final_size(remote, progress, part_file)


async def _all_or_first_error(coroutines: list[Awaitable[None]]) -> None:
    """Run them together; the first failure cancels the rest and is raised as itself
    (not wrapped in an ExceptionGroup, so callers can tell a reference from a flood)."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()


def _holder(
    connections: MediaConnections, dc_id: int, listener: Callable[[int], None] | None
) -> Callable[[int], None]:
    def hold(seconds: int) -> None:
        connections.hold(dc_id, seconds)
        if listener is not None:
            listener(seconds)

    return hold


def _check_length(remote: RemoteFile, progress: _Progress, index: int, length: int) -> None:
    part_size = progress.part_size
    offset = index * part_size
    if remote.size is None:
        if length < part_size and (progress.last_index is None or index < progress.last_index):
            progress.last_index = index  # the file ends in this part
        return
    expected = max(0, min(part_size, remote.size - offset))
    if length != expected:
        raise DownloadError(
            f"Telegram sent {length} bytes at offset {offset}, expected {expected} "
            f"(the file should have {remote.size} bytes)"
        )


def _final_size(remote: RemoteFile, progress: _Progress, part_file: PartFile) -> int:
    if remote.size is not None:
        return remote.size
    last = progress.last_index
    if last is None or last not in part_file.done:
        raise DownloadError("the file's end was not found")
    return last * progress.part_size + part_file.done[last]
