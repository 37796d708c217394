"""Running one RPC: unwrap the invoke* wrappers, apply faults, call the handler, answer.

Every request gets an answer: the handler's result, its RpcError, 500 INTERNAL for a
handler that crashed, or 400 METHOD_INVALID for a function nobody handles. Results above
512 bytes go out gzip_packed, as Telegram does (file parts excepted: they do not shrink).
"""

from __future__ import annotations

import gzip
import logging
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyrogram import raw
from pyrogram.raw.core import GzipPacked, TLObject
from pyrogram.raw.core.primitives import Bool, Bytes, Vector

from .rpc import CallContext, RpcError, method_name, restore_boxed_vectors

if TYPE_CHECKING:  # pragma: no cover
    from .connection import Connection
    from .server import FakeTelegram
    from .session import ServerSession

log = logging.getLogger(__name__)

GZIP_THRESHOLD = 512
_UNCOMPRESSED = (raw.types.upload.File, raw.types.upload.CdnFile, raw.types.upload.WebFile)
_RPC_RESULT = struct.pack("<I", raw.types.RpcResult.ID)


@dataclass
class Wrapping:
    """What the invoke* wrappers around a query said."""

    layer: int | None = None
    init: raw.functions.InitConnection | None = None
    takeout_id: int | None = None


def unwrap(request: TLObject) -> tuple[TLObject, Wrapping]:
    """Peel invokeWithLayer, initConnection, invokeWithoutUpdates, invokeWithTakeout, ..."""
    wrapping = Wrapping()
    while True:
        if isinstance(request, raw.functions.InvokeWithLayer):
            wrapping.layer = request.layer
        elif isinstance(request, raw.functions.InitConnection):
            wrapping.init = request
        elif isinstance(request, raw.functions.InvokeWithTakeout):
            wrapping.takeout_id = request.takeout_id
        elif not (request.QUALNAME.startswith("functions.Invoke") and hasattr(request, "query")):
            return request, wrapping
        request = request.query


def encode_result(result: Any) -> bytes:
    """A handler's result as TL bytes (see rpc.py for what handlers may return)."""
    if isinstance(result, bool):
        return Bool(result)
    if isinstance(result, list):
        if not all(isinstance(item, TLObject) for item in result):
            raise TypeError("a handler may return a list of TLObjects only")
        return Vector(result)
    if isinstance(result, TLObject):
        return result.write()
    raise TypeError(f"a handler returned {type(result).__name__}, not a TL object")


def rpc_result(req_msg_id: int, body: bytes, *, compress: bool) -> bytes:
    if compress and len(body) > GZIP_THRESHOLD:
        body = struct.pack("<I", GzipPacked.ID) + Bytes(gzip.compress(body, compresslevel=6))
    return _RPC_RESULT + struct.pack("<q", req_msg_id) + body


def rpc_error(code: int, message: str) -> bytes:
    return raw.types.RpcError(error_code=code, error_message=message).write()


async def run_call(
    server: FakeTelegram,
    connection: Connection,
    session: ServerSession,
    msg_id: int,
    request: TLObject,
) -> None:
    query, wrapping = unwrap(request)
    restore_boxed_vectors(query)
    name = method_name(query)
    server.calls[name] += 1
    if wrapping.init is not None:
        session.api_id, session.layer = wrapping.init.api_id, wrapping.layer
    key = session.key
    ctx = CallContext(
        server=server,
        world=server.world,
        dc_id=connection.dc.dc_id,
        auth_key_id=key.id,
        user_id=key.user_id,
        connection=connection,
        takeout_id=wrapping.takeout_id,
        api_id=session.api_id,
        layer=session.layer,
    )
    exempt = wrapping.init is not None  # never fail or stall the connection's first call
    drop = None if exempt else server.faults.on_request(name)
    if drop is not None and not drop.mid_response:
        connection.drop()
    compress = True
    try:
        if not exempt:
            await server.faults.before_call(name, key.user_id or key.id)
        handler = server.handler_for(type(query))
        if handler is None:
            server.unknown_calls[name] += 1
            log.warning("fakegram: no handler for %s", name)
            raise RpcError(400, "METHOD_INVALID")
        result = await handler(ctx, query)
        compress = not isinstance(result, _UNCOMPRESSED)
        body = encode_result(result)
    except RpcError as e:
        body = rpc_error(e.code, e.message)
    except Exception:
        log.exception("fakegram: %s failed", name)
        body = rpc_error(500, "INTERNAL")
    session.post(
        rpc_result(msg_id, body, compress=compress),
        content=True,
        byte_rate=None if exempt else server.faults.answer_byte_rate(name),
        cut=drop is not None and drop.mid_response,
    )
