"""SessionManager: one started ``pyrogram.Client`` per account, shared by its requests.

Clients are created lazily on the first request of an account from
``{data_dir}/sessions/NAME.session`` and kept until ``evict(NAME)`` (re-login),
``reject(NAME, reason)`` (Telegram refused the session: the error middleware calls it;
later requests answer 401 at once until the session file changes) or ``close()``.
Concurrent first requests share one start, so exactly one client exists per account.
A start that does not reach Telegram within ``start_timeout`` (Config.telegram_start_timeout_s)
raises TelegramUnavailable (502); once ``close()`` began, ``get()`` answers 503
``shutting_down``, also to callers that were waiting on a start it stopped.

Clients never sleep through flood waits (``sleep_threshold=0``: the FloodWait reaches
our code, which decides to wait or answer 429), get no updates, and skip pyrogram's
extra fetches for replies/topics/stories (we read raw TL; design.md "Reading Telegram
fast").

A session file is checked before a client is made from it: one without an auth key and
user (an aborted login) would make pyrogram start an interactive login and dial
Telegram's public address, so it answers 401 "not authenticated" instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import inspect
import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyrogram

from tgscraper.accounts import (
    check_account_name,
    not_authenticated_detail,
    session_path,
    session_rejected_detail,
    sessions_dir,
)
from tgscraper.config import TELEGRAM_START_TIMEOUT_S
from tgscraper.web.errors import ApiError, TelegramUnavailable

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0


def session_is_authorized(path: Path) -> bool:
    """Whether `path` is a pyrogram session with an auth key and a logged-in user
    (blocking: run it in a thread)."""
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT test_mode, auth_key, user_id, is_bot FROM sessions LIMIT 1"
            ).fetchone()
    except sqlite3.Error:
        return False
    return row is not None and all(value is not None for value in row)


def _shutting_down() -> ApiError:
    return ApiError(503, "shutting_down", "The server is shutting down.")


@functools.cache
def _client_parameters() -> frozenset[str]:
    """Keyword arguments this kurigram's Client accepts (the fetch_* ones came during 2.2.x)."""
    return frozenset(inspect.signature(pyrogram.Client.__init__).parameters)


