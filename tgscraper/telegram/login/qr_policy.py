"""The states, timings and limits of a QR login (``tgscraper.telegram.login.qr``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tgscraper.telegram.login.errors import LoginFailed


class QrStatus(StrEnum):
    PENDING = "pending"
    PASSWORD_REQUIRED = "password_required"
    SUCCESS = "success"
    EXPIRED = "expired"
    ERROR = "error"
    CANCELLED = "cancelled"


TERMINAL = frozenset({QrStatus.SUCCESS, QrStatus.EXPIRED, QrStatus.ERROR, QrStatus.CANCELLED})


@dataclass(frozen=True)
class QrPolicy:
    """The timings and limits of a QR login."""

    #: export a new token at least this often while waiting for the scan
    rotate_every_s: float = 25.0
    #: the whole login (scan and password) must be done within this time
    timeout_s: float = 300.0
    #: wrong 2FA passwords accepted before the login fails
    max_password_tries: int = 5


class LoginExpired(LoginFailed):
    """The login was not completed within its time limit."""

    def __init__(self, timeout_s: float):
        minutes = timeout_s / 60
        super().__init__(
            "expired",
            f"The QR login expired: it was not completed within {minutes:g} "
            f"minute{'' if minutes == 1 else 's'}.",
        )
