"""Phone login: number, the code Telegram sends, then the 2FA password when the account
has one (``tgsc-auth --phone``).

    async with PhoneLogin(client, connector) as login:
        how = await login.send_code("+44 7700 900123")   # follows PHONE_MIGRATE_X
        if not await login.sign_in(code):                # False: a password is needed
            hint = await login.password_hint()
            await login.check_password(password)
        account = await login.save(data_dir, name)

Telegram's refusals arrive as LoginFailed with one sentence; a wrong code or password
as WrongCode / WrongPassword so the caller can ask again. The session is written only
by ``save``; leaving the block without saving logs a logged-in key out again. A save
that has begun runs to its end even if cancelled meanwhile (the cancellation is raised
after it): a written session keeps its key, so no session file holds a logged-out key.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyrogram
from pyrogram import enums, raw
from pyrogram.errors import PasswordHashInvalid, PhoneCodeEmpty, PhoneCodeInvalid, RPCError

from tgscraper.telegram.login.account import TelegramAccount
from tgscraper.telegram.login.completion import ended_well, run_to_end
from tgscraper.telegram.login.connection import LoginConnector, close_login_client
from tgscraper.telegram.login.errors import LoginFailed, describe_login_error
from tgscraper.telegram.login.password import check_password, password_hint
from tgscraper.telegram.login.session_files import save_session, session_of

#: how Telegram says it sent the code -> words for a person
_CODE_SENT_BY = {
    enums.SentCodeType.APP: "in the Telegram app on your other devices",
    enums.SentCodeType.SMS: "by SMS",
    enums.SentCodeType.CALL: "by a phone call",
    enums.SentCodeType.FLASH_CALL: "by a flash call",
    enums.SentCodeType.EMAIL_CODE: "by email",
    enums.SentCodeType.FRAGMENT_SMS: "by SMS on Fragment",
}


class WrongCode(LoginFailed):
    def __init__(self) -> None:
        super().__init__("phone_code_invalid", "That login code is wrong.")


class PhoneLogin:
    """One phone login on a fresh login client (see the module docstring)."""

    def __init__(self, client: pyrogram.Client, connector: LoginConnector):
        self._client = client
        self._connector = connector
        self._phone: str | None = None
        self._phone_code_hash: str | None = None
        self._user: raw.base.User | None = None
        self._saving: asyncio.Future[Path] | None = None

    async def __aenter__(self) -> PhoneLogin:
        try:
            await self._client.connect()
        except Exception as exc:
            await close_login_client(self._client)
            raise describe_login_error(exc) from exc
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        logged_in = self._user is not None and not ended_well(self._saving)
        await close_login_client(self._client, log_out_first=logged_in)

    async def send_code(self, phone: str) -> str:
        """Ask Telegram to send a login code to `phone`; how it was sent, in words."""
        try:
            sent = await self._client.send_code(phone)
        except RPCError as exc:
            raise describe_login_error(exc) from None
        self._phone, self._phone_code_hash = phone, sent.phone_code_hash
        return _CODE_SENT_BY.get(sent.type, "by Telegram")

    async def sign_in(self, code: str) -> bool:
        """Sign in with the code: True when logged in, False when the account's 2FA
        password is needed next. Raises WrongCode (ask again) or LoginFailed."""
        if self._phone is None:
            raise RuntimeError("send_code() first")
        try:
            answer = await self._client.invoke(
                raw.functions.auth.SignIn(
                    phone_number="".join(char for char in self._phone if char.isdigit()),
                    phone_code_hash=self._phone_code_hash,
                    phone_code=code.strip().replace(" ", ""),
                )
            )
        except (PhoneCodeInvalid, PhoneCodeEmpty):
            raise WrongCode() from None
        except pyrogram.errors.SessionPasswordNeeded:
            return False
        except RPCError as exc:
            raise describe_login_error(exc) from None
        if not isinstance(answer, raw.types.auth.Authorization):  # sign-up required
            raise LoginFailed(
                "phone_number_unoccupied",
                "No Telegram account uses that phone number; sign up in a Telegram app first.",
            )
        await self._client.storage.user_id(answer.user.id)
        await self._client.storage.is_bot(False)
        self._user = answer.user
        return True

    async def password_hint(self) -> str | None:
        try:
            return await password_hint(self._client)
        except RPCError as exc:
            raise describe_login_error(exc) from None

    async def check_password(self, password: str) -> None:
        """Raises PasswordHashInvalid for a wrong password (ask again), else LoginFailed."""
        try:
            self._user = await check_password(self._client, password)
        except PasswordHashInvalid:
            raise
        except RPCError as exc:
            raise describe_login_error(exc) from None

    async def save(self, data_dir: Path, name: str) -> TelegramAccount:
        """Write sessions/NAME.session for the logged-in account; the account."""
        if self._user is None:
            raise RuntimeError("not logged in yet")
        data = await session_of(self._client, self._connector, self._user.id)
        self._saving = asyncio.ensure_future(save_session(data_dir, name, data))
        await run_to_end(self._saving)
        return TelegramAccount.from_user(self._user)
