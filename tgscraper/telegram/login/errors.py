"""Telegram's answers during a login, as one sentence a person can act on.

``tgsc-auth`` prints the sentence and exits non-zero; the QR API puts it in the flow's
``error``. The password never appears in any of them.
"""

from __future__ import annotations

from pyrogram.errors import FloodWait, RPCError

from tgscraper.web.errors import telegram_error_id


class LoginFailed(Exception):
    """A login that cannot go on: a machine code and one sentence."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class WrongPassword(LoginFailed):
    """The 2FA password was wrong; the person may try again `tries_left` times."""

    def __init__(self, tries_left: int):
        super().__init__(
            "password_invalid",
            f"That 2FA password is wrong ({tries_left} "
            f"{'try' if tries_left == 1 else 'tries'} left).",
        )
        self.tries_left = tries_left


#: Telegram error -> (code, sentence)
_SENTENCES = {
    "PHONE_NUMBER_INVALID": (
        "phone_number_invalid",
        "Telegram does not accept that phone number: type it in international format, "
        "e.g. +44 7700 900123.",
    ),
    "PHONE_NUMBER_UNOCCUPIED": (
        "phone_number_unoccupied",
        "No Telegram account uses that phone number; sign up in a Telegram app first.",
    ),
    "PHONE_NUMBER_BANNED": ("phone_number_banned", "Telegram has banned that phone number."),
    "PHONE_NUMBER_FLOOD": (
        "flood_wait",
        "Telegram received too many login attempts for that number; try again later.",
    ),
    "PHONE_CODE_INVALID": ("phone_code_invalid", "That login code is wrong."),
    "PHONE_CODE_EMPTY": ("phone_code_invalid", "No login code was entered."),
    "PHONE_CODE_EXPIRED": (
        "phone_code_expired",
        "The login code has expired; run the login again to get a new one.",
    ),
    "PASSWORD_HASH_INVALID": ("password_invalid", "That 2FA password is wrong."),
    "AUTH_TOKEN_EXPIRED": ("expired", "The QR code expired before it was scanned."),
    "API_ID_INVALID": (
        "api_id_invalid",
        "Telegram refused the API credentials: check TELEGRAM_API_ID and TELEGRAM_API_HASH "
        "at https://my.telegram.org.",
    ),
    "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN": (
        "phone_number_unoccupied",
        "No Telegram account uses that phone number; sign up in a Telegram app first.",
    ),
}


def describe_login_error(exc: BaseException) -> LoginFailed:
    """The LoginFailed a person should see for `exc` (a LoginFailed is kept as it is)."""
    if isinstance(exc, LoginFailed):
        return exc
    if isinstance(exc, FloodWait):
        return LoginFailed(
            "flood_wait", f"Telegram asks to wait {exc.value} s before trying to log in again."
        )
    if isinstance(exc, RPCError):
        error_id = telegram_error_id(exc)
        if error_id in _SENTENCES:
            return LoginFailed(*_SENTENCES[error_id])
        return LoginFailed("telegram_error", f"Telegram refused the login ({exc.CODE} {error_id}).")
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return LoginFailed(
            "telegram_unavailable", f"Could not reach Telegram ({exc or type(exc).__name__})."
        )
    return LoginFailed("internal_error", f"The login failed unexpectedly ({type(exc).__name__}).")
