"""What tgsc-auth does once its arguments check out: log in (QR or phone), list, log out.

Each action is a coroutine returning the exit status. Messages for people go to stdout,
errors to stderr as one sentence (``tgsc-auth: error: ...``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyrogram
from pyrogram.errors import PasswordHashInvalid, RPCError, Unauthorized

from tgscraper.accounts import session_path, sessions_dir
from tgscraper.cli.common import EXIT_FAILURE, fail
from tgscraper.cli.prompts import NoTerminal, ask, ask_hidden, confirm
from tgscraper.config import DEFAULT_HOST, DEFAULT_PORT
from tgscraper.telegram.login.account import TelegramAccount, log_out, who_am_i
from tgscraper.telegram.login.connection import LoginConnector, login_client
from tgscraper.telegram.login.errors import LoginFailed, WrongPassword, describe_login_error
from tgscraper.telegram.login.phone import PhoneLogin, WrongCode
from tgscraper.telegram.login.qr import QrLogin, QrPolicy, QrStatus
from tgscraper.telegram.login.qr_codes import render_text
from tgscraper.telegram.login.session_files import (
    SessionData,
    delete_session,
    list_sessions,
    read_session,
    read_user_id,
    save_session,
    write_session,
)
from tgscraper.web.middlewares import ACCOUNT_HEADER

if TYPE_CHECKING:
    from tgscraper.cli.auth import AuthSettings

PROG = "tgsc-auth"
MAX_CODE_TRIES = 3
LIST_TIMEOUT_S = 15.0
QR_HELP = (
    "Scan this QR code with Telegram on a phone logged into the account:\n"
    "Settings > Devices > Link Desktop Device."
)


def say(text: str = "", *, end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


def _success(settings: AuthSettings, name: str, account: TelegramAccount) -> int:
    say(f"\nLogged in as {account.display_name}, Telegram id {account.id}.")
    say(f"Session saved: {session_path(settings.data_dir, name)}")
    say(f"Use it with tgsc-server by sending the header '{ACCOUNT_HEADER}: {name}', e.g.:")
    say(f"  curl -H '{ACCOUNT_HEADER}: {name}' http://{DEFAULT_HOST}:{DEFAULT_PORT}/api/v3/me")
    return 0


# ----------------------------------------------------------------------------- log in


async def log_in(settings: AuthSettings, name: str, args: argparse.Namespace) -> int:
    try:
        return await _log_in(settings, name, args)
    except NoTerminal as exc:
        return fail(PROG, str(exc), EXIT_FAILURE)
    except LoginFailed as exc:
        return fail(PROG, exc.message, EXIT_FAILURE)


async def _log_in(settings: AuthSettings, name: str, args: argparse.Namespace) -> int:
    existing = await asyncio.to_thread(read_user_id, session_path(settings.data_dir, name))
    if existing is not None and not args.force:
        replace = await confirm(
            f"'{name}' is already logged in (Telegram id {existing}). Log in again and "
            "replace its session?"
        )
        if not replace:
            return fail(PROG, f"kept the existing session of '{name}'.", EXIT_FAILURE)
    use_qr = args.qr
    if not args.qr and not args.phone:
        answer = await ask("Log in with a QR code (q) or your phone number (p)? [q] ")
        use_qr = not answer.lower().startswith("p")
    connector = LoginConnector(settings.telegram_dc)
    client = login_client(settings.api_id, settings.api_hash, connector)
    if use_qr:
        account = await _qr_login(settings, name, client, connector)
    else:
        account = await _phone_login(settings, name, client, connector)
    return _success(settings, name, account)


async def _qr_login(
    settings: AuthSettings, name: str, client: pyrogram.Client, connector: LoginConnector
) -> TelegramAccount:
    async def save(data: SessionData, account: TelegramAccount) -> None:
        await save_session(settings.data_dir, name, data)

    flow = QrLogin(client, connector, save, QrPolicy())
    flow.start()
    try:
        say("Connecting to Telegram...")
        await _show_codes(flow)
        if flow.status is QrStatus.PASSWORD_REQUIRED:
            await _qr_password(flow)
        if flow.status is not QrStatus.SUCCESS:
            raise flow.error or LoginFailed("error", f"The login ended: {flow.status}.")
        return flow.account
    finally:
        await flow.cancel()


async def _show_codes(flow: QrLogin) -> None:
    """Draw each new code with a countdown until it is scanned or the login ends."""
    shown = None
    terminal = sys.stdout.isatty()
    while flow.status is QrStatus.PENDING:
        if flow.qr_url and flow.qr_url != shown:
            shown = flow.qr_url
            say("\x1b[2J\x1b[H" if terminal else "", end="")
            say(QR_HELP)
            say(render_text(shown))
            say(f"Or open this link on a device logged into the account: {shown}")
        if shown and flow.qr_url:
            minutes, seconds = divmod(round(flow.timeout_in), 60)
            say(
                f"\rNew code in {round(flow.refresh_in):2d} s; this login ends in "
                f"{minutes}:{seconds:02d}.\x1b[K",
                end="",
            )
        version = flow.version
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await flow.changed(version)
    say()


async def _qr_password(flow: QrLogin) -> None:
    say("This account has two-step verification.")
    while flow.status is QrStatus.PASSWORD_REQUIRED:
        hint = f" (hint: {flow.password_hint})" if flow.password_hint else ""
        password = await ask_hidden(f"2FA password{hint}: ")
        try:
            await flow.submit_password(password)
        except WrongPassword as exc:
            say(exc.message)


async def _phone_login(
    settings: AuthSettings, name: str, client: pyrogram.Client, connector: LoginConnector
) -> TelegramAccount:
    phone = await ask("Phone number in international format (e.g. +44 7700 900123): ")
    async with PhoneLogin(client, connector) as login:
        how = await login.send_code(phone)
        say(f"Telegram sent a login code {how}.")
        for tries_left in range(MAX_CODE_TRIES - 1, -1, -1):
            try:
                logged_in = await login.sign_in(await ask("Login code: "))
                break
            except WrongCode as exc:
                if not tries_left:
                    message = f"The login code was wrong {MAX_CODE_TRIES} times."
                    raise LoginFailed(exc.code, message) from None
                say(f"{exc.message} Try again ({tries_left} left).")
        if not logged_in:
            hint = await login.password_hint()
            say("This account has two-step verification.")
            for tries_left in range(QrPolicy.max_password_tries - 1, -1, -1):
                password = await ask_hidden(f"2FA password{f' (hint: {hint})' if hint else ''}: ")
                try:
                    await login.check_password(password)
                    break
                except PasswordHashInvalid:
                    if not tries_left:
                        raise LoginFailed(
                            "too_many_password_attempts",
                            f"The 2FA password was wrong {QrPolicy.max_password_tries} times.",
                        ) from None
                    say(WrongPassword(tries_left).message)
        return await login.save(settings.data_dir, name)


# ----------------------------------------------------------------------------- list, log out


@contextlib.asynccontextmanager
async def _stored_client(settings: AuthSettings, name: str) -> AsyncIterator[pyrogram.Client]:
    """A connected client on a copy of NAME's session: a running tgsc-server keeps the
    file itself write-locked, and this must not disturb it."""
    data = await asyncio.to_thread(read_session, session_path(settings.data_dir, name))
    if data is None:
        raise LoginFailed("not_authenticated", f"The session file of '{name}' holds no login.")
    with tempfile.TemporaryDirectory(prefix="tgsc-auth-") as copy_dir:
        await asyncio.to_thread(write_session, Path(copy_dir), name, data)
        client = pyrogram.Client(
            name,
            settings.api_id,
            settings.api_hash,
            workdir=str(sessions_dir(Path(copy_dir))),
            no_updates=True,
            sleep_threshold=0,
        )
        try:
            await client.connect()
            yield client
        finally:
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.disconnect()


async def _describe(settings: AuthSettings, name: str) -> str:
    """Who a stored session belongs to, asked of Telegram."""
    try:
        async with asyncio.timeout(LIST_TIMEOUT_S), _stored_client(settings, name) as client:
            return (await who_am_i(client)).display_name
    except Unauthorized:
        return f"(Telegram ended this session: log in again with tgsc-auth {name} --force)"
    except TimeoutError:
        return "(Telegram did not answer)"
    except (LoginFailed, RPCError, OSError, ConnectionError) as exc:
        return f"({describe_login_error(exc).message})"


async def list_accounts(settings: AuthSettings) -> int:
    stored = await asyncio.to_thread(list_sessions, settings.data_dir)
    if not stored:
        say(f"No accounts in {sessions_dir(settings.data_dir)}: log one in with tgsc-auth NAME.")
        return 0
    names = await asyncio.gather(
        *(
            _describe(settings, session.name)
            if session.user_id is not None
            else asyncio.sleep(0, "(no login in this file: run tgsc-auth again)")
            for session in stored
        )
    )
    width = max(4, *(len(session.name) for session in stored))
    say(f"{'NAME':<{width}}  {'TELEGRAM ID':<12}  ACCOUNT")
    for session, account in zip(stored, names, strict=True):
        user_id = "-" if session.user_id is None else str(session.user_id)
        say(f"{session.name:<{width}}  {user_id:<12}  {account}")
    return 0


async def log_out_account(settings: AuthSettings, name: str) -> int:
    path = session_path(settings.data_dir, name)
    if not await asyncio.to_thread(path.is_file):
        return fail(PROG, f"there is no session for '{name}' in {path.parent}.", EXIT_FAILURE)
    ended = False
    if await asyncio.to_thread(read_user_id, path) is not None:
        try:
            async with _stored_client(settings, name) as client:
                ended = await log_out(client)
        except Unauthorized:
            ended = False
        except (RPCError, OSError, ConnectionError) as exc:
            message = describe_login_error(exc).message
            return fail(PROG, f"{message} The session of '{name}' was kept.", EXIT_FAILURE)
    await asyncio.to_thread(delete_session, settings.data_dir, name)
    how = "ended at Telegram" if ended else "Telegram had already ended it"
    say(f"Logged '{name}' out ({how}) and deleted {path}.")
    return 0
