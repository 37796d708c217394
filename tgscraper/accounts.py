"""Account names: the one rule for what a name may be, and where its session file lives.

An account name arrives in the ``X-Telegram-Username`` header and on the ``tgsc-auth``
command line, and becomes a file name (``sessions/NAME.session``), so it is checked
here, once, against a strict pattern: no path separators, no ``.``/``..``.
"""

from __future__ import annotations

import re
from pathlib import Path

ACCOUNT_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
_ACCOUNT_NAME = re.compile(ACCOUNT_NAME_PATTERN)
SESSIONS_DIR = "sessions"
SESSION_SUFFIX = ".session"


def check_account_name(name: str) -> str:
    """Return `name` if it is a valid account name, else raise ValueError saying why."""
    if not name:
        raise ValueError("The account name is empty.")
    if not _ACCOUNT_NAME.fullmatch(name) or name in {".", ".."}:
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ValueError(
            f"Invalid account name {shown!r}: use 1 to 64 letters, digits, '_', '.' or '-' "
            "(not '.' or '..')."
        )
    return name


def sessions_dir(data_dir: Path) -> Path:
    return data_dir / SESSIONS_DIR


def session_path(data_dir: Path, account: str) -> Path:
    """The pyrogram session file of `account` (the name must already be checked)."""
    return sessions_dir(data_dir) / f"{account}{SESSION_SUFFIX}"


def not_authenticated_detail(account: str) -> str:
    """The sentence every 'no usable session' answer uses, with the command that fixes it."""
    return f"User '{account}' not authenticated. Run: tgsc-auth {account}"


def session_rejected_detail(account: str, reason: str) -> str:
    """The sentence for a session Telegram refused (`reason`: its error, e.g. SESSION_REVOKED)."""
    return (
        f"Telegram rejected the session of '{account}' ({reason}). "
        f"Log in again: tgsc-auth {account}"
    )
