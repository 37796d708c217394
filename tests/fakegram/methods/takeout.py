"""Takeout sessions: account.initTakeoutSession / account.finishTakeoutSession.

The wire unwraps `invokeWithTakeout(takeout_id, query)` into `ctx.takeout_id`; handlers
that care (and the wire) can ask `takeout_valid(server, takeout_id, user_id)`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from .login import login_state

if TYPE_CHECKING:  # pragma: no cover
    from ..server import FakeTelegram


def takeout_valid(server: FakeTelegram, takeout_id: int, user_id: int | None) -> bool:
    """True when `takeout_id` is an open takeout session of account `user_id`."""
    return user_id is not None and login_state(server).takeouts.get(takeout_id) == user_id


@handles(raw.functions.account.InitTakeoutSession)
async def init_takeout_session(
    ctx: CallContext, req: raw.functions.account.InitTakeoutSession
) -> raw.types.account.Takeout:
    user_id = ctx.require_user()
    takeout_id = secrets.randbits(63)
    login_state(ctx.server).takeouts[takeout_id] = user_id
    return raw.types.account.Takeout(id=takeout_id)


@handles(raw.functions.account.FinishTakeoutSession)
async def finish_takeout_session(
    ctx: CallContext, req: raw.functions.account.FinishTakeoutSession
) -> bool:
    user_id = ctx.require_user()
    if ctx.takeout_id is None:
        raise RpcError(400, "TAKEOUT_REQUIRED")
    if not takeout_valid(ctx.server, ctx.takeout_id, user_id):
        raise RpcError(400, "TAKEOUT_INVALID")
    del login_state(ctx.server).takeouts[ctx.takeout_id]
    return True
