"""Errors: ApiError, and the one middleware that turns every failure into JSON.

Every failure answers ``{"error": code, "detail": sentence}`` (design.md "Errors"):

* ``ApiError(status, code, detail, headers)`` raised anywhere below a handler;
* aiohttp's HTTP exceptions: unknown route -> 404 ``not_found``, wrong method -> 405
  ``method_not_allowed`` (with Allow), others by their status;
* pyrogram errors, decided here once for every endpoint: a flood wait -> 429
  ``flood_wait`` with Retry-After; a session Telegram rejects (AUTH_KEY_UNREGISTERED,
  SESSION_REVOKED, USER_DEACTIVATED, AUTH_KEY_DUPLICATED, ...) -> 401
  ``session_rejected`` and the account's client is evicted; no access to a chat -> 403
  ``no_access``; an unknown peer/username/message -> 404 ``not_found``; anything else
  from Telegram -> 502 ``telegram_error``;
* Telegram out of reach -> 502 ``telegram_unavailable`` (:class:`TelegramUnavailable`):
  pyrogram says so with plain exceptions, TimeoutError when a request got no answer
  after its retries and OSError/ConnectionError when there is no connection. The same
  types come from our own timeouts and files, so they count only when pyrogram raised
  them (:func:`raised_in_pyrogram`); code that puts its own timeout around a Telegram
  call raises TelegramUnavailable itself;
* anything unexpected -> 500 ``internal_error`` with a request id; the traceback goes
  to the server log only.

``describe_exception`` is the same decision for code that can no longer send a status
(an SSE stream already started reports it as an ``error`` event).
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pyrogram.errors import Flood, RPCError, Unauthorized

from tgscraper.accounts import session_rejected_detail
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.json import json_response

log = logging.getLogger(__name__)

#: request key under which the account middleware stores the resolved account name
#: (web.RequestKey where this aiohttp has it; a plain string key before that)
ACCOUNT_KEY: Any = (
    web.RequestKey("account", str) if hasattr(web, "RequestKey") else "tgscraper.account"
)

SESSION_REJECTED = frozenset(
    {
        "AUTH_KEY_UNREGISTERED",
        "AUTH_KEY_INVALID",
        "AUTH_KEY_PERM_EMPTY",
        "AUTH_KEY_DUPLICATED",
        "SESSION_REVOKED",
        "SESSION_EXPIRED",
        "USER_DEACTIVATED",
        "USER_DEACTIVATED_BAN",
    }
)
NO_ACCESS = frozenset(
    {
        "CHANNEL_PRIVATE",
        "CHANNEL_BANNED",
        "CHANNEL_PUBLIC_GROUP_NA",
        "CHAT_FORBIDDEN",
        "CHAT_RESTRICTED",
        "CHAT_ADMIN_REQUIRED",
        "USER_BANNED_IN_CHANNEL",
    }
)
NOT_FOUND = frozenset(
    {
        "USERNAME_NOT_OCCUPIED",
        "USERNAME_INVALID",
        "PEER_ID_INVALID",
        "CHANNEL_INVALID",
        "CHAT_ID_INVALID",
        "USER_ID_INVALID",
        "MSG_ID_INVALID",
    }
)


class ApiError(Exception):
    """A failure with an HTTP status, a machine code and a sentence a person can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})


class TelegramUnavailable(ApiError):
    """Telegram cannot be reached now (no connection, no answer): 502, worth a retry."""

    def __init__(self, detail: str):
        super().__init__(502, "telegram_unavailable", detail)


def raised_in_pyrogram(exc: BaseException) -> bool:
    """Whether pyrogram (or what it called, e.g. asyncio's sockets) raised `exc`: its
    traceback passes through pyrogram with none of our frames deeper down (our code that
    pyrogram calls back, or our own timeout around a call, does not count)."""
    inside = False
    for frame, _ in traceback.walk_tb(exc.__traceback__):  # outermost frame first
        package = frame.f_globals.get("__name__", "").partition(".")[0]
        if package == "pyrogram":
            inside = True
        elif package == "tgscraper":
            inside = False
    return inside


