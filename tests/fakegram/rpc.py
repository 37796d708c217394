"""The contract between fakegram's wire (connections, sessions) and its method handlers.

A handler answers one raw TL function: it gets a `CallContext` and the unwrapped
request object (the `invokeWithLayer` / `initConnection` / `invokeWithoutUpdates` /
`invokeWithTakeout` wrappers are already removed by the wire) and returns the raw TL
result, or raises `RpcError`. Handlers never touch sockets or encryption.

A handler may return a TLObject, a list of TLObjects (sent as a Vector of boxed objects),
or a Python bool (boolTrue / boolFalse). Any other exception than RpcError becomes
rpc_error 500 INTERNAL (logged with its traceback); a function without a handler becomes
400 METHOD_INVALID (logged and counted in `server.unknown_calls`).

Vectors of boxed objects arrive as objects, always. pyrogram's `Vector` reader guesses the
element size from the bytes left in the message, so a vector that ends a request and holds
4- or 8-byte objects (`users.getUsers([inputUserSelf])`, `messages.getMessages([inputMessageID])`,
`channels.getMessages`) would come back as ints or longs; the wire rebuilds those elements
with `restore_boxed_vectors` before the handler sees the request.

    from pyrogram import raw
    from tests.fakegram.rpc import CallContext, RpcError, handles

    @handles(raw.functions.messages.GetHistory)
    async def get_history(ctx: CallContext, req: raw.functions.messages.GetHistory):
        ...
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pyrogram.raw.core import TLObject

if TYPE_CHECKING:  # pragma: no cover
    from .server import FakeTelegram
    from .world.model import World


class RpcError(Exception):
    """An rpc_error answer: `RpcError(400, "PEER_ID_INVALID")`, `RpcError(420, "FLOOD_WAIT_5")`."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


Handler = Callable[["CallContext", Any], Awaitable[TLObject]]

#: raw function class -> handler. Filled by the @handles decorator when the
#: `tests.fakegram.methods` package is imported.
HANDLERS: dict[type, Handler] = {}


def handles(*functions: type) -> Callable[[Handler], Handler]:
    """Register a coroutine as the answer to one or more raw TL functions."""

    def register(handler: Handler) -> Handler:
        for function in functions:
            if function in HANDLERS:
                raise RuntimeError(f"{function.QUALNAME} already has a handler")
            HANDLERS[function] = handler
        return handler

    return register


def method_name(function: type | TLObject) -> str:
    """Telegram's name of a raw function: messages.GetHistory -> "messages.getHistory"."""
    qualname = function.QUALNAME.removeprefix("functions.")
    namespace, _, name = qualname.rpartition(".")
    name = name[:1].lower() + name[1:]
    return f"{namespace}.{name}" if namespace else name


@dataclass
class CallContext:
    """Everything a handler may know about the call it answers.

    `user_id` is the account authorised on the calling auth key (None before login).
    The wire owns `connection`; handlers use the methods below, not the socket.
    """

    server: FakeTelegram
    world: World
    dc_id: int
    auth_key_id: int
    user_id: int | None
    connection: Any
    takeout_id: int | None = None
    #: api_id and layer the client declared in initConnection / invokeWithLayer.
    api_id: int | None = None
    layer: int | None = None

    def require_user(self) -> int:
        """The calling account, or AUTH_KEY_UNREGISTERED (401) when the key has no login."""
        if self.user_id is None:
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        return self.user_id

    def authorize(self, user_id: int | None) -> None:
        """Bind (or with None unbind) this auth key to an account: login / logout."""
        self.server.authorize_key(self.auth_key_id, user_id)
        self.user_id = user_id

    def push_updates(self, updates: TLObject) -> None:
        """Send an unsolicited Updates object to this connection (e.g. updateLoginToken)."""
        self.server.push_updates(self.auth_key_id, updates)


_BOXED_VECTOR_FIELDS: dict[type, tuple[str, ...]] = {}


def _is_boxed_vector(annotation: Any) -> bool:
    """A ``list[raw....]`` field: a string (kurigram >= 2.2.26, postponed annotations) or
    ``typing.List[ForwardRef('raw....')]`` (older releases)."""
    if isinstance(annotation, str):
        return annotation.startswith("list[raw.")
    args = typing.get_args(annotation)
    return (
        typing.get_origin(annotation) is list
        and len(args) == 1
        and isinstance(args[0], typing.ForwardRef)
        and args[0].__forward_arg__.startswith("raw.")
    )


def _boxed_vector_fields(function: type) -> tuple[str, ...]:
    fields = _BOXED_VECTOR_FIELDS.get(function)
    if fields is None:
        annotations = getattr(function.__init__, "__annotations__", {})
        fields = tuple(
            name for name, annotation in annotations.items() if _is_boxed_vector(annotation)
        )
        _BOXED_VECTOR_FIELDS[function] = fields
    return fields


def _rebuild(value: Any) -> Any:
    """The boxed object whose bytes pyrogram read as an int (4 bytes) or a long (8 bytes)."""
    if isinstance(value, TLObject | bool) or not isinstance(value, int):
        return value
    if value < -(1 << 31) or value >= 1 << 32:
        return TLObject.read(BytesIO(value.to_bytes(8, "little", signed=True)))
    wide = BytesIO(value.to_bytes(8, "little", signed=True))
    obj = TLObject.read(wide)
    if wide.tell() == 8:
        return obj
    return TLObject.read(BytesIO(value.to_bytes(4, "little", signed=value < 0)))


def restore_boxed_vectors(request: TLObject) -> TLObject:
    """Turn ints/longs that pyrogram mis-read in boxed-object vectors back into objects."""
    for name in _boxed_vector_fields(type(request)):
        values = getattr(request, name, None)
        if values and any(not isinstance(v, TLObject) for v in values):
            setattr(request, name, [_rebuild(v) for v in values])
    return request