class SessionManager:
    """Started Telegram clients by account name."""

    def __init__(
        self,
        data_dir: Path,
        api_id: int,
        api_hash: str,
        *,
        client_options: Mapping[str, Any] | None = None,
        start_timeout: float = TELEGRAM_START_TIMEOUT_S,
    ):
        self._data_dir = data_dir
        self._api_id = api_id
        self._api_hash = api_hash
        self._client_options = dict(client_options or {})
        self._start_timeout = start_timeout
        self._clients: dict[str, pyrogram.Client] = {}
        self._starting: dict[str, asyncio.Task[pyrogram.Client]] = {}
        #: account -> (Telegram's error, digest of the session file) for refused sessions
        self._rejected: dict[str, tuple[str, bytes | None]] = {}
        self._closed = False

    @property
    def connected(self) -> int:
        """How many accounts have a started client (for /health)."""
        return len(self._clients)

    def is_started(self, account: str) -> bool:
        return account in self._clients

    async def get(self, account: str) -> pyrogram.Client:
        """The started client of `account`, starting it on first use."""
        client = self._clients.get(account)
        if client is not None:
            return client
        if self._closed:
            raise _shutting_down()
        if account in self._rejected:
            await self._check_not_rejected(account)
        task = self._starting.get(account)
        if task is None:
            task = asyncio.create_task(self._start(account), name=f"start client {account}")
            self._starting[account] = task
            task.add_done_callback(lambda done: self._forget_start(account, done))
        try:
            # shield: one caller giving up (client disconnected) does not abort the start
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            caller = asyncio.current_task()
            if self._closed and task.cancelled() and not (caller and caller.cancelling()):
                raise _shutting_down() from None  # close() stopped the start, not our caller
            raise

    def _forget_start(self, account: str, task: asyncio.Task[pyrogram.Client]) -> None:
        if self._starting.get(account) is task:
            del self._starting[account]
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter went away

    def _make_client(self, account: str) -> pyrogram.Client:
        options: dict[str, Any] = {
            "workdir": str(sessions_dir(self._data_dir)),
            "sleep_threshold": 0,
            "no_updates": True,
            "fetch_replies": False,
            "fetch_topics": False,
            "fetch_stories": False,
            "fetch_stickers": False,
        }
        options.update(self._client_options)
        accepted = _client_parameters()
        options = {name: value for name, value in options.items() if name in accepted}
        return pyrogram.Client(account, self._api_id, self._api_hash, **options)

    async def _start(self, account: str) -> pyrogram.Client:
        try:
            check_account_name(account)  # it becomes a file name
        except ValueError as exc:
            raise ApiError(400, "invalid_account", str(exc)) from None
        path = session_path(self._data_dir, account)
        if not await asyncio.to_thread(session_is_authorized, path):
            raise ApiError(401, "not_authenticated", not_authenticated_detail(account))
        client = self._make_client(account)
        try:
            async with asyncio.timeout(self._start_timeout):
                await client.start()
        except TimeoutError as exc:
            await self._discard(client)
            raise TelegramUnavailable(
                f"Could not connect to Telegram for '{account}' within "
                f"{self._start_timeout:g} s; try again later."
            ) from exc
        except OSError as exc:
            await self._discard(client)
            reason = str(exc) or type(exc).__name__
            raise TelegramUnavailable(
                f"Could not connect to Telegram for '{account}' ({reason}); try again later."
            ) from exc
        except BaseException:
            await self._discard(client)
            raise
        if self._closed:
            await self._stop(account, client)
            raise _shutting_down()
        self._clients[account] = client
        log.info("Telegram client for %r started", account)
        return client

    async def _discard(self, client: pyrogram.Client) -> None:
        """Release a client whose start failed half-way."""
        if client.is_connected:
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def _stop(self, account: str, client: pyrogram.Client) -> None:
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await client.stop()
        except Exception:
            log.warning("Stopping the Telegram client of %r failed", account, exc_info=True)
            await self._discard(client)
        else:
            log.info("Telegram client for %r stopped", account)

    async def evict(self, account: str) -> None:
        """Stop and forget the client of `account` (if any); the next get() starts anew
        (e.g. after a new login)."""
        self._rejected.pop(account, None)
        client = self._clients.pop(account, None)
        if client is not None:
            # shielded: a cancelled request must not leave the client half stopped
            await asyncio.shield(self._stop(account, client))

    async def reject(self, account: str, reason: str) -> None:
        """Telegram refused this account's session (`reason`, e.g. AUTH_KEY_UNREGISTERED):
        stop the client, and answer 401 without dialing Telegram again until the session
        file changes (a new login)."""
        await self.evict(account)
        self._rejected[account] = (reason, await asyncio.to_thread(self._session_digest, account))

    def _session_digest(self, account: str) -> bytes | None:
        """What the session file holds now (a new login changes it; timestamps are too coarse)."""
        try:
            return hashlib.sha256(session_path(self._data_dir, account).read_bytes()).digest()
        except OSError:
            return None

    async def _check_not_rejected(self, account: str) -> None:
        reason, digest = self._rejected[account]
        if await asyncio.to_thread(self._session_digest, account) != digest:
            self._rejected.pop(account, None)  # logged in again: try the new session
            return
        raise ApiError(401, "session_rejected", session_rejected_detail(account, reason))

    async def close(self) -> None:
        """Stop every client; later get() calls answer 503."""
        self._closed = True
        for task in list(self._starting.values()):
            task.cancel()
        clients, self._clients = self._clients, {}
        await asyncio.gather(*(self._stop(name, client) for name, client in clients.items()))
