"""The contract between fakegram's wire (connections, sessions) and its method handlers.

A handler answers one raw TL function: it gets a `CallContext` and the unwrapped
request object (the `invokeWithLayer` / `initConnection` / `invokeWithoutUpdates` /
`invokeWithTakeout` wrappers are already removed by the wire) and returns the raw TL
result, or raises `RpcError`. Handlers never touch sockets or encryption.

    from pyrogram import raw
    from tests.fakegram.rpc import CallContext, RpcError, handles

    @handles(raw.functions.messages.GetHistory)
    async def get_history(ctx: CallContext, req: raw.functions.messages.GetHistory):
        ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
