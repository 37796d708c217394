"""Logging accounts in and out over HTTP: the QR login API, /api/v3/me, and
DELETE /api/v3/auth/session.

A QR login (``POST /api/v3/auth/qr``) runs in the background (``tgscraper.telegram.
login.qr``) under an unguessable token; clients poll ``GET /api/v3/auth/qr/{token}``
and show ``qr_url`` (or the ready-made ``qr.svg`` / ``qr.png``), send the 2FA password
when asked, and get ``success`` once ``sessions/NAME.session`` is written: the account
then works at once with ``X-Telegram-Username: NAME``. With TGSC_API_KEY set these
routes need the key like every other: a stranger cannot start a login that writes a
session. The password is passed to Telegram's SRP check only: never logged or stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pyrogram.errors import Unauthorized

from tgscraper.accounts import session_path
from tgscraper.schemas.auth import (
    LogoutSchema,
    MeSchema,
    QrPasswordBody,
    QrStartBody,
    QrStartSchema,
    QrStatusSchema,
    QrTokenPath,
)
from tgscraper.schemas.common import ErrorSchema
from tgscraper.telegram.login.account import TelegramAccount, log_out, who_am_i
from tgscraper.telegram.login.connection import LoginConnector, login_client
from tgscraper.telegram.login.errors import LoginFailed, WrongPassword
from tgscraper.telegram.login.qr import QrLogin, QrPolicy, QrStatus
from tgscraper.telegram.login.qr_codes import render_png, render_svg
from tgscraper.telegram.login.registry import QrEntry, QrLoginRegistry
from tgscraper.telegram.login.session_files import (
    SessionData,
    delete_session,
    save_session,
)
from tgscraper.telegram.sessions import session_is_authorized
from tgscraper.web.appkeys import CONFIG, SESSIONS
from tgscraper.web.auth_answers import SCAN_HINT, login_ended, login_not_found, login_status
from tgscraper.web.errors import ApiError
from tgscraper.web.json import json_response
from tgscraper.web.middlewares import get_account
from tgscraper.web.routing import register_routes, route

#: the QR logins in progress (created and cancelled by ``qr_logins_context``)
QR_LOGINS: web.AppKey[QrLoginRegistry] = web.AppKey("qr_logins", QrLoginRegistry)
#: how long POST /api/v3/auth/qr waits for Telegram's first login token
FIRST_CODE_TIMEOUT_S = 30.0
NO_STORE = {"Cache-Control": "no-store"}


# ----------------------------------------------------------------------------- helpers


def _entry(request: web.Request, token: str) -> QrEntry:
    entry = request.app[QR_LOGINS].get(token)
    if entry is None:
        raise login_not_found()
    return entry


def _make_flow(app: web.Application, username: str, policy: QrPolicy) -> QrLogin:
    config = app[CONFIG]
    connector = LoginConnector(config.telegram_dc)
    client = login_client(config.api_id, config.api_hash, connector)

    async def save(data: SessionData, account: TelegramAccount) -> None:
        await save_session(config.data_dir, username, data)
        await app[SESSIONS].evict(username)  # the next request starts the new session

    return QrLogin(client, connector, save, policy)


def _refuse_other_sites(request: web.Request) -> None:
    """A login started by another site's page (a browser marks it Sec-Fetch-Site:
    cross-site) is refused: the body is read as JSON whatever its type, so any page could
    otherwise make a visitor's browser start one (force: evicting the account's client)
    or spend its rate limit, even on a server without API keys. curl sends no such mark."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise ApiError(
            403,
            "cross_site_request",
            "A QR login cannot be started from another site's page: use this server's "
            "/login page or call the API directly.",
        )


async def _first_code(entry: QrEntry) -> None:
    """Wait until the login shows its first code (or failed to)."""
    flow = entry.flow
    async with asyncio.timeout(FIRST_CODE_TIMEOUT_S):
        while flow.qr_url is None and flow.status is QrStatus.PENDING:
            await flow.changed(flow.version)


# ----------------------------------------------------------------------------- QR login