def telegram_unreachable(exc: BaseException) -> TelegramUnavailable | None:
    """The TelegramUnavailable `exc` means, if it is pyrogram failing to reach Telegram."""
    if not isinstance(exc, TimeoutError | OSError) or not raised_in_pyrogram(exc):
        return None
    reason = str(exc) or type(exc).__name__
    return TelegramUnavailable(f"Could not reach Telegram ({reason}); try again later.")


@dataclass
class ErrorAnswer:
    """What a failure looks like on the wire: status, JSON payload and headers."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def telegram_error_id(exc: RPCError) -> str:
    """Telegram's error name, e.g. "FLOOD_WAIT_X" or "CHANNEL_PRIVATE"."""
    if exc.ID:
        return exc.ID
    value = str(exc.value or "")  # unknown errors carry "[400 SOME_ERROR]"
    return value.strip("[]").partition(" ")[2] or (exc.NAME or "UNKNOWN")


async def _telegram_error(request: web.Request, exc: RPCError) -> ApiError:
    error_id = telegram_error_id(exc)
    account = request.get(ACCOUNT_KEY)
    if isinstance(exc, Flood) and isinstance(exc.value, int):
        seconds = exc.value
        return ApiError(
            429,
            "flood_wait",
            f"Telegram asks to wait {seconds} s before the next request ({error_id}). "
            f"Retry after {seconds} s.",
            {"Retry-After": str(seconds)},
        )
    if error_id in SESSION_REJECTED or (
        isinstance(exc, Unauthorized) and error_id != "SESSION_PASSWORD_NEEDED"
    ):
        if account is not None:
            await request.app[SESSIONS].reject(account, error_id)
            return ApiError(401, "session_rejected", session_rejected_detail(account, error_id))
        return ApiError(401, "session_rejected", f"Telegram rejected the session ({error_id}).")
    if error_id in NO_ACCESS:
        return ApiError(403, "no_access", f"This account has no access to that chat ({error_id}).")
    if error_id in NOT_FOUND:
        return ApiError(404, "not_found", f"Telegram does not know that chat or item ({error_id}).")
    said = str(exc).removeprefix("Telegram says: ")  # "[400 X] - why (caused by "method")"
    return ApiError(502, "telegram_error", f"Telegram answered {said}")


def _http_error(request: web.Request, exc: web.HTTPException) -> ApiError:
    if exc.status == 404:
        return ApiError(
            404,
            "not_found",
            f"No such endpoint: {request.method} {request.path}. The API is listed at /docs.",
        )
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; allowed: {allowed}.",
            {"Allow": allowed},
        )
    if exc.status == 413:
        return ApiError(413, "body_too_large", "The request body is too large.")
    code = (exc.reason or "error").lower().replace(" ", "_").replace("-", "_")
    return ApiError(exc.status, code, f"{exc.reason}.")


async def describe_exception(request: web.Request, exc: BaseException) -> ErrorAnswer:
    """Decide how `exc` looks to the client (evicting a rejected session on the way)."""
    if isinstance(exc, web.HTTPException) and exc.status >= 400:
        exc = _http_error(request, exc)
    elif isinstance(exc, RPCError):
        exc = await _telegram_error(request, exc)
    else:
        exc = telegram_unreachable(exc) or exc
    if isinstance(exc, ApiError):
        if exc.status >= 500:
            log.warning(
                "%s %s -> %s %s: %s", request.method, request.path, exc.status, exc.code, exc.detail
            )
        return ErrorAnswer(exc.status, {"error": exc.code, "detail": exc.detail}, exc.headers)
    request_id = uuid.uuid4().hex[:16]
    log.error(
        "Unhandled error in %s %s [request id %s]",
        request.method,
        request.path,
        request_id,
        exc_info=exc,
    )
    return ErrorAnswer(
        500,
        {
            "error": "internal_error",
            "detail": f"Internal server error (request id {request_id}); "
            "the details are in the server log.",
            "request_id": request_id,
        },
        {"X-Request-Id": request_id},
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Outermost middleware: every failure below it becomes a JSON error answer."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        answer = await describe_exception(request, exc)
    except ConnectionResetError:
        raise  # the client went away: nobody to answer
    except Exception as exc:
        answer = await describe_exception(request, exc)
    return json_response(answer.payload, status=answer.status, headers=answer.headers)
