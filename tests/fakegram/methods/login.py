"""Logging in and out: QR login tokens, phone codes, auth.logOut.

QR login (core.telegram.org/api/qr-login): an unauthorised key calls
`auth.exportLoginToken` and shows the token; a logged-in "phone" session of the account
calls `auth.acceptLoginToken`, which pushes `updateShort(updateLoginToken)` to the
exporting key; that key exports again and gets `auth.loginTokenSuccess` (now logged
in), or `auth.loginTokenMigrateTo(dc_id, token)` when the account lives on another DC,
where `auth.importLoginToken` finishes the login. A new token is issued by every export
(each valid `LoginState.token_ttl` seconds), so a client may rotate its QR code early.

Phone login: `auth.sendCode` -> `auth.sentCode` (type app); the code is
`login_code_for(phone)`, deterministic so tests and scripts can type it; `auth.signIn`
logs in. An account on another DC answers PHONE_MIGRATE_X first, as Telegram does.

Both paths end in `finish_login`: an account with a 2FA password answers
SESSION_PASSWORD_NEEDED and the key waits for `auth.checkPassword`
(tests/fakegram/methods/password.py).

Helpers for tests and the control API (no second client needed):

    login_state(server) -> LoginState       # token_ttl, code_ttl, clock are settable
    accept_login_token(server, token: bytes, user_id: int) -> raw.types.Authorization
        # "scan" a QR token as the account's phone; raises RpcError like
        # auth.acceptLoginToken (AUTH_TOKEN_INVALIDX / _EXPIRED / _ALREADY_ACCEPTED)
    login_code_for(phone: str) -> str       # the code auth.sendCode "sends" to a phone
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..tl import self_user

if TYPE_CHECKING:  # pragma: no cover
    from ..server import FakeTelegram
    from ..srp import PasswordVerifier, SrpChallenge
    from ..world.model import User

CODE_LENGTH = 5
_PHONE_DIGITS = re.compile(r"\d{5,15}")
_FORGET_AFTER = 600.0  # seconds an expired token is still recognised as "expired"


def login_code_for(phone: str) -> str:
    """The login code fakegram "sends" to `phone` (same phone, same code, every time)."""
    digest = hashlib.sha256(b"fakegram login code:" + _digits(phone).encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**CODE_LENGTH).zfill(CODE_LENGTH)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


@dataclass
class LoginToken:
    """A QR login token, bound to the key and DC that will use it."""

    token: bytes
    auth_key_id: int
    dc_id: int
    expires_at: float
    #: the account that accepted it (migration tokens are born accepted)
    accepted_by: int | None = None
    #: the exporting key already collected the login (success or migration)
    used: bool = False
    #: a loginTokenMigrateTo token, only good for auth.importLoginToken on `dc_id`
    migration: bool = False
    #: the api_id of the app that exported it (shown in the accepted authorization)
    api_id: int = 0


@dataclass
class SentCode:
    phone: str
    code: str
    expires_at: float


@dataclass
class LoginState:
    """fakegram's login bookkeeping, one per server (see `login_state`)."""

    #: seconds a QR login token stays valid (Telegram: ~30)
    token_ttl: float = 30.0
    #: seconds a phone code stays valid
    code_ttl: float = 300.0
    #: time source for token and code expiry; tests may replace it to move time forward
    clock: Callable[[], float] = time.time
    tokens: dict[bytes, LoginToken] = field(default_factory=dict)
    #: phone_code_hash -> code sent
    codes: dict[str, SentCode] = field(default_factory=dict)
    #: auth_key_id -> account that passed the first factor and owes its 2FA password
    password_pending: dict[int, int] = field(default_factory=dict)
    #: account id -> (password, its verifier being computed or done); see methods/password.py
    verifiers: dict[int, tuple[str, asyncio.Future[PasswordVerifier]]] = field(default_factory=dict)
    #: auth_key_id -> (account, the SRP challenge of its latest account.getPassword)
    challenges: dict[int, tuple[int, SrpChallenge]] = field(default_factory=dict)
    #: takeout id -> account; see methods/takeout.py
    takeouts: dict[int, int] = field(default_factory=dict)

    def now(self) -> float:
        return self.clock()

    def new_token(self, auth_key_id: int, dc_id: int, **kwargs) -> LoginToken:
        now = self.now()
        self._forget_old_tokens(now)
        token = LoginToken(
            secrets.token_bytes(32), auth_key_id, dc_id, now + self.token_ttl, **kwargs
        )
        self.tokens[token.token] = token
        return token

    def _forget_old_tokens(self, now: float) -> None:
        for token in [t for t in self.tokens.values() if t.expires_at + _FORGET_AFTER < now]:
            del self.tokens[token.token]


