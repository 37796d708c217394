"""Who a session belongs to, and logging a session out (the Telegram side of
/api/v3/me, DELETE /api/v3/auth/session and tgsc-auth --list / --logout)."""

from __future__ import annotations

from dataclasses import dataclass

import pyrogram
from pyrogram import raw
from pyrogram.errors import Unauthorized


@dataclass(frozen=True)
class TelegramAccount:
    """The Telegram user behind a session."""

    id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    phone: str | None
    is_premium: bool

    @classmethod
    def from_user(cls, user: raw.base.User) -> TelegramAccount:
        return cls(
            id=user.id,
            first_name=getattr(user, "first_name", None),
            last_name=getattr(user, "last_name", None) or None,
            username=getattr(user, "username", None),
            phone=getattr(user, "phone", None),
            is_premium=bool(getattr(user, "premium", False)),
        )

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        if self.username:
            name = f"{name} (@{self.username})" if name else f"@{self.username}"
        return name or str(self.id)

    def public(self) -> dict:
        """The account as /api/v3/me shows it (phone masked)."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "phone": mask_phone(self.phone),
            "is_premium": self.is_premium,
        }


def mask_phone(phone: str | None) -> str | None:
    """The first two and last two digits of a number, the rest hidden: "+44********23"."""
    if not phone:
        return None
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) <= 4:
        return "+" + "*" * len(digits)
    return f"+{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


async def who_am_i(client: pyrogram.Client) -> TelegramAccount:
    """The account a started client is logged in as (one users.getUsers call)."""
    (user,) = await client.invoke(raw.functions.users.GetUsers(id=[raw.types.InputUserSelf()]))
    return TelegramAccount.from_user(user)


async def log_out(client: pyrogram.Client) -> bool:
    """End the client's session at Telegram (auth.logOut): True when Telegram ended it
    now, False when it had already ended it (logged out elsewhere, revoked)."""
    try:
        await client.invoke(raw.functions.auth.LogOut())
    except Unauthorized:
        return False
    return True
