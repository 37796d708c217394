"""The QR login engine, shared by ``tgsc-auth --qr`` and the QR login API.

Telegram's QR login (core.telegram.org/api/qr-login) on raw TL: a fresh client exports a
login token and shows it as ``tg://login?token=...``; a phone logged into the account
scans it (auth.acceptLoginToken), which pushes updateLoginToken to the waiting client;
exporting again then answers auth.loginTokenSuccess, or auth.loginTokenMigrateTo when
the account lives on another DC (connect there, auth.importLoginToken). An account with
a 2FA password answers SESSION_PASSWORD_NEEDED: the flow waits for the password
(``submit_password``) and checks it with SRP.

A token lives ~30 s: the flow exports a new one when 5/6 of its life is over (25 s of
Telegram's 30; at most every ``rotate_every_s``) until the code is scanned. The whole
login ends as ``expired`` after ``timeout_s`` (5 minutes). Neither the deadline nor
``cancel()`` relies on the task's cancellation alone, which can be lost (Python 3.11's
``asyncio.wait_for``, inside pyrogram, returns a reply that arrives together with a
cancellation and drops the cancellation): the deadline bounds every wait, ``cancel()``
wakes them, and both are checked again on every pass.

Only a complete login reaches ``save`` (which writes the session file): a cancelled or
failed one leaves nothing on disk, and a key that got logged in but was not saved is
logged out again. Once begun, a save runs to its end even if the login is cancelled
meanwhile; if it wrote the session, the login is a success (its key is kept), so no
session file ever holds a key that was logged out.

Watchers (the terminal drawing, the HTTP status endpoint) read the public attributes
and ``await changed(version)`` for the next change.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable

import pyrogram
from pyrogram import handlers, raw
from pyrogram.errors import AuthTokenExpired, PasswordHashInvalid, SessionPasswordNeeded

from tgscraper.telegram.login.account import TelegramAccount
from tgscraper.telegram.login.completion import ended_well, run_to_end
from tgscraper.telegram.login.connection import LoginConnector, close_login_client
from tgscraper.telegram.login.errors import LoginFailed, WrongPassword, describe_login_error
from tgscraper.telegram.login.password import check_password, password_hint
from tgscraper.telegram.login.qr_policy import TERMINAL, LoginExpired, QrPolicy, QrStatus
from tgscraper.telegram.login.session_files import SessionData, session_of

log = logging.getLogger(__name__)

#: the least time between two exports of a token (a clock far off Telegram's)
MIN_REFRESH_S = 1.0
#: the share of a token's life after which it is replaced
REFRESH_AT = 5 / 6


#: stores the new session once the login is complete (writes the file, evicts clients);
#: it returns once the session is stored and raises OSError if it could not be
SaveSession = Callable[[SessionData, TelegramAccount], Awaitable[None]]


def login_url(token: bytes) -> str:
    """What the QR code encodes: Telegram's login link for `token`."""
    return f"tg://login?token={base64.urlsafe_b64encode(token).decode()}"


