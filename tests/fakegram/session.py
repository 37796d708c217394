"""Server-side MTProto sessions: what outlives a TCP connection.

A session is (auth key, session_id). It keeps the server's seq_no and an outbox of
messages not yet written to a connection, so an answer computed while the client was
reconnecting (or cut by a dropped connection) is delivered on its next connection, as
Telegram does.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyrogram.raw.core import MsgContainer

from . import crypto

if TYPE_CHECKING:  # pragma: no cover
    from .connection import Connection

#: Messages larger than this are sent alone, never inside a container.
CONTAINER_ITEM_LIMIT = 64 * 1024
CONTAINER_MAX_MESSAGES = 100


@dataclass(eq=False)
class AuthKey:
    """A registered auth key: which DC it was made on and which account it is logged into."""

    key: bytes = field(repr=False)
    dc_id: int
    salt: int
    user_id: int | None = None
    id: int = field(init=False)
    id_bytes: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.id = crypto.auth_key_id(self.key)
        self.id_bytes = self.id.to_bytes(8, "little", signed=True)


@dataclass
class Outgoing:
    """One server message waiting to be written."""

    body: bytes
    content: bool
    unsolicited: bool = False
    #: Write this message alone at this many bytes per second.
    byte_rate: float | None = None
    #: Close the connection after writing half of this message (a fault).
    cut: bool = False

    @property
    def alone(self) -> bool:
        return bool(self.byte_rate or self.cut) or len(self.body) > CONTAINER_ITEM_LIMIT


class MsgIds:
    """Server msg_ids: time-based, strictly increasing; answers = 1 mod 4, others = 3 mod 4."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last = 0

    def next(self, unsolicited: bool = False) -> int:
        base = int(self._clock() * 2**32) & ~3
        if base <= self._last:
            base = self._last + 4
        self._last = base
        return base | (3 if unsolicited else 1)


class ServerSession:
    def __init__(self, key: AuthKey, session_id: bytes, msg_ids: MsgIds):
        self.key = key
        self.session_id = session_id
        self.msg_ids = msg_ids
        self.connection: Connection | None = None
        self.outbox: list[Outgoing] = []
        self.announced = False  # new_session_created sent
        self.api_id: int | None = None
        self.layer: int | None = None
        self._content_sent = 0

    def attach(self, connection: Connection) -> None:
        """Route this session's messages through `connection` (the latest one it used)."""
        if self.connection is not connection:
            self.connection = connection
            connection.sessions.add(self)
            if self.outbox:
                connection.wake()

    def detach(self, connection: Connection) -> None:
        if self.connection is connection:
            self.connection = None

    def post(self, body: bytes, *, content: bool, **options) -> None:
        """Queue a message; it is written on the session's connection, now or later."""
        self.outbox.append(Outgoing(body, content, **options))
        if self.connection is not None:
            self.connection.wake()

    def requeue(self, items: list[Outgoing]) -> None:
        """Put back messages a dead connection did not deliver (they go out first)."""
        self.outbox[:0] = items

    def take_outbox(self) -> list[Outgoing]:
        items, self.outbox = self.outbox, []
        return items

    def _seq_no(self, content: bool) -> int:
        if content:
            self._content_sent += 1
            return self._content_sent * 2 - 1
        return self._content_sent * 2

    def _message(self, item: Outgoing) -> tuple[int, int, bytes]:
        return self.msg_ids.next(item.unsolicited), self._seq_no(item.content), item.body

    def encrypt(self, items: list[Outgoing]) -> bytes:
        """One encrypted packet carrying `items` (a msg_container when there are several)."""
        messages = [self._message(item) for item in items]
        if len(messages) == 1:
            msg_id, seq_no, body = messages[0]
        else:
            parts = [struct.pack("<Ii", MsgContainer.ID, len(messages))]
            for inner_id, inner_seq, inner_body in messages:
                parts.append(struct.pack("<qii", inner_id, inner_seq, len(inner_body)))
                parts.append(inner_body)
            body = b"".join(parts)
            msg_id, seq_no = self.msg_ids.next(), self._seq_no(False)
        plaintext = (
            struct.pack("<q", self.key.salt)
            + self.session_id
            + struct.pack("<qii", msg_id, seq_no, len(body))
            + body
        )
        return crypto.encrypt(self.key.key, self.key.id_bytes, plaintext)

    def batches(self, items: list[Outgoing]) -> list[list[Outgoing]]:
        """Group queued messages into packets: small ones share containers."""
        batches: list[list[Outgoing]] = []
        current: list[Outgoing] = []
        for item in items:
            if item.alone:
                batches.append([item])
                continue
            current.append(item)
            if len(current) == CONTAINER_MAX_MESSAGES:
                batches.append(current)
                current = []
        if current:
            batches.append(current)
        return batches