@route(
    "POST",
    "/api/v3/auth/qr",
    summary="Start a QR login",
    description=(
        "Starts logging an account in by QR code and answers the first code. Show qr_url "
        "as a QR code (or use qr.svg / qr.png) and poll GET /api/v3/auth/qr/{token}: the "
        "code is replaced about every 25 s until it is scanned; the login expires after 5 "
        "minutes. Starting again for the same username replaces its pending login (whose "
        "start, if still waiting, answers 409 login_replaced). An existing session answers "
        "409 unless force is true (its client is stopped first)."
    ),
    tags=["auth"],
    body=QrStartBody,
    responses={
        200: QrStartSchema,
        403: (ErrorSchema, "Sent by a browser for another site's page"),
        409: (
            ErrorSchema,
            "The account already has a session (send force: true), or a newer start "
            "replaced this one",
        ),
        429: (ErrorSchema, "Too many QR logins started for this username"),
        502: (ErrorSchema, "Telegram could not be reached or refused"),
        503: (ErrorSchema, "The server is shutting down"),
    },
)
async def start_qr_login(request: web.Request, *, body: dict[str, Any]) -> web.Response:
    _refuse_other_sites(request)
    app = request.app
    username, force = body["username"], body["force"]
    path = session_path(app[CONFIG].data_dir, username)
    if not force and await asyncio.to_thread(session_is_authorized, path):
        raise ApiError(
            409,
            "session_exists",
            f"Account '{username}' is already logged in; send \"force\": true to log in "
            "again and replace its session.",
        )
    registry = app[QR_LOGINS]
    try:
        registry.check_rate(username)  # before evicting anything
        if force:
            await app[SESSIONS].evict(username)
        entry = await registry.start(username, lambda policy: _make_flow(app, username, policy))
    except LoginFailed as exc:
        raise login_ended(exc) from None
    try:
        await _first_code(entry)
    except TimeoutError:
        await registry.cancel(entry.token)
        raise ApiError(
            502, "telegram_unavailable", "Telegram sent no login code in time; try again."
        ) from None
    flow = entry.flow
    if flow.qr_url is None:  # it ended before showing a code (or was replaced meanwhile)
        registry.read(entry)
        raise login_ended(
            flow.error or LoginFailed("telegram_error", f"The login ended: {flow.status}.")
        )
    return json_response(
        {
            "token": entry.token,
            "qr_url": flow.qr_url,
            "expires_in": round(flow.expires_in),
            "message": f"{SCAN_HINT} Then poll GET /api/v3/auth/qr/{entry.token}.",
        },
        headers=NO_STORE,
    )


@route(
    "GET",
    "/api/v3/auth/qr/{token}",
    summary="Status of a QR login",
    description=(
        "pending (qr_url is the current code), password_required (password_hint), success, "
        "expired or error. A final status is reported once; the login is then forgotten."
    ),
    tags=["auth"],
    path_params=QrTokenPath,
    responses={200: QrStatusSchema, 404: ErrorSchema},
)
async def get_qr_login(request: web.Request, *, path_params: dict[str, str]) -> web.Response:
    entry = _entry(request, path_params["token"])
    answer = login_status(entry)
    request.app[QR_LOGINS].read(entry)
    return json_response(answer, headers=NO_STORE)


@route(
    "POST",
    "/api/v3/auth/qr/{token}/2fa",
    summary="Send the 2FA password of a QR login",
    description=(
        "Answers the final status (success) once the session is saved. A wrong password "
        "answers 400 password_invalid and the login stays password_required; after 5 wrong "
        "passwords it ends (400 too_many_password_attempts). An answer that ends the login "
        "comes once it has ended, and reports its final status (the login is forgotten)."
    ),
    tags=["auth"],
    path_params=QrTokenPath,
    body=QrPasswordBody,
    responses={
        200: QrStatusSchema,
        400: (ErrorSchema, "Wrong password"),
        404: ErrorSchema,
        409: (
            ErrorSchema,
            "The login is not waiting for a password, or it ended meanwhile "
            "(expired, cancelled, replaced)",
        ),
        502: (ErrorSchema, "Telegram refused or failed"),
        503: (ErrorSchema, "The server is shutting down"),
    },
)
async def submit_qr_password(
    request: web.Request, *, path_params: dict[str, str], body: dict[str, str]
) -> web.Response:
    registry = request.app[QR_LOGINS]
    entry = _entry(request, path_params["token"])
    try:
        await entry.flow.submit_password(body["password"])
    except WrongPassword as exc:
        raise ApiError(400, exc.code, exc.message) from None
    except LoginFailed as exc:
        if exc.code == "no_password_expected":
            raise ApiError(409, exc.code, exc.message) from None
        registry.read(entry)  # the login has ended: this answer reports its final status
        raise login_ended(exc) from None
    answer = login_status(entry)
    registry.read(entry)
    return json_response(answer, headers=NO_STORE)


