"""One media row to one complete file on disk, and its row updated.

:meth:`FileFetcher.fetch` reads the row, downloads the parts not yet on disk
(``downloader``) through the account's media connections (one
:class:`~tgscraper.media.connections.MediaConnections` per account, replaced when the
account's client changes), refreshes the file reference once if Telegram refuses it
(``references``), renames the file into place (``partfile``) and records ``downloaded``
with its path — or ``failed`` with the reason, keeping the parts for the next attempt
(unless Telegram's file turned out not to be the one recorded). No single-flight here:
the service makes sure one uuid is fetched once at a time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from pyrogram.errors import RPCError

from tgscraper.cache.dialog import DialogCache
from tgscraper.cache.media_files import MediaFile
from tgscraper.cache.records import DOWNLOADED, FAILED
from tgscraper.dialogs import DialogRef
from tgscraper.media.connections import MediaConnections
from tgscraper.media.downloader import (
    DownloadError,
    DownloadOptions,
    ReferenceExpired,
    download,
    remote_file,
)
from tgscraper.media.filenames import media_path
from tgscraper.media.partfile import PartFile
from tgscraper.media.references import refetch_file
from tgscraper.settings import SettingsStore
from tgscraper.telegram.access import resolve_dialog
from tgscraper.telegram.gateway import FloodPolicy
from tgscraper.telegram.sessions import SessionManager
from tgscraper.web.errors import ApiError, telegram_error_id

log = logging.getLogger(__name__)


class MediaGone(Exception):
    """The media row disappeared (its message was deleted or edited to another file)."""


class FileFetcher:
    def __init__(self, settings: SettingsStore, sessions: SessionManager, options: DownloadOptions):
        self._settings = settings
        self._sessions = sessions
        self._options = options
        self._connections: dict[str, MediaConnections] = {}

    @property
    def options(self) -> DownloadOptions:
        """How the next download runs: the part size given, ``media_parts_in_flight``
        from the live settings (a PATCH applies to the next download)."""
        wanted = self._settings.current.media_parts_in_flight
        if wanted == self._options.parts_in_flight:
            return self._options
        return replace(self._options, parts_in_flight=wanted)

    async def fetch(self, account: str, cache: DialogCache, uuid: str) -> MediaFile:
        """Download the file of row ``uuid`` with ``account``'s client (nothing to do if
        it is on disk already); the updated row. Raises MediaGone, DownloadError,
        ApiError (a flood wait over the limit) or pyrogram's errors."""
        media = await cache.media.get(uuid)
        if media is None:
            raise MediaGone(uuid)
        if media.status == DOWNLOADED and media.uuid in await present(cache, [media]):
            return media
        relative = media_path(
            media.message_id, media.media_type, media.original_filename, media.mime_type
        )
        part_file = await PartFile.open(
            cache.media_dir, media.uuid, self.options.part_size, media.size
        )
        try:
            size = await self._fetch_parts(account, cache, media, part_file)
            await part_file.finish(cache.directory / relative, size)
        except asyncio.CancelledError:
            await part_file.close()
            raise
        except Exception as exc:
            if isinstance(exc, DownloadError) and not isinstance(exc, ReferenceExpired):
                await part_file.discard()  # Telegram's file is not what we recorded
            else:
                await part_file.close()  # keep the parts for the next attempt
            await cache.media.set_status(media.uuid, FAILED, reason=failure_reason(exc))
            log.warning("download of %s failed: %s", media.uuid, failure_reason(exc))
            raise
        if not await cache.media.set_status(media.uuid, DOWNLOADED, file_path=relative, size=size):
            await asyncio.to_thread((cache.directory / relative).unlink, missing_ok=True)
            raise MediaGone(media.uuid)
        return replace(media, status=DOWNLOADED, reason=None, file_path=relative, size=size)

    async def close(self) -> None:
        """Stop the connections this fetcher opened."""
        connections, self._connections = list(self._connections.values()), {}
        for each in connections:
            await each.close()

    async def _fetch_parts(
        self, account: str, cache: DialogCache, media: MediaFile, part_file: PartFile
    ) -> int:
        connections = await self._connections_for(account)
        flood = FloodPolicy(self._settings.current.max_flood_wait_s)
        options = self.options
        try:
            return await download(connections, remote_file(media), part_file, flood, options)
        except ReferenceExpired:
            media = await self._fresh_reference(account, cache, media, connections, flood)
        return await download(connections, remote_file(media), part_file, flood, options)

    async def _fresh_reference(
        self,
        account: str,
        cache: DialogCache,
        media: MediaFile,
        connections: MediaConnections,
        flood: FloodPolicy,
    ) -> MediaFile:
        """Fetch the message again and store its file's current reference."""
        ref = DialogRef(dialog_id=cache.dialog_id)
        dialog = await resolve_dialog(self._sessions, account, ref, policy=flood)
        client = connections.client
        fresh = await refetch_file(client, dialog.input_peer, cache.dialog_id, media, flood)
        if fresh is None:
            raise DownloadError("the message no longer carries this file")
        await cache.media.set_location(
            media.uuid, file_reference=fresh.file_reference, access_hash=fresh.access_hash
        )
        return replace(
            media,
            file_reference=fresh.file_reference,
            access_hash=fresh.access_hash,
            dc_id=fresh.dc_id,
        )

    async def _connections_for(self, account: str) -> MediaConnections:
        client = await self._sessions.get(account)
        connections = self._connections.get(account)
        if connections is None or connections.client is not client or not connections.usable:
            stale = connections
            connections = self._connections[account] = MediaConnections(client)
            if stale is not None:
                await stale.close()
        return connections


async def present(cache: DialogCache, batch: list[MediaFile]) -> set[str]:
    """uuids of the downloaded rows whose file is on disk, whole (one thread for all)."""
    downloaded = [m for m in batch if m.status == DOWNLOADED and m.file_path]
    if not downloaded:
        return set()
    return await asyncio.to_thread(_whole_on_disk, cache.directory, downloaded)


def _whole_on_disk(directory: Path, rows: list[MediaFile]) -> set[str]:
    found = set()
    for media in rows:
        try:
            size = (directory / media.file_path).stat().st_size
        except OSError:
            continue
        if media.size is None or size == media.size:
            found.add(media.uuid)
    return found


def failure_reason(exc: BaseException) -> str:
    """The ``reason`` recorded for a failed download."""
    if isinstance(exc, RPCError):
        return f"Telegram answered {telegram_error_id(exc)}"
    if isinstance(exc, ApiError):
        return exc.detail
    return str(exc) or type(exc).__name__
