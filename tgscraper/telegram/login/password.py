"""The 2FA step both login flows share: the hint, and the SRP check of a password.

pyrogram's ``check_password`` computes the SRP proof (PBKDF2 with 100,000 rounds) on the
event loop; here it runs in a thread so a login never stalls other requests. The
password is only passed through: never logged, stored or put in an error.
"""

from __future__ import annotations

import asyncio

import pyrogram
from pyrogram import raw
from pyrogram.utils import compute_password_check


async def password_hint(client: pyrogram.Client) -> str | None:
    """The hint the account owner set for the 2FA password (None: no hint)."""
    state = await client.invoke(raw.functions.account.GetPassword())
    return state.hint or None


async def check_password(client: pyrogram.Client, password: str) -> raw.base.User:
    """Finish a login that answered SESSION_PASSWORD_NEEDED; the logged-in user.
    Raises PasswordHashInvalid for a wrong password."""
    state = await client.invoke(raw.functions.account.GetPassword())
    proof = await asyncio.to_thread(compute_password_check, state, password)
    authorization = await client.invoke(raw.functions.auth.CheckPassword(password=proof))
    await client.storage.user_id(authorization.user.id)
    await client.storage.is_bot(False)
    return authorization.user