@route(
    "DELETE",
    "/api/v3/auth/qr/{token}",
    summary="Cancel a QR login",
    description="Stops the login; nothing is saved (a login that already succeeded is kept).",
    tags=["auth"],
    path_params=QrTokenPath,
    responses={200: QrStatusSchema, 404: ErrorSchema},
)
async def cancel_qr_login(request: web.Request, *, path_params: dict[str, str]) -> web.Response:
    entry = await request.app[QR_LOGINS].cancel(path_params["token"])
    if entry is None:
        raise login_not_found()
    return json_response(login_status(entry), headers=NO_STORE)


async def _qr_image(request: web.Request, token: str, kind: str) -> web.Response:
    entry = _entry(request, token)
    url = entry.flow.qr_url
    if url is None:
        raise ApiError(
            409, "no_qr_code", f"There is no QR code to show: the login is {entry.flow.status}."
        )
    image = entry.images.get((kind, url))
    if image is None:
        image = await asyncio.to_thread(render_svg if kind == "svg" else render_png, url)
        entry.images = {(kind, url): image}  # only the current code is kept
    content_type = "image/svg+xml" if kind == "svg" else "image/png"
    return web.Response(body=image, content_type=content_type, headers=NO_STORE)


_IMAGE_RESPONSES = {200: "The current QR code", 404: ErrorSchema, 409: ErrorSchema}


@route(
    "GET",
    "/api/v3/auth/qr/{token}/qr.svg",
    summary="The current QR code as SVG",
    tags=["auth"],
    path_params=QrTokenPath,
    content_type="image/svg+xml",
    responses=_IMAGE_RESPONSES,
)
async def get_qr_svg(request: web.Request, *, path_params: dict[str, str]) -> web.Response:
    return await _qr_image(request, path_params["token"], "svg")


@route(
    "GET",
    "/api/v3/auth/qr/{token}/qr.png",
    summary="The current QR code as PNG",
    tags=["auth"],
    path_params=QrTokenPath,
    content_type="image/png",
    responses=_IMAGE_RESPONSES,
)
async def get_qr_png(request: web.Request, *, path_params: dict[str, str]) -> web.Response:
    return await _qr_image(request, path_params["token"], "png")


# ----------------------------------------------------------------------------- account


@route(
    "GET",
    "/api/v3/me",
    summary="The Telegram account behind X-Telegram-Username",
    tags=["auth"],
    responses={200: MeSchema},
)
async def get_me(request: web.Request) -> web.Response:
    client = await request.app[SESSIONS].get(get_account(request))
    return json_response((await who_am_i(client)).public())


@route(
    "DELETE",
    "/api/v3/auth/session",
    summary="Log the account out",
    description=(
        "Ends the session at Telegram (auth.logOut), stops its client and deletes "
        "sessions/NAME.session. A session Telegram had already ended is deleted too."
    ),
    tags=["auth"],
    responses={200: LogoutSchema},
)
async def delete_auth_session(request: web.Request) -> web.Response:
    app, account = request.app, get_account(request)
    sessions = app[SESSIONS]
    try:
        ended = await log_out(await sessions.get(account))
    except Unauthorized:
        ended = False  # the client could not even start: Telegram had ended the session
    except ApiError as exc:
        if exc.status != 401:
            raise
        ended = False  # refused earlier, or an aborted login: nothing to end at Telegram
    await sessions.evict(account)  # stopped before its file goes (stop() saves to it)
    await asyncio.to_thread(delete_session, app[CONFIG].data_dir, account)
    return json_response(
        {
            "username": account,
            "logged_out": True,
            "telegram_session_ended": ended,
            "message": f"'{account}' is logged out; log in again with tgsc-auth {account} "
            "or POST /api/v3/auth/qr.",
        }
    )


# ----------------------------------------------------------------------------- setup


async def qr_logins_context(app: web.Application) -> AsyncIterator[None]:
    """QR_LOGINS: every login still running is cancelled on shutdown."""
    registry = QrLoginRegistry()
    app[QR_LOGINS] = registry
    yield
    await registry.close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(qr_logins_context)
    register_routes(
        app,
        start_qr_login,
        get_qr_login,
        submit_qr_password,
        cancel_qr_login,
        get_qr_svg,
        get_qr_png,
        get_me,
        delete_auth_session,
    )
