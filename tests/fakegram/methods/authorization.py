"""auth.exportAuthorization / auth.importAuthorization: logging a new DC's key in.

A client that needs another DC (e.g. a file on DC 4) creates a key there, exports its
authorization on the home DC and imports it on the other one; the import binds the new
key to the account. Exported tokens are single-use and bound to the target DC.
"""

from __future__ import annotations

import os

from pyrogram import raw

from ..rpc import CallContext, RpcError, handles
from ..tl import self_user

STATE = __name__


def _exports(ctx: CallContext) -> dict[bytes, tuple[int, int]]:
    """token -> (user_id, dc_id), kept on the server."""
    return ctx.server.state.setdefault(STATE, {})


def user_object(ctx: CallContext, user_id: int) -> raw.base.User:
    """The account as it sees itself (a bare User when the world does not know it)."""
    if ctx.world is not None and user_id in ctx.world.users:
        return self_user(ctx.world, user_id)
    return raw.types.User(id=user_id, is_self=True, access_hash=0)


@handles(raw.functions.auth.ExportAuthorization)
async def export_authorization(ctx: CallContext, req: raw.functions.auth.ExportAuthorization):
    user_id = ctx.require_user()
    if req.dc_id == ctx.dc_id or req.dc_id not in ctx.server.dc_ports:
        raise RpcError(400, "DC_ID_INVALID")
    token = os.urandom(128)
    _exports(ctx)[token] = (user_id, req.dc_id)
    return raw.types.auth.ExportedAuthorization(id=user_id, bytes=token)


@handles(raw.functions.auth.ImportAuthorization)
async def import_authorization(ctx: CallContext, req: raw.functions.auth.ImportAuthorization):
    exported = _exports(ctx).get(req.bytes)
    if exported != (req.id, ctx.dc_id):
        raise RpcError(400, "AUTH_BYTES_INVALID")
    del _exports(ctx)[req.bytes]
    ctx.authorize(req.id)
    return raw.types.auth.Authorization(user=user_object(ctx, req.id))
