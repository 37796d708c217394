"""The QR logins of the HTTP API, by token.

* A login is named by an unguessable token (``secrets.token_urlsafe``, 192 bits), not by
  Telegram's login token, which changes every ~25 s.
* At most one pending login per account name: starting another replaces it (a reloaded
  login page just starts again). Starts for one name take turns (a lock), so concurrent
  starts cannot each see "none pending" while an older one is being cancelled; a replaced
  login ends ``cancelled`` with the error ``login_replaced``.
* Starts are rate-limited per account name (``max_starts`` per ``window_s``).
* A finished login is forgotten once its final status has been read, or ``linger_s``
  after it ended if nobody reads it; ``close()`` cancels every login (app shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from tgscraper.telegram.login.errors import LoginFailed
from tgscraper.telegram.login.qr import QrLogin, QrPolicy

TOKEN_BYTES = 24


def _shutting_down() -> LoginFailed:
    return LoginFailed("shutting_down", "The server is shutting down.")


class TooManyLogins(LoginFailed):
    """Too many QR logins were started for one account name recently."""

    def __init__(self, username: str, retry_after: int):
        super().__init__(
            "too_many_logins",
            f"Too many QR logins were started for '{username}'; try again in {retry_after} s.",
        )
        self.retry_after = retry_after


@dataclass
class QrEntry:
    """One login of the API: its token, account name and engine."""

    token: str
    username: str
    flow: QrLogin
    #: rendered QR images of the current code, by format ("svg", "png")
    images: dict[tuple[str, str], bytes] = field(default_factory=dict)
    reaper: asyncio.Task[None] | None = None


class QrLoginRegistry:
    """Live QR logins by token (see the module docstring)."""

    def __init__(
        self,
        policy: QrPolicy | None = None,
        *,
        max_starts: int = 10,
        window_s: float = 600.0,
        linger_s: float = 60.0,
    ):
        #: the timings of new logins (tests shorten them)
        self.policy = policy or QrPolicy()
        self.max_starts = max_starts
        self.window_s = window_s
        self.linger_s = linger_s
        self._entries: dict[str, QrEntry] = {}
        self._starts: dict[str, deque[float]] = {}
        self._start_locks: dict[str, asyncio.Lock] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> QrEntry | None:
        return self._entries.get(token)

    def pending(self, username: str) -> QrEntry | None:
        """The unfinished login of `username`, if any."""
        return next(
            (
                entry
                for entry in self._entries.values()
                if entry.username == username and not entry.flow.finished
            ),
            None,
        )

    def check_rate(self, username: str) -> None:
        """Raise TooManyLogins if `username` used up its starts for now."""
        now = asyncio.get_running_loop().time()
        starts = self._starts.setdefault(username, deque())
        while starts and starts[0] <= now - self.window_s:
            starts.popleft()
        if len(starts) >= self.max_starts:
            raise TooManyLogins(username, math.ceil(starts[0] + self.window_s - now))

    async def start(self, username: str, make_flow: Callable[[QrPolicy], QrLogin]) -> QrEntry:
        """Start a login for `username` (replacing its pending one); rate-limited.
        Raises TooManyLogins, or LoginFailed("shutting_down") once closed."""
        async with self._start_locks.setdefault(username, asyncio.Lock()):
            if self._closed:
                raise _shutting_down()
            self.check_rate(username)
            self._starts[username].append(asyncio.get_running_loop().time())
            previous = self.pending(username)
            if previous is not None:
                replaced = LoginFailed(
                    "login_replaced",
                    f"A newer QR login for '{username}' was started: this one was cancelled.",
                )
                await self.cancel(previous.token, replaced)
            if self._closed:  # closed while the previous login was being cancelled
                raise _shutting_down()
            entry = QrEntry(secrets.token_urlsafe(TOKEN_BYTES), username, make_flow(self.policy))
            self._entries[entry.token] = entry
            entry.flow.start()
            entry.reaper = asyncio.create_task(
                self._forget_when_stale(entry), name="qr login reaper"
            )
            return entry

    def read(self, entry: QrEntry) -> None:
        """Someone saw `entry`'s current state: forget it if that state was final."""
        if entry.flow.finished:
            self._forget(entry)

    async def cancel(self, token: str, reason: LoginFailed | None = None) -> QrEntry | None:
        """Cancel and forget a login (`reason`: its error); the entry (None for an
        unknown token)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        self._forget(entry)
        await entry.flow.cancel(reason)
        return entry

    async def close(self) -> None:
        """Cancel every login, and refuse new ones (shutdown)."""
        self._closed = True
        entries = list(self._entries.values())
        for entry in entries:
            self._forget(entry)
        await asyncio.gather(*(entry.flow.cancel(_shutting_down()) for entry in entries))

    def _forget(self, entry: QrEntry) -> None:
        if self._entries.get(entry.token) is entry:
            del self._entries[entry.token]
        if entry.reaper is not None and entry.reaper is not asyncio.current_task():
            entry.reaper.cancel()

    async def _forget_when_stale(self, entry: QrEntry) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await entry.flow.wait()
            await asyncio.sleep(self.linger_s)
            self._forget(entry)
