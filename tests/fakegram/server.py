"""FakeTelegram: the loopback Telegram, one asyncio TCP server per DC on 127.0.0.1.

    async with FakeTelegram(world) as server:
        path = server.write_session(tmp_path, "alice", alice.id)
        client = pyrogram.Client("alice", TEST_API_ID, TEST_API_HASH, workdir=tmp_path)

DC 2 is the accounts' home DC by default, DC 4 is where some files live; each listens on
its own port (`server.dc_ports`). Auth keys are registered per DC; pre-written session
files get a key the server already knows, fresh clients run the real key exchange (point
them here with `server.connection_factory`, or use `server.fresh_client`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrogram
from pyrogram.connection import Connection as ClientConnection
from pyrogram.raw.core import TLObject

from . import methods, rsa_key  # noqa: F401  (methods: registers every handler)
from .connection import Connection
from .faults import Faults
from .rpc import HANDLERS, Handler
from .session import AuthKey, MsgIds, ServerSession
from .session_file import write_session_file

log = logging.getLogger(__name__)

TEST_API_ID = 611335
TEST_API_HASH = "d524b414d21f4d37f08684c1df41ac9c"
HOME_DC = 2
DC_IDS = (2, 4)


@dataclass(eq=False)
class DataCentre:
    dc_id: int
    port: int = 0
    listener: asyncio.Server | None = None
    connections: set[Connection] = field(default_factory=set)


class FakeTelegram:
    def __init__(
        self,
        world: Any = None,
        *,
        api_id: int = TEST_API_ID,
        api_hash: str = TEST_API_HASH,
        host: str = "127.0.0.1",
        ports: dict[int, int] | None = None,
        clock_offset: float = 0.0,
    ):
        rsa_key.trust()
        self.world = world
        self.api_id = api_id
        self.api_hash = api_hash
        self.host = host
        self.dcs = {dc_id: DataCentre(dc_id, (ports or {}).get(dc_id, 0)) for dc_id in DC_IDS}
        self.auth_keys: dict[int, AuthKey] = {}
        self.sessions: dict[tuple[int, bytes], ServerSession] = {}
        #: seconds the fake's clock (its msg_ids, hence pyrogram's server_time) is ahead
        #: of this machine's; negative: behind (a host clock ahead of Telegram's)
        self.clock_offset = clock_offset
        self.msg_ids = MsgIds(self.now)
        self.faults = Faults()
        #: Calls per method ("messages.getHistory"), unknown ones included.
        self.calls: Counter[str] = Counter()
        #: Calls of methods nobody handles (answered 400 METHOD_INVALID).
        self.unknown_calls: Counter[str] = Counter()
        #: Server-wide state of handler modules, under their module's name.
        self.state: dict[str, Any] = {}
        #: TCP connections accepted so far, all DCs (a reconnect shows up here).
        self.connections_accepted = 0
        self._handlers: dict[type, Handler] = {}
        self._tasks: set[asyncio.Task] = set()
        self._connection_tasks: set[asyncio.Task] = set()
        self.started = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        for dc in self.dcs.values():
            dc.listener = await asyncio.start_server(
                lambda r, w, dc=dc: self._serve_connection(dc, r, w), self.host, dc.port
            )
            dc.port = dc.listener.sockets[0].getsockname()[1]
        self.started = True
        log.info("fakegram listening: %s", self.dc_ports)
        return self

    async def stop(self) -> None:
        """Close the listeners and every connection, cancel calls still running."""
        for dc in self.dcs.values():
            if dc.listener is not None:
                dc.listener.close()
        for connection in [c for dc in self.dcs.values() for c in dc.connections]:
            connection.close()
        await asyncio.gather(*self._connection_tasks, return_exceptions=True)
        for dc in self.dcs.values():
            if dc.listener is not None:
                await dc.listener.wait_closed()
                dc.listener = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.started = False

    async def restart(self) -> None:
        """Listen again on the same ports and drop every connection (as drop_connections
        does); keys, sessions, world and faults stay, so clients reconnect and carry on."""
        for dc in self.dcs.values():
            if dc.listener is not None:
                dc.listener.close()
                await dc.listener.wait_closed()
        await self.start()
        self.drop_connections()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve_connection(
        self, dc: DataCentre, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connection = Connection(self, dc, reader, writer)
        self.connections_accepted += 1
        dc.connections.add(connection)
        task = asyncio.current_task()
        self._connection_tasks.add(task)
        try:
            await connection.serve()
        finally:
            dc.connections.discard(connection)
            self._connection_tasks.discard(task)

    def drop_connections(self, *, now: bool = False) -> int:
        """Drop every client connection; returns how many.

        By default each connection is dropped right after the next packet the client sends
        on it (a request, or its ping within 5 s): that request is still answered, on the
        connection pyrogram opens next. Dropping `now` is closer to a cable pulled at a
        random moment, but a request pyrogram is about to send at that moment is lost on
        its side and retried only after its 15 s timeout.
        """
        connections = [c for dc in self.dcs.values() for c in dc.connections if not c.closed]
        for connection in connections:
            if now:
                connection.drop()
            else:
                connection.drop_armed = True
        return len(connections)

    def start_task(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a coroutine that belongs to the server (cancelled by stop())."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- addresses -------------------------------------------------------------------------

    @property
    def dc_ports(self) -> dict[int, int]:
        return {dc_id: dc.port for dc_id, dc in self.dcs.items()}

    def now(self) -> float:
        """The fake's clock: this machine's plus ``clock_offset``."""
        return time.time() + self.clock_offset

    @property
    def port(self) -> int:
        """The home DC's port."""
        return self.dcs[HOME_DC].port

    def connection_factory(self, **kwargs: Any) -> ClientConnection:
        """A pyrogram `connection_factory` that dials this server's DCs, whatever address
        the client had in mind (a fresh client starts with Telegram's real DC 2)."""
        kwargs["server_address"] = self.host
        kwargs["port"] = self.dcs.get(kwargs.get("dc_id"), self.dcs[HOME_DC]).port
        return ClientConnection(**kwargs)

    def fresh_client(self, name: str, workdir: Path | str, **kwargs: Any) -> pyrogram.Client:
        """A pyrogram Client with no session yet: its start() runs the real key exchange
        here and then the login flow (`use_qr`, phone code, ...)."""
        kwargs.setdefault("api_id", self.api_id)
        kwargs.setdefault("api_hash", self.api_hash)
        return pyrogram.Client(
            name, workdir=str(workdir), connection_factory=self.connection_factory, **kwargs
        )

    # -- keys, sessions, accounts ----------------------------------------------------------

    def register_key(
        self, dc_id: int, key: bytes, *, user_id: int | None = None, salt: int | None = None
    ) -> AuthKey:
        if salt is None:
            salt = int.from_bytes(os.urandom(8), "little", signed=True)
        auth_key = AuthKey(key, dc_id, salt, user_id)
        self.auth_keys[auth_key.id] = auth_key
        return auth_key

    def keys_on(self, dc_id: int) -> dict[int, AuthKey]:
        """The auth keys registered on one DC, by auth_key_id."""
        return {key_id: key for key_id, key in self.auth_keys.items() if key.dc_id == dc_id}

    def authorize_key(self, auth_key_id: int, user_id: int | None) -> None:
        """Log an auth key into an account (None: log it out)."""
        self.auth_keys[auth_key_id].user_id = user_id

    def log_out(self, user_id: int) -> int:
        """Revoke every auth key of an account (its clients then get 401
        AUTH_KEY_UNREGISTERED); returns how many keys were logged out."""
        keys = [key for key in self.auth_keys.values() if key.user_id == user_id]
        for key in keys:
            key.user_id = None
        return len(keys)

    def session(self, key: AuthKey, session_id: bytes) -> ServerSession:
        session = self.sessions.get((key.id, session_id))
        if session is None:
            session = self.sessions[key.id, session_id] = ServerSession(
                key, session_id, self.msg_ids
            )
        return session

    def drop_session(self, key: AuthKey, session_id: int) -> bool:
        raw_id = session_id.to_bytes(8, "little", signed=True)
        return self.sessions.pop((key.id, raw_id), None) is not None

    def push_updates(self, auth_key_id: int, updates: TLObject) -> None:
        """Send an unsolicited Updates object to the connected sessions of an auth key
        (or queue it in its latest session until it reconnects)."""
        sessions = [s for s in self.sessions.values() if s.key.id == auth_key_id]
        targets = [s for s in sessions if s.connection is not None] or sessions[-1:]
        body = updates.write()
        for session in targets:
            session.post(body, content=True, unsolicited=True)

    def home_dc(self, user_id: int) -> int:
        user = getattr(self.world, "users", {}).get(user_id)
        return getattr(user, "dc_id", None) or HOME_DC

    def write_session(
        self, workdir: Path | str, name: str, user_id: int, *, dc_id: int | None = None
    ) -> Path:
        """Write workdir/<name>.session, logged into `user_id` with a key this server knows,
        so `pyrogram.Client(name, api_id, api_hash, workdir=workdir)` starts with no login."""
        if not self.started:
            raise RuntimeError("start the server before writing sessions (ports are needed)")
        if self.world is not None and user_id not in self.world.users:
            raise ValueError(f"the world has no user {user_id}")
        dc_id = dc_id or self.home_dc(user_id)
        key = self.register_key(dc_id, os.urandom(256), user_id=user_id)
        user = getattr(self.world, "users", {}).get(user_id)
        return write_session_file(
            Path(workdir) / f"{name}.session",
            dc_id=dc_id,
            port=self.dcs[dc_id].port,
            api_id=self.api_id,
            auth_key=key.key,
            user_id=user_id,
            is_bot=bool(getattr(user, "bot", False) or getattr(user, "is_bot", False)),
        )

    # -- methods and observation -----------------------------------------------------------

    def handler_for(self, function: type) -> Handler | None:
        return self._handlers.get(function) or HANDLERS.get(function)

    def set_handler(self, function: type, handler: Handler | None) -> None:
        """Answer `function` with `handler` on this server only (None: back to the default)."""
        if handler is None:
            self._handlers.pop(function, None)
        else:
            self._handlers[function] = handler

    def reset_calls(self) -> None:
        self.calls.clear()
        self.unknown_calls.clear()
