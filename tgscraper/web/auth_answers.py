"""What the QR login API answers: a login's status as JSON, and the error of a login
that ended (or could not start) without success."""

from __future__ import annotations

from typing import Any

from tgscraper.telegram.login.errors import LoginFailed
from tgscraper.telegram.login.qr import QrStatus
from tgscraper.telegram.login.registry import QrEntry, TooManyLogins
from tgscraper.web.errors import ApiError
from tgscraper.web.middlewares import ACCOUNT_HEADER

SCAN_HINT = (
    "Scan the QR code with Telegram on a phone logged into the account "
    "(Settings > Devices > Link Desktop Device)."
)


def login_not_found() -> ApiError:
    return ApiError(
        404,
        "login_not_found",
        "No such QR login (unknown token, or it ended and was already reported): "
        "start one with POST /api/v3/auth/qr.",
    )


def _message(entry: QrEntry) -> str:
    flow = entry.flow
    if flow.status is QrStatus.PENDING:
        return SCAN_HINT if flow.qr_url else "The code was scanned; finishing the login."
    if flow.status is QrStatus.PASSWORD_REQUIRED:
        return (
            "The account has two-step verification: send its password to "
            f"POST /api/v3/auth/qr/{entry.token}/2fa."
        )
    if flow.status is QrStatus.SUCCESS and flow.account is not None:
        return (
            f"Logged in as {flow.account.display_name}. "
            f"Send '{ACCOUNT_HEADER}: {entry.username}' with your requests."
        )
    return flow.error.message if flow.error else f"The login is {flow.status}."


def login_status(entry: QrEntry) -> dict[str, Any]:
    flow = entry.flow
    pending = flow.status is QrStatus.PENDING and flow.qr_url is not None
    password = flow.status is QrStatus.PASSWORD_REQUIRED
    return {
        "status": flow.status.value,
        "username": entry.username,
        "qr_url": flow.qr_url if pending else None,
        "expires_in": round(flow.expires_in) if pending else None,
        "password_hint": flow.password_hint if password else None,
        "password_tries_left": flow.password_tries_left if password else None,
        "error": flow.error.code if flow.error else None,
        "message": _message(entry),
        "account": flow.account.public() if flow.account else None,
    }


#: the HTTP status of a login that ended without success, by its error code (else 502)
_ENDED_STATUS = {
    "too_many_password_attempts": 400,
    "expired": 409,
    "cancelled": 409,
    "login_replaced": 409,
    "shutting_down": 503,
}


def login_ended(error: LoginFailed) -> ApiError:
    """The answer to a request whose login ended (or could not start) with `error`."""
    if isinstance(error, TooManyLogins):
        return ApiError(429, error.code, error.message, {"Retry-After": str(error.retry_after)})
    return ApiError(_ENDED_STATUS.get(error.code, 502), error.code, error.message)
