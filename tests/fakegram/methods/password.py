"""2FA: account.getPassword and auth.checkPassword with real SRP (see tests/fakegram/srp.py).

A key reaches auth.checkPassword after a first factor (QR token or phone code) answered
SESSION_PASSWORD_NEEDED (`login.finish_login`). Each account.getPassword starts a fresh
SRP challenge for the calling key; auth.checkPassword consumes it, so an older srp_id is
SRP_ID_INVALID. The verifier of each account's password is computed once (PBKDF2 runs in
a worker thread) and recomputed only if the world changes the password.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..srp import GENERATOR, PRIME_BYTES, PasswordVerifier, SrpChallenge, make_verifier
from ..world.model import User
from .login import authorize, login_state

if TYPE_CHECKING:  # pragma: no cover
    from ..server import FakeTelegram


def _caller(ctx: CallContext) -> User:
    """The account behind the key: logged in, or owing its password after a first factor."""
    user_id = ctx.user_id or login_state(ctx.server).password_pending.get(ctx.auth_key_id)
    if user_id is None:
        raise RpcError(401, "AUTH_KEY_UNREGISTERED")
    return ctx.world.users[user_id]


async def verifier_for(server: FakeTelegram, user: User) -> PasswordVerifier:
    """The account's SRP verifier, computed once per account and password (concurrent
    callers share the one computation, so they all see the same salts)."""
    cache = login_state(server).verifiers
    cached = cache.get(user.id)
    if cached is None or cached[0] != user.password:
        computing = asyncio.ensure_future(make_verifier(user.password))
        cached = cache[user.id] = (user.password, computing)
    return await cached[1]


def _no_password() -> dict:
    return {
        "new_algo": raw.types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=secrets.token_bytes(8), salt2=secrets.token_bytes(16), g=GENERATOR, p=PRIME_BYTES
        ),
        "new_secure_algo": raw.types.SecurePasswordKdfAlgoSHA512(salt=secrets.token_bytes(8)),
        "secure_random": secrets.token_bytes(32),
    }


@handles(raw.functions.account.GetPassword)
async def get_password(
    ctx: CallContext, req: raw.functions.account.GetPassword
) -> raw.types.account.Password:
    user = _caller(ctx)
    if not user.password:
        return raw.types.account.Password(has_password=False, **_no_password())
    verifier = await verifier_for(ctx.server, user)
    challenge = SrpChallenge(verifier)
    login_state(ctx.server).challenges[ctx.auth_key_id] = (user.id, challenge)
    return raw.types.account.Password(
        has_password=True,
        current_algo=verifier.algo(),
        srp_B=challenge.B,
        srp_id=challenge.srp_id,
        hint=user.password_hint or None,
        **_no_password(),
    )


@handles(raw.functions.auth.CheckPassword)
async def check_password(
    ctx: CallContext, req: raw.functions.auth.CheckPassword
) -> raw.types.auth.Authorization:
    user = _caller(ctx)
    srp = req.password
    if not isinstance(srp, raw.types.InputCheckPasswordSRP):
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    challenges = login_state(ctx.server).challenges
    user_id, challenge = challenges.get(ctx.auth_key_id, (None, None))
    if challenge is None or challenge.srp_id != srp.srp_id or user_id != user.id:
        raise RpcError(400, "SRP_ID_INVALID")
    del challenges[ctx.auth_key_id]
    if challenge.verifier.v != (await verifier_for(ctx.server, user)).v:
        raise RpcError(400, "SRP_PASSWORD_CHANGED")
    try:
        proven = challenge.verify(srp.A, srp.M1)
    except ValueError:
        raise RpcError(400, "SRP_A_INVALID") from None
    if not proven:
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    return authorize(ctx, user)
