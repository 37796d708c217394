"""A download in progress: a temporary file written part by part, and its record of the
parts that are safely on disk, so an interrupted download resumes where it stopped.

In the dialog's media directory, beside the final files::

    .<key>.partial        the bytes, each part written at its offset (pwrite)
    .<key>.parts          "tgscraper-parts 1 <part_size> <size>" then "<index> <length>"
                          per finished part

A part is recorded only after its bytes were written and ``fdatasync``-ed, so the record
never claims bytes a crash lost (records of parts written at about the same time share one
sync). A record with another part size or file size than the download's starts over.
:meth:`PartFile.finish` checks the size, ``fsync``-s, renames the file into place and
syncs the directory: a file under its final name is always complete. All disk work runs
in threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

_MAGIC = "tgscraper-parts 1"


class PartFile:
    """Open with :meth:`open`; ``done`` maps each recorded part index to its length."""

    def __init__(self, directory: Path, key: str, part_size: int, size: int | None):
        self.directory = directory
        self.part_size = part_size
        self.size = size
        self.data_path = directory / f".{key}.partial"
        self.log_path = directory / f".{key}.parts"
        self.done: dict[int, int] = {}
        self._fd = -1
        self._unlogged: dict[int, int] = {}
        self._log_lock = asyncio.Lock()
        #: writes still running (a cancelled caller does not stop them: the descriptor is
        #: closed only after they all ended, so no late write hits a reused descriptor)
        self._working: set[asyncio.Future] = set()

    @classmethod
    async def open(cls, directory: Path, key: str, part_size: int, size: int | None) -> PartFile:
        part_file = cls(directory, key, part_size, size)
        await asyncio.to_thread(part_file._open)
        return part_file

    @property
    def header(self) -> str:
        return f"{_MAGIC} {self.part_size} {self.size if self.size is not None else '?'}\n"

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.done = self._read_log()
        if not self.done:
            self.log_path.write_text(self.header)
        self._fd = os.open(self.data_path, os.O_RDWR | os.O_CREAT, 0o666)
        recorded_end = max((i * self.part_size + n for i, n in self.done.items()), default=0)
        if os.fstat(self._fd).st_size < recorded_end:  # the bytes are gone: start over
            self.done = {}
            self.log_path.write_text(self.header)
        if not self.done:
            os.ftruncate(self._fd, 0)

    def _read_log(self) -> dict[int, int]:
        try:
            text = self.log_path.read_text()
        except (OSError, UnicodeDecodeError):
            return {}
        if not text.startswith(self.header):
            return {}
        done: dict[int, int] = {}
        for line in text[len(self.header) :].split("\n")[:-1]:  # a torn last line: ignored
            index, _, length = line.partition(" ")
            if index.isdigit() and length.isdigit():
                done[int(index)] = int(length)
        return done

    def write(self, index: int, data: bytes) -> asyncio.Future[None]:
        """Start writing part ``index`` at its offset; it is recorded once on disk. The
        returned future may be awaited or not (:meth:`drain` waits for every write); a
        cancelled caller never stops a write: bytes that arrived are kept."""
        work = asyncio.ensure_future(self._write(index, data))
        self._working.add(work)
        work.add_done_callback(self._working.discard)
        return work

    async def drain(self) -> None:
        """Wait for the writes started so far; raise the first that failed."""
        while self._working:
            for result in await asyncio.gather(*self._working, return_exceptions=True):
                if isinstance(result, BaseException):
                    raise result

    async def _write(self, index: int, data: bytes) -> None:
        await asyncio.to_thread(self._pwrite, index * self.part_size, data)
        self._unlogged[index] = len(data)
        async with self._log_lock:
            if index not in self._unlogged:
                return  # recorded by the sync of a part written meanwhile
            batch, self._unlogged = self._unlogged, {}
            await asyncio.to_thread(self._record, batch)
            self.done.update(batch)

    def _pwrite(self, offset: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, offset)
            view, offset = view[written:], offset + written

    def _record(self, batch: dict[int, int]) -> None:
        os.fdatasync(self._fd)
        lines = "".join(f"{index} {length}\n" for index, length in sorted(batch.items()))
        with open(self.log_path, "a") as log:
            log.write(lines)

    async def finish(self, final_path: Path, size: int) -> None:
        """Make the download ``final_path`` (``size`` bytes): check every part is
        recorded, sync, rename."""
        await self.drain()
        missing = self.missing_parts(size)
        if missing:
            raise OSError(f"{self.data_path}: parts {missing[:5]} were never written")
        await asyncio.to_thread(self._finish, final_path, size)

    def missing_parts(self, size: int) -> list[int]:
        """Indexes of the parts of a ``size``-byte file not recorded with their length."""
        parts = -(-size // self.part_size)
        return [
            index
            for index in range(parts)
            if self.done.get(index) != min(self.part_size, size - index * self.part_size)
        ]

    def _finish(self, final_path: Path, size: int) -> None:
        os.ftruncate(self._fd, size)
        os.fsync(self._fd)
        actual = os.fstat(self._fd).st_size
        if actual != size:
            raise OSError(f"{self.data_path} has {actual} bytes, expected {size}")
        os.close(self._fd)
        self._fd = -1
        final_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.data_path, final_path)
        _sync_directory(final_path.parent)
        self.log_path.unlink(missing_ok=True)

    async def close(self) -> None:
        """Close the file, keeping it and its record for a later resume."""
        await self._settle()
        await asyncio.to_thread(self._close)

    async def _settle(self) -> None:
        """Wait for the writes still running."""
        while self._working:
            await asyncio.gather(*self._working, return_exceptions=True)

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    async def discard(self) -> None:
        """Close and delete the temporary file and its record."""
        await self._settle()
        await asyncio.to_thread(self._discard)

    def _discard(self) -> None:
        self._close()
        for path in (self.data_path, self.log_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


async def remove_orphans(directory: Path, keep: set[str]) -> None:
    """Delete the partial downloads (and records) in ``directory`` whose key is not in
    ``keep`` (their media row is gone, or their file is complete)."""
    await asyncio.to_thread(_remove_orphans, directory, keep)


def _remove_orphans(directory: Path, keep: set[str]) -> None:
    try:
        names = [entry.name for entry in os.scandir(directory)]
    except FileNotFoundError:
        return
    for name in names:
        key = name.removeprefix(".").removesuffix(".partial").removesuffix(".parts")
        if name.startswith(".") and len(key) < len(name) - 1 and key not in keep:
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