class QrLogin:
    """One QR login from the first token to a saved session (or its end)."""

    def __init__(
        self,
        client: pyrogram.Client,
        connector: LoginConnector,
        save: SaveSession,
        policy: QrPolicy | None = None,
    ):
        self.policy = policy or QrPolicy()
        self.status = QrStatus.PENDING
        #: the current tg://login link (None until the first token, and once scanned)
        self.qr_url: str | None = None
        self.password_hint: str | None = None
        self.password_tries_left = self.policy.max_password_tries
        self.error: LoginFailed | None = None
        self.account: TelegramAccount | None = None
        #: increases with every change a watcher may show
        self.version = 0
        self._client = client
        self._connector = connector
        self._save = save
        self._loop = asyncio.get_running_loop()
        self._token_expires_at = 0.0  # loop time
        self._refresh_at = 0.0  # loop time
        self._deadline = self._loop.time() + self.policy.timeout_s
        self._changed = asyncio.Event()
        self._scanned = asyncio.Event()
        #: passwords to check, each with the future of its answer (None: wake up, stopping)
        self._passwords: asyncio.Queue[tuple[str, asyncio.Future[None] | None]] = asyncio.Queue()
        self._stopping = False
        self._logged_in = False
        #: the save of the session, once begun (it always runs to its end)
        self._saving: asyncio.Future[None] | None = None
        self._saving_as: TelegramAccount | None = None
        self._cancel_reason: LoginFailed | None = None
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ watching

    def start(self) -> None:
        """Begin in the background (connect, export the first token)."""
        self._task = asyncio.create_task(self._run(), name="qr login")

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def expires_in(self) -> float:
        """Seconds the current code stays valid."""
        return max(0.0, self._token_expires_at - self._loop.time())

    @property
    def refresh_in(self) -> float:
        """Seconds until the code is replaced by a new one."""
        return max(0.0, self._refresh_at - self._loop.time())

    @property
    def timeout_in(self) -> float:
        """Seconds left for the whole login."""
        return max(0.0, self._deadline - self._loop.time())

    async def changed(self, since: int) -> int:
        """Wait until `version` differs from `since`; the current version."""
        while self.version == since:
            await self._changed.wait()
        return self.version

    async def wait(self) -> QrStatus:
        """Wait for the end of the login; its final status."""
        while not self.finished:
            await self.changed(self.version)
        return self.status

    async def submit_password(self, password: str) -> QrStatus:
        """Check a 2FA password; when right, wait for the saved session and return the
        final status. A wrong one raises WrongPassword (the login stays
        password_required); a failure that ends the login (the last try, expiry...)
        raises LoginFailed once the login has ended (its final status is published)."""
        if self.status is not QrStatus.PASSWORD_REQUIRED:
            raise LoginFailed(
                "no_password_expected", f"This login is {self.status}: it expects no password."
            )
        attempt: asyncio.Future[None] = self._loop.create_future()
        self._passwords.put_nowait((password, attempt))
        try:
            await asyncio.shield(attempt)  # a caller giving up does not cancel the check
        except WrongPassword:
            raise
        except LoginFailed as failure:
            await self.wait()
            raise self.error or failure from None
        return await self.wait()

    async def cancel(self, reason: LoginFailed | None = None) -> None:
        """Stop the login: status cancelled (with `reason` as its error) unless it
        already ended, or a save it had begun stored the session (success)."""
        if self._cancel_reason is None:
            self._cancel_reason = reason
        self._stopping = True  # seen on the next pass even if the cancellation is lost
        self._scanned.set()  # wakes the scan wait
        self._passwords.put_nowait(("", None))  # wakes the password wait
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task})  # its cleanup done; our own cancel still works
        if not self.finished:
            # cancelled before it ever ran: it connected nothing and its cleanup (which
            # publishes the final status) never started
            await close_login_client(self._client)
            self._finish(QrStatus.CANCELLED, self._cancelled())

    # ------------------------------------------------------------------ the flow

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def _finish(self, status: QrStatus, error: LoginFailed | None = None) -> None:
        if not self.finished:
            self.status, self.error, self.qr_url = status, error, None
            self._bump()

    def _cancelled(self) -> LoginFailed:
        return self._cancel_reason or LoginFailed("cancelled", "The login was cancelled.")

    async def _run(self) -> None:
        """The whole login; the final status is published once the client is closed."""
        client = self._client
        deadline = asyncio.timeout_at(self._deadline)
        status, error = QrStatus.ERROR, None
        try:
            try:
                async with deadline:
                    await self._login(client)
                status = QrStatus.SUCCESS
            except TimeoutError:
                if not deadline.expired():
                    raise
                raise LoginExpired(self.policy.timeout_s) from None
        except LoginExpired as exc:
            status, error = QrStatus.EXPIRED, exc
        except asyncio.CancelledError:
            status, error = QrStatus.CANCELLED, self._cancelled()
            raise
        except Exception as exc:
            error = describe_login_error(exc)
            if error.code == "internal_error":
                log.exception("QR login failed")
        finally:
            self._refuse_waiting_passwords(error)
            saved = ended_well(self._saving)  # a save that had begun has ended by now
            try:
                await run_to_end(
                    close_login_client(client, log_out_first=self._logged_in and not saved)
                )
            finally:
                if saved:
                    status, error, self.account = QrStatus.SUCCESS, None, self._saving_as
                self._finish(status, error)

    def _check_going_on(self) -> None:
        """On every pass: raise CancelledError once cancel() was called, LoginExpired
        once the deadline has passed (see the module docstring)."""
        if self._stopping:
            raise asyncio.CancelledError
        if self._loop.time() >= self._deadline:
            raise LoginExpired(self.policy.timeout_s)

    async def _login(self, client: pyrogram.Client) -> None:
        await client.connect()
        client.add_handler(handlers.RawUpdateHandler(self._on_update))
        await client.dispatcher.start()
        try:
            try:
                user = await self._wait_for_scan(client)
            except SessionPasswordNeeded:
                user = await self._password_step(client)
            self._logged_in = True  # from here on, a key not saved is logged out again
        finally:
            await client.dispatcher.stop()
        self.qr_url = None  # scanned: nothing left to show
        self._bump()
        account = TelegramAccount.from_user(user)
        data = await session_of(client, self._connector, user.id)
        self._saving = asyncio.ensure_future(self._save(data, account))
        self._saving_as = account
        try:
            await run_to_end(self._saving)
        except OSError as exc:
            raise LoginFailed(
                "session_not_saved", f"The session could not be saved: {exc}."
            ) from exc

    async def _on_update(self, client, update, users, chats) -> None:
        if isinstance(update, raw.types.UpdateLoginToken):
            self._scanned.set()

    async def _wait_for_scan(self, client: pyrogram.Client) -> raw.base.User:
        """Export tokens until one is scanned; the logged-in user (SessionPasswordNeeded
        when the account has a 2FA password)."""
        while True:
            self._check_going_on()
            self._scanned.clear()
            try:
                answer = await client.invoke(
                    raw.functions.auth.ExportLoginToken(
                        api_id=client.api_id, api_hash=client.api_hash, except_ids=[]
                    )
                )
                while isinstance(answer, raw.types.auth.LoginTokenMigrateTo):
                    answer = await self._migrate(client, answer)
            except AuthTokenExpired:
                continue  # scanned too late: show a new code
            if isinstance(answer, raw.types.auth.LoginTokenSuccess):
                return self._user_of(answer.authorization)
            self._check_going_on()  # no new code once the login is over
            self._show(client, answer)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(min(self._refresh_at, self._deadline)):
                    await self._scanned.wait()

    def _show(self, client: pyrogram.Client, token: raw.types.auth.LoginToken) -> None:
        now = self._loop.time()
        life = max(0.0, token.expires - client.server_time)
        self._token_expires_at = now + life
        refresh = min(self.policy.rotate_every_s, life * REFRESH_AT)
        self._refresh_at = now + max(MIN_REFRESH_S, refresh)
        self.qr_url = login_url(token.token)
        self._bump()

    async def _migrate(
        self, client: pyrogram.Client, answer: raw.types.auth.LoginTokenMigrateTo
    ) -> raw.base.auth.LoginToken:
        """Continue on the account's DC: a new key there, then auth.importLoginToken."""
        option = await client.get_dc_option(answer.dc_id, ipv6=client.ipv6)
        await client.session.stop()
        client.session = await client.get_session(
            dc_id=answer.dc_id,
            server_address=option.ip_address,
            port=option.port,
            export_authorization=False,
            temporary=True,
        )
        await client.storage.dc_id(answer.dc_id)
        await client.storage.server_address(option.ip_address)
        await client.storage.port(option.port)
        await client.storage.auth_key(client.session.auth_key)
        return await client.invoke(raw.functions.auth.ImportLoginToken(token=answer.token))

    @staticmethod
    def _user_of(authorization: raw.base.auth.Authorization) -> raw.base.User:
        if not isinstance(authorization, raw.types.auth.Authorization):
            raise LoginFailed(
                "phone_number_unoccupied",
                "This account must first be set up in a Telegram app.",
            )
        return authorization.user

    async def _password_step(self, client: pyrogram.Client) -> raw.base.User:
        self.password_hint = await password_hint(client)
        self.qr_url = None
        self.status = QrStatus.PASSWORD_REQUIRED
        self._bump()
        while True:
            password, attempt = await self._next_password()
            try:
                self._check_going_on()
                user = await check_password(client, password)
            except PasswordHashInvalid:
                self.password_tries_left -= 1
                self._bump()
                if self.password_tries_left > 0:
                    attempt.set_exception(WrongPassword(self.password_tries_left))
                    continue
                failure = LoginFailed(
                    "too_many_password_attempts",
                    f"The 2FA password was wrong {self.policy.max_password_tries} times; "
                    "start the login again.",
                )
                attempt.set_exception(failure)
                raise failure from None
            except asyncio.CancelledError:
                _refuse(attempt, self._cancelled())
                raise
            except BaseException as exc:
                _refuse(attempt, describe_login_error(exc))
                raise
            attempt.set_result(None)
            return user

    async def _next_password(self) -> tuple[str, asyncio.Future[None] | None]:
        try:
            async with asyncio.timeout_at(self._deadline):
                return await self._passwords.get()
        except TimeoutError:
            raise LoginExpired(self.policy.timeout_s) from None

    def _refuse_waiting_passwords(self, error: LoginFailed | None) -> None:
        failure = error or LoginFailed("cancelled", "The login ended.")
        while not self._passwords.empty():
            _refuse(self._passwords.get_nowait()[1], failure)


def _refuse(attempt: asyncio.Future[None] | None, error: LoginFailed) -> None:
    """Answer a password's check with `error` (None: no one is waiting)."""
    if attempt is not None and not attempt.done():
        attempt.set_exception(error)