def login_state(server: FakeTelegram) -> LoginState:
    """The login state of a fakegram server (in `server.state`, created on first use)."""
    state = server.state.get(__name__)
    if state is None:
        state = server.state[__name__] = LoginState()
    return state


def _check_api_id(ctx: CallContext, api_id: int, api_hash: str) -> None:
    if (api_id, api_hash) != (ctx.server.api_id, ctx.server.api_hash):
        raise RpcError(400, "API_ID_INVALID")


# --------------------------------------------------------------------------- finishing


def finish_login(ctx: CallContext, user: User) -> raw.types.auth.Authorization:
    """First factor passed: log the key in, or demand the 2FA password first."""
    state = login_state(ctx.server)
    if user.password:
        state.password_pending[ctx.auth_key_id] = user.id
        raise RpcError(401, "SESSION_PASSWORD_NEEDED")
    return authorize(ctx, user)


def authorize(ctx: CallContext, user: User) -> raw.types.auth.Authorization:
    """Bind the calling key to `user` (every factor passed) and answer auth.authorization."""
    login_state(ctx.server).password_pending.pop(ctx.auth_key_id, None)
    ctx.authorize(user.id)
    return raw.types.auth.Authorization(user=self_user(ctx.world, user.id))


def _account(ctx: CallContext, user_id: int) -> User:
    user = ctx.world.users.get(user_id)
    if user is None or not user.is_account:
        raise ValueError(f"user {user_id} is not an account of this world")
    return user


def _refuse_pending_password(ctx: CallContext) -> None:
    if ctx.auth_key_id in login_state(ctx.server).password_pending:
        raise RpcError(401, "SESSION_PASSWORD_NEEDED")


# --------------------------------------------------------------------------- QR login


@handles(raw.functions.auth.ExportLoginToken)
async def export_login_token(
    ctx: CallContext, req: raw.functions.auth.ExportLoginToken
) -> raw.base.auth.LoginToken:
    _check_api_id(ctx, req.api_id, req.api_hash)
    _refuse_pending_password(ctx)
    state = login_state(ctx.server)
    accepted = next(
        (
            t
            for t in state.tokens.values()
            if t.auth_key_id == ctx.auth_key_id
            and t.accepted_by is not None
            and not t.used
            and not t.migration
        ),
        None,
    )
    if accepted is None:
        token = state.new_token(ctx.auth_key_id, ctx.dc_id, api_id=req.api_id)
        return raw.types.auth.LoginToken(expires=int(token.expires_at), token=token.token)
    accepted.used = True
    user = _account(ctx, accepted.accepted_by)
    if user.dc_id != ctx.dc_id:
        migration = state.new_token(
            auth_key_id=0, dc_id=user.dc_id, accepted_by=user.id, migration=True
        )
        return raw.types.auth.LoginTokenMigrateTo(dc_id=user.dc_id, token=migration.token)
    return raw.types.auth.LoginTokenSuccess(authorization=finish_login(ctx, user))


@handles(raw.functions.auth.ImportLoginToken)
async def import_login_token(
    ctx: CallContext, req: raw.functions.auth.ImportLoginToken
) -> raw.base.auth.LoginToken:
    state = login_state(ctx.server)
    token = state.tokens.get(req.token)
    if token is None or not token.migration or token.dc_id != ctx.dc_id:
        raise RpcError(400, "AUTH_TOKEN_INVALID")
    if token.used:
        raise RpcError(400, "AUTH_TOKEN_ALREADY_ACCEPTED")
    if token.expires_at <= state.now():
        raise RpcError(400, "AUTH_TOKEN_EXPIRED")
    token.used = True
    user = _account(ctx, token.accepted_by)
    return raw.types.auth.LoginTokenSuccess(authorization=finish_login(ctx, user))


def accept_login_token(server: FakeTelegram, token: bytes, user_id: int) -> raw.types.Authorization:
    """Accept a QR login token as account `user_id`'s phone would (auth.acceptLoginToken).

    Pushes updateLoginToken to the key that exported the token and returns the new
    session's `authorization`. Raises RpcError AUTH_TOKEN_INVALIDX (unknown token),
    AUTH_TOKEN_ALREADY_ACCEPTED or AUTH_TOKEN_EXPIRED.
    """
    state = login_state(server)
    login = state.tokens.get(token)
    if login is None or login.migration:
        raise RpcError(400, "AUTH_TOKEN_INVALIDX")
    if login.accepted_by is not None:
        raise RpcError(400, "AUTH_TOKEN_ALREADY_ACCEPTED")
    now = state.now()
    if login.expires_at <= now:
        raise RpcError(400, "AUTH_TOKEN_EXPIRED")
    login.accepted_by = user_id
    server.push_updates(
        login.auth_key_id,
        raw.types.UpdateShort(update=raw.types.UpdateLoginToken(), date=int(now)),
    )
    return raw.types.Authorization(
        hash=secrets.randbits(63),
        device_model="fakegram client",
        platform="loopback",
        system_version="1.0",
        api_id=login.api_id,
        app_name="fakegram",
        app_version="1.0",
        date_created=int(now),
        date_active=int(now),
        ip="127.0.0.1",
        country="Loopback",
        region="",
    )


