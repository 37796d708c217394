"""One client TCP connection to a fake DC: framing, decryption, service messages.

Plain (auth_key_id 0) packets go to the key exchange; encrypted ones are checked (auth key
known on this DC, msg_key, salt, msg_id) and their messages dispatched: containers are
opened, pings answered, acks noted, and every RPC runs as its own task (`calls.run_call`)
so a slow method never holds up pings or other calls. Answers go through the MTProto
session's outbox and a single writer task per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
from io import BytesIO
from typing import TYPE_CHECKING

from pyrogram import raw
from pyrogram.raw.core import FutureSalt, FutureSalts, MsgContainer, TLObject

from . import crypto, transport
from .calls import run_call
from .handshake import Handshake, HandshakeError
from .session import Outgoing, ServerSession

if TYPE_CHECKING:  # pragma: no cover
    from .server import DataCentre, FakeTelegram

log = logging.getLogger(__name__)

#: bad_msg_notification error codes (core.telegram.org/mtproto/service_messages_about_messages)
MSG_ID_TOO_LOW = 16
MSG_ID_TOO_HIGH = 17
MSG_ID_NOT_DIVISIBLE_BY_4 = 18
BAD_SERVER_SALT = 48
#: How long a dropped connection keeps reading before it is closed for good.
DRAIN_SECONDS = 5.0


class Connection:
    def __init__(
        self,
        server: FakeTelegram,
        dc: DataCentre,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ):
        self.server = server
        self.dc = dc
        self.reader = reader
        self.writer = writer
        self.transport: transport.Transport | None = None
        self.sessions: set[ServerSession] = set()
        self.closed = False
        #: Drop this connection right after the next packet it reads (see FakeTelegram).
        self.drop_armed = False
        self._wake = asyncio.Event()
        self._handshake: Handshake | None = None
        self._disconnect_timer: asyncio.TimerHandle | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def serve(self) -> None:
        """Read packets until the client goes away; runs as the connection's task."""
        writer_task = asyncio.create_task(self._write_loop())
        try:
            self.transport = await transport.detect(self.reader)
            while True:  # a dropped connection still reads until the client closes
                packet = await self.transport.read_packet(self.reader)
                self._on_packet(packet)
                if self.drop_armed:
                    self.drop()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (transport.TransportError, HandshakeError) as e:
            log.info("fakegram DC%s: closing connection: %s", self.dc.dc_id, e)
        except Exception:
            log.exception("fakegram DC%s: closing connection after a server error", self.dc.dc_id)
        finally:
            self.close()
            await writer_task

    def drop(self) -> None:
        """Stop answering on this connection: half-close it (the client sees EOF and
        reconnects) but keep reading, so a request the client sent before it noticed is
        still run and its answer waits in the session for the next connection."""
        if self.closed:
            return
        self.closed = True
        for session in self.sessions:
            session.detach(self)
        if self._disconnect_timer is not None:
            self._disconnect_timer.cancel()
        with contextlib.suppress(OSError, RuntimeError):  # the client may be gone already
            self.writer.write_eof()
        self._disconnect_timer = asyncio.get_running_loop().call_later(DRAIN_SECONDS, self.close)
        self._wake.set()

    def close(self) -> None:
        """Close the socket now; queued answers wait in their sessions for a reconnect."""
        self.drop()
        self._disconnect_timer.cancel()
        self.writer.close()

    def wake(self) -> None:
        self._wake.set()

    # -- reading ---------------------------------------------------------------------------

    def _on_packet(self, packet: bytes) -> None:
        if len(packet) < 8:
            raise transport.TransportError(f"packet of {len(packet)} bytes")
        if packet[:8] == bytes(8):
            self._on_plain(packet)
        else:
            self._on_encrypted(packet)

    def _on_plain(self, packet: bytes) -> None:
        (length,) = struct.unpack_from("<i", packet, 16)
        request = TLObject.read(BytesIO(packet[20 : 20 + length]))
        if self.closed:
            return
        if self._handshake is None:
            self._handshake = Handshake()
        answer = self._handshake.answer(request).write()
        if self._handshake.result is not None:
            self.server.register_key(
                self.dc.dc_id, self._handshake.result.key, salt=self._handshake.result.salt
            )
            self._handshake = None
        plain = bytes(8) + struct.pack("<qi", self.server.msg_ids.next(), len(answer)) + answer
        self._write_now(plain)

    def _on_encrypted(self, packet: bytes) -> None:
        key_id = int.from_bytes(packet[:8], "little", signed=True)
        key = self.server.auth_keys.get(key_id)
        if key is None or key.dc_id != self.dc.dc_id:
            log.info("fakegram DC%s: unknown auth key %x", self.dc.dc_id, key_id)
            self._write_now(transport.error_packet(transport.AUTH_KEY_NOT_FOUND))
            self.drop()
            return
        try:
            plaintext = crypto.decrypt(key.key, packet)
        except crypto.CryptoError as e:
            raise transport.TransportError(str(e)) from e
        salt, msg_id, seq_no, length = struct.unpack_from("<q8xqii", plaintext)
        session = self.server.session(key, plaintext[8:16])
        if not self.closed:
            session.attach(self)

        error = self._check_msg_id(msg_id)
        if error:
            self._post_service(
                session,
                raw.types.BadMsgNotification(
                    bad_msg_id=msg_id, bad_msg_seqno=seq_no, error_code=error
                ),
            )
            return
        if salt != key.salt:
            self._post_service(
                session,
                raw.types.BadServerSalt(
                    bad_msg_id=msg_id,
                    bad_msg_seqno=seq_no,
                    error_code=BAD_SERVER_SALT,
                    new_server_salt=key.salt,
                ),
            )
            return
        if not session.announced:
            session.announced = True
            unique_id = int.from_bytes(os.urandom(8), "little", signed=True)
            self._post_service(
                session,
                raw.types.NewSessionCreated(
                    first_msg_id=msg_id, unique_id=unique_id, server_salt=key.salt
                ),
            )
        self._on_message(session, msg_id, plaintext[32 : 32 + length])

    def _check_msg_id(self, msg_id: int) -> int:
        if msg_id % 4:
            return MSG_ID_NOT_DIVISIBLE_BY_4
        delta = msg_id / 2**32 - self.server.now()
        if delta < -300:
            return MSG_ID_TOO_LOW
        if delta > 30:
            return MSG_ID_TOO_HIGH
        return 0

    def _on_message(self, session: ServerSession, msg_id: int, body: bytes) -> None:
        if body[:4] == struct.pack("<I", MsgContainer.ID):
            (count,) = struct.unpack_from("<i", body, 4)
            offset = 8
            for _ in range(count):
                inner_id, _seq, length = struct.unpack_from("<qii", body, offset)
                offset += 16
                self._on_message(session, inner_id, body[offset : offset + length])
                offset += length
            return
        try:
            obj = TLObject.read(BytesIO(body))
        except Exception:  # an unknown constructor or garbage: answer, never go silent
            log.warning("fakegram: unreadable message %s", body[:4].hex(), exc_info=True)
            self._post_result(session, msg_id, 400, "INPUT_METHOD_INVALID")
            return
        if isinstance(obj, MsgContainer):  # a gzip_packed container
            for inner in obj.messages:
                self._on_object(session, inner.msg_id, inner.body)
        else:
            self._on_object(session, msg_id, obj)

    def _on_object(self, session: ServerSession, msg_id: int, obj: TLObject) -> None:
        if isinstance(obj, raw.types.MsgsAck):
            return
        if isinstance(obj, raw.functions.Ping | raw.functions.PingDelayDisconnect):
            if isinstance(obj, raw.functions.PingDelayDisconnect):
                self._schedule_disconnect(obj.disconnect_delay)
            self._post_service(session, raw.types.Pong(msg_id=msg_id, ping_id=obj.ping_id))
        elif isinstance(obj, raw.functions.DestroySession):
            known = self.server.drop_session(session.key, obj.session_id)
            answer = raw.types.DestroySessionOk if known else raw.types.DestroySessionNone
            self._post_service(session, answer(session_id=obj.session_id))
        elif isinstance(obj, raw.functions.GetFutureSalts):
            now = int(time.time())
            salts = [FutureSalt(now - 60, now + 86400 * 7, session.key.salt)]
            self._post_service(session, FutureSalts(msg_id, now, salts))
        elif isinstance(obj, raw.functions.RpcDropAnswer):
            answer = raw.types.RpcResult(req_msg_id=msg_id, result=raw.types.RpcAnswerUnknown())
            session.post(answer.write(), content=True)
        elif obj.QUALNAME.startswith("functions."):
            self.server.start_task(run_call(self.server, self, session, msg_id, obj))
        else:
            log.debug("fakegram: ignoring %s", obj.QUALNAME)

    def _post_service(self, session: ServerSession, obj: TLObject) -> None:
        session.post(obj.write(), content=isinstance(obj, raw.types.NewSessionCreated))

    def _post_result(self, session: ServerSession, msg_id: int, code: int, message: str) -> None:
        error = raw.types.RpcError(error_code=code, error_message=message)
        session.post(raw.types.RpcResult(req_msg_id=msg_id, result=error).write(), content=True)

    def _schedule_disconnect(self, delay: int) -> None:
        """ping_delay_disconnect: close if no other ping arrives within `delay` seconds."""
        if self._disconnect_timer is not None:
            self._disconnect_timer.cancel()
        self._disconnect_timer = asyncio.get_running_loop().call_later(delay, self.drop)

    # -- writing ---------------------------------------------------------------------------

    def _write_now(self, payload: bytes) -> None:
        if not self.closed:
            self.writer.write(self.transport.frame(payload))

    async def _write_loop(self) -> None:
        """The connection's only writer: drains the outboxes of its sessions."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.closed:
                return
            for session in list(self.sessions):
                if session.connection is not self:
                    self.sessions.discard(session)
                    continue
                items = session.take_outbox()
                if items and not await self._write_items(session, items):
                    return

    async def _write_items(self, session: ServerSession, items: list[Outgoing]) -> bool:
        batches = session.batches(items)
        for index, batch in enumerate(batches):
            if self.closed:
                session.requeue([item for rest in batches[index:] for item in rest])
                return False
            frame = self.transport.frame(session.encrypt(batch))
            item = batch[0]
            try:
                if item.cut:
                    self.writer.write(frame[: len(frame) // 2])
                    await self.writer.drain()
                    item.cut = False
                    session.requeue([item for rest in batches[index:] for item in rest])
                    self.drop()
                    return False
                if item.byte_rate:
                    await self._write_slowly(frame, item.byte_rate)
                else:
                    self.writer.write(frame)
                    await self.writer.drain()
            except ConnectionError:
                session.requeue([item for rest in batches[index:] for item in rest])
                self.close()
                return False
        return True

    async def _write_slowly(self, frame: bytes, byte_rate: float) -> None:
        chunk = max(1, int(byte_rate / 20))  # about 20 writes a second
        for start in range(0, len(frame), chunk):
            if self.closed:
                raise ConnectionError("closed while writing slowly")
            self.writer.write(frame[start : start + chunk])
            await self.writer.drain()
            await asyncio.sleep(chunk / byte_rate)
