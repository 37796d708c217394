"""pyrogram media sessions for file parts: a few per DC, parts in flight capped per DC.

Nothing here speaks MTProto: the sessions come from the client's own machinery.
``client.get_session(dc_id, is_media=True)`` is the client's media session for a DC (for
a DC other than the account's, pyrogram creates the auth key there and imports the
authorization, as its own downloads do); more connections to the same DC come from
``client.get_session(dc_id, is_media=True, temporary=True)``, which this module owns and
stops in :meth:`MediaConnections.close`. pyrogram's ``get_session`` is not safe to call
concurrently for one DC (two callers would both create it), so openings are serialised.

Several requests travel on one session at once (pyrogram matches answers by msg_id).
Parts go to the least busy session; another connection is opened when every session
already carries :data:`PARTS_PER_SESSION` parts, up to :data:`SESSIONS_PER_DC`. Across all
downloads of the account, at most :data:`PARTS_PER_DC` parts are in flight per DC: Telegram
publishes no figure for parallel downloads (neither help.getConfig nor the app config has
one; the only limits it documents are the part rules in ``downloader``), so the bound
follows what official clients do: a handful of connections per DC, a few parts each.

A flood wait on one part holds every part of that DC (:meth:`hold`) instead of letting
the others run into the same wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import pyrogram
from pyrogram import raw
from pyrogram.session import Session

log = logging.getLogger(__name__)

SESSIONS_PER_DC = 4
PARTS_PER_SESSION = 2
PARTS_PER_DC = 16


@dataclass(eq=False)
class _Lane:
    session: Session
    #: opened by us (temporary=True): ours to stop; else the client's own media session
    owned: bool
    busy: int = 0


@dataclass(eq=False)
class _DataCentre:
    slots: asyncio.Semaphore
    lanes: list[_Lane] = field(default_factory=list)
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: time.monotonic() before which no part is sent (a flood wait)
    resume_at: float = 0.0


class MediaConnections:
    """File-part requests of one started client (see the module docstring)."""

    def __init__(
        self,
        client: pyrogram.Client,
        *,
        sessions_per_dc: int = SESSIONS_PER_DC,
        parts_per_session: int = PARTS_PER_SESSION,
        parts_per_dc: int = PARTS_PER_DC,
    ):
        self.client = client
        self._sessions_per_dc = sessions_per_dc
        self._parts_per_session = parts_per_session
        self._parts_per_dc = parts_per_dc
        self._dcs: dict[int, _DataCentre] = {}
        self._closed = False

    @property
    def usable(self) -> bool:
        """False once closed or once its client stopped (make a new one)."""
        return not self._closed and self.client.is_connected

    async def get_part(
        self, dc_id: int, location: raw.base.InputFileLocation, offset: int, limit: int
    ) -> bytes:
        """The bytes of one ``upload.getFile`` part from DC ``dc_id``. pyrogram's errors
        (FloodWait, FileMigrate, FileReferenceExpired, ...) reach the caller."""
        dc = self._data_centre(dc_id)
        async with dc.slots:
            delay = dc.resume_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lane = await self._lane(dc_id, dc)
            lane.busy += 1
            try:
                answer = await lane.session.invoke(
                    raw.functions.upload.GetFile(location=location, offset=offset, limit=limit),
                    sleep_threshold=0,
                )
            finally:
                lane.busy -= 1
        if not isinstance(answer, raw.types.upload.File):  # a CDN redirect: never asked for
            raise TypeError(f"upload.getFile answered {type(answer).__name__}")
        return answer.bytes

    def hold(self, dc_id: int, seconds: float) -> None:
        """Send no part to ``dc_id`` for ``seconds`` (Telegram asked to wait)."""
        dc = self._data_centre(dc_id)
        dc.resume_at = max(dc.resume_at, time.monotonic() + seconds)

    async def close(self) -> None:
        """Stop the sessions this object opened, and the sessions pyrogram opened to other
        DCs for them (``client.sessions``: pyrogram's stop() never stops those). The
        client's media sessions are the client's: its stop() stops them."""
        self._closed = True
        sessions = [lane.session for dc in self._dcs.values() for lane in dc.lanes if lane.owned]
        sessions += [self.client.sessions.pop(dc_id, None) for dc_id in self._dcs]
        self._dcs.clear()
        for session in sessions:
            if session is not None:
                with contextlib.suppress(Exception):
                    await session.stop()

    def _data_centre(self, dc_id: int) -> _DataCentre:
        dc = self._dcs.get(dc_id)
        if dc is None:
            dc = self._dcs[dc_id] = _DataCentre(asyncio.Semaphore(self._parts_per_dc))
        return dc

    async def _lane(self, dc_id: int, dc: _DataCentre) -> _Lane:
        least = min(dc.lanes, key=lambda lane: lane.busy, default=None)
        if least is not None and (
            least.busy < self._parts_per_session
            or len(dc.lanes) >= self._sessions_per_dc
            or dc.opening.locked()  # another one is on its way: use what exists
        ):
            return least
        async with dc.opening:
            least = min(dc.lanes, key=lambda lane: lane.busy, default=None)
            if least is not None and (
                least.busy < self._parts_per_session or len(dc.lanes) >= self._sessions_per_dc
            ):
                return least
            lane = await self._open(dc_id, first=not dc.lanes)
            if self._closed:
                if lane.owned:
                    await lane.session.stop()
                raise RuntimeError("media connections closed")
            dc.lanes.append(lane)
            return lane

    async def _open(self, dc_id: int, *, first: bool) -> _Lane:
        if first:
            return _Lane(await self.client.get_session(dc_id, is_media=True), owned=False)
        log.debug("opening media connection %d to DC %d", len(self._dcs[dc_id].lanes) + 1, dc_id)
        session = await self.client.get_session(dc_id, is_media=True, temporary=True)
        return _Lane(session, owned=True)