@handles(raw.functions.auth.AcceptLoginToken)
async def accept_login_token_method(
    ctx: CallContext, req: raw.functions.auth.AcceptLoginToken
) -> raw.types.Authorization:
    return accept_login_token(ctx.server, req.token, ctx.require_user())


# --------------------------------------------------------------------------- phone code


def _valid_phone(phone: str) -> str:
    """The digits of an international number ("+", spaces, dashes, brackets allowed)."""
    digits = re.sub(r"[\s()+-]", "", phone or "")
    if not _PHONE_DIGITS.fullmatch(digits):
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    return digits


@handles(raw.functions.auth.SendCode)
async def send_code(ctx: CallContext, req: raw.functions.auth.SendCode) -> raw.types.auth.SentCode:
    _check_api_id(ctx, req.api_id, req.api_hash)
    phone = _valid_phone(req.phone_number)
    user = ctx.world.account_by_phone(phone)
    if user is not None and user.dc_id != ctx.dc_id:
        raise RpcError(303, f"PHONE_MIGRATE_{user.dc_id}")
    state = login_state(ctx.server)
    phone_code_hash = secrets.token_hex(9)
    code = login_code_for(phone)
    state.codes[phone_code_hash] = SentCode(phone, code, state.now() + state.code_ttl)
    return raw.types.auth.SentCode(
        type=raw.types.auth.SentCodeTypeApp(length=len(code)),
        phone_code_hash=phone_code_hash,
        next_type=raw.types.auth.CodeTypeSms(),
        timeout=60,
    )


def _sent_code(ctx: CallContext, phone_number: str, phone_code_hash: str) -> SentCode:
    """The live code a (phone, hash) pair names, or Telegram's error for it."""
    phone = _valid_phone(phone_number)
    if not phone_code_hash:
        raise RpcError(400, "PHONE_CODE_HASH_EMPTY")
    state = login_state(ctx.server)
    sent = state.codes.get(phone_code_hash)
    if sent is None or sent.phone != phone:
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    if sent.expires_at <= state.now():
        del state.codes[phone_code_hash]
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    return sent


@handles(raw.functions.auth.ResendCode)
async def resend_code(
    ctx: CallContext, req: raw.functions.auth.ResendCode
) -> raw.types.auth.SentCode:
    sent = _sent_code(ctx, req.phone_number, req.phone_code_hash)
    return raw.types.auth.SentCode(
        type=raw.types.auth.SentCodeTypeSms(length=len(sent.code)),
        phone_code_hash=req.phone_code_hash,
    )


@handles(raw.functions.auth.CancelCode)
async def cancel_code(ctx: CallContext, req: raw.functions.auth.CancelCode) -> bool:
    _sent_code(ctx, req.phone_number, req.phone_code_hash)
    del login_state(ctx.server).codes[req.phone_code_hash]
    return True


@handles(raw.functions.auth.SignIn)
async def sign_in(ctx: CallContext, req: raw.functions.auth.SignIn) -> raw.types.auth.Authorization:
    sent = _sent_code(ctx, req.phone_number, req.phone_code_hash)
    if not req.phone_code:
        raise RpcError(400, "PHONE_CODE_EMPTY")
    if req.phone_code != sent.code:
        raise RpcError(400, "PHONE_CODE_INVALID")
    user = ctx.world.account_by_phone(sent.phone)
    if user is None:
        raise RpcError(400, "PHONE_NUMBER_UNOCCUPIED")
    if user.dc_id != ctx.dc_id:
        raise RpcError(303, f"PHONE_MIGRATE_{user.dc_id}")
    del login_state(ctx.server).codes[req.phone_code_hash]
    return finish_login(ctx, user)


@handles(raw.functions.auth.SignUp)
async def sign_up(ctx: CallContext, req: raw.functions.auth.SignUp) -> raw.types.auth.Authorization:
    """fakegram has no registration: only the world's accounts can log in."""
    raise RpcError(400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN")


# --------------------------------------------------------------------------- logout


@handles(raw.functions.auth.LogOut)
async def log_out(ctx: CallContext, req: raw.functions.auth.LogOut) -> raw.types.auth.LoggedOut:
    ctx.require_user()
    state = login_state(ctx.server)
    state.password_pending.pop(ctx.auth_key_id, None)
    state.challenges.pop(ctx.auth_key_id, None)
    ctx.authorize(None)
    return raw.types.auth.LoggedOut()
