"""fakegram's wire against the stock kurigram client (and a raw MTProto exchange)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sqlite3
import time
from io import BytesIO

import pyrogram
import pytest
from pyrogram import raw
from pyrogram.connection import transport
from pyrogram.connection.transport import TCPAbridged
from pyrogram.crypto import mtproto
from pyrogram.errors import FloodWait, MethodInvalid, PeerIdInvalid, Unauthorized
from pyrogram.handlers import RawUpdateHandler
from pyrogram.raw.core import FutureSalts, GzipPacked, Message, MsgContainer, TLObject

from tests.fakegram.faults import Faults, FloodPolicy, Latency
from tests.fakegram.rpc import CallContext
from tests.fakegram.testing import make_client
from tests.fakegram.tl.layer import newer_fields
from tests.fakegram.world.builder import WorldBuilder

USER_ID = 777000111

NEAREST = raw.functions.help.GetNearestDc()


@pytest.fixture
async def server(fakegram):
    return await fakegram()


@pytest.fixture
async def connected(server, tmp_path):
    """A pre-written session for USER_ID, connected (no login, no get_me: world-free)."""
    clients = []

    async def connect(**kwargs) -> pyrogram.Client:
        client = make_client(server, USER_ID, tmp_path, name=f"c{len(clients)}", **kwargs)
        clients.append(client)
        assert await client.connect() is True
        return client

    yield connect
    for client in clients:
        if client.is_connected:
            await client.disconnect()


# -- sessions and key exchange ---------------------------------------------------------------


async def test_prewritten_session_starts_without_login(server, connected, tmp_path):
    client = await connected()
    state = await client.invoke(raw.functions.updates.GetState())
    assert isinstance(state, raw.types.updates.State)
    assert server.calls["help.getConfig"] == 1  # the initConnection call
    assert server.calls["updates.getState"] == 1
    session_file = tmp_path / "c0.session"
    assert session_file.stat().st_mode & 0o777 == 0o600
    (key,) = server.keys_on(2).values()
    assert key.user_id == USER_ID
    with contextlib.closing(sqlite3.connect(session_file)) as db:
        row = db.execute("SELECT dc_id, server_address, port, auth_key, user_id FROM sessions")
        assert row.fetchone() == (2, "127.0.0.1", server.port, key.key, USER_ID)


async def test_fresh_client_runs_the_key_exchange(server, tmp_path):
    client = server.fresh_client("fresh", tmp_path, no_updates=True)
    try:
        assert await client.connect() is False  # a new key, logged into nobody
        (key,) = server.keys_on(2).values()
        assert key.user_id is None
        assert key.key == await client.storage.auth_key()
        config = await client.invoke(raw.functions.help.GetConfig())
        assert config.this_dc == 2
        assert {o.ip_address for o in config.dc_options} == {"127.0.0.1"}
        ports = {(o.id, bool(o.media_only)): o.port for o in config.dc_options}
        assert ports == {
            (2, False): server.dc_ports[2],
            (2, True): server.dc_ports[2],
            (4, False): server.dc_ports[4],
            (4, True): server.dc_ports[4],
        }
        with pytest.raises(Unauthorized):
            await client.invoke(raw.functions.updates.GetState())
        server.authorize_key(key.id, USER_ID)
        assert isinstance(await client.invoke(raw.functions.updates.GetState()), TLObject)
    finally:
        await client.disconnect()


#: the client's transports (TCPIntermediatePadded exists since kurigram 2.2.25)
TRANSPORTS = [
    getattr(transport, name)
    for name in ("TCPAbridged", "TCPIntermediate", "TCPIntermediatePadded", "TCPFull")
    if hasattr(transport, name)
]


@pytest.mark.parametrize("protocol", TRANSPORTS)
async def test_transports(server, connected, protocol, tmp_path):
    client = await connected(protocol_factory=protocol)
    nearest = await client.invoke(NEAREST)
    assert nearest.this_dc == 2
    fresh = server.fresh_client("fresh", tmp_path, protocol_factory=protocol, no_updates=True)
    try:
        assert await fresh.connect() is False  # the key exchange's plain packets too
        assert (await fresh.invoke(NEAREST)).this_dc == 2
    finally:
        await fresh.disconnect()


# -- RPC results, errors and the vector fix ---------------------------------------------------


async def test_unknown_method_answers_method_invalid_and_is_counted(server, connected, caplog):
    client = await connected()
    caplog.set_level(logging.WARNING, logger="tests.fakegram.calls")
    with pytest.raises(MethodInvalid):
        await client.invoke(raw.functions.account.GetWallPapers(hash=0))
    assert server.unknown_calls["account.getWallPapers"] == 1
    assert server.calls["account.getWallPapers"] == 1
    assert "no handler for account.getWallPapers" in caplog.text


async def test_handler_crash_answers_internal(server, raw_key):
    async def broken(ctx, req):
        raise ValueError("bug")

    server.set_handler(raw.functions.help.GetNearestDc, broken)
    async with RawSession(raw_key.key, server.port) as session:
        await session.send(NEAREST, salt=raw_key.salt)
        _, result = await session.receive_until(raw.types.RpcResult)
        assert result.body.result == raw.types.RpcError(error_code=500, error_message="INTERNAL")


async def test_boxed_vectors_reach_handlers_as_objects(server, connected):
    seen = []

    async def get_users(ctx: CallContext, req):
        seen.append(req.id)
        return [raw.types.UserEmpty(id=ctx.user_id)]

    async def get_messages(ctx: CallContext, req):
        seen.append(req.id)
        topics = newer_fields(raw.types.messages.Messages, topics=[])
        return raw.types.messages.Messages(messages=[], chats=[], users=[], **topics)

    server.set_handler(raw.functions.users.GetUsers, get_users)
    server.set_handler(raw.functions.messages.GetMessages, get_messages)
    client = await connected()
    users = await client.invoke(raw.functions.users.GetUsers(id=[raw.types.InputUserSelf()]))
    assert users == [raw.types.UserEmpty(id=USER_ID)]
    ids = [raw.types.InputMessageID(id=5), raw.types.InputMessageID(id=-7)]
    await client.invoke(raw.functions.messages.GetMessages(id=ids))
    assert seen == [[raw.types.InputUserSelf()], ids]


async def test_wrappers_are_unwrapped_and_takeout_id_is_passed(server, connected):
    contexts = []

    async def nearest(ctx: CallContext, req):
        contexts.append(ctx)
        return raw.types.NearestDc(country="ZZ", this_dc=ctx.dc_id, nearest_dc=ctx.dc_id)

    server.set_handler(raw.functions.help.GetNearestDc, nearest)
    client = await connected()
    await client.invoke(raw.functions.InvokeWithTakeout(takeout_id=42, query=NEAREST))
    await client.invoke(raw.functions.InvokeWithoutUpdates(query=NEAREST))
    assert [ctx.takeout_id for ctx in contexts] == [42, None]
    assert contexts[0].api_id == server.api_id
    assert contexts[0].layer == raw.all.layer
    assert contexts[0].user_id == USER_ID
    assert server.calls["help.getNearestDc"] == 2


async def test_large_results_come_back_intact(server, connected):
    about = "x" * 5000

    async def full_user(ctx, req):
        return raw.types.users.UserFull(
            full_user=raw.types.UserFull(
                id=ctx.user_id,
                settings=raw.types.PeerSettings(),
                notify_settings=raw.types.PeerNotifySettings(),
                common_chats_count=0,
                about=about,
            ),
            chats=[],
            users=[],
        )

    server.set_handler(raw.functions.users.GetFullUser, full_user)
    client = await connected()
    answer = await client.invoke(raw.functions.users.GetFullUser(id=raw.types.InputUserSelf()))
    assert answer.full_user.about == about


async def test_call_counters_reset(server, connected):
    client = await connected()
    await client.invoke(NEAREST)
    await client.invoke(NEAREST)
    assert server.calls["help.getNearestDc"] == 2
    server.reset_calls()
    assert server.calls["help.getNearestDc"] == 0
    await client.invoke(NEAREST)
    assert server.calls == {"help.getNearestDc": 1}


# -- faults -----------------------------------------------------------------------------------


async def test_flood_policy_raises_flood_wait_with_the_right_value(server, connected):
    server.faults.flood("help.getNearestDc", burst=2, refill_seconds=30)
    client = await connected(sleep_threshold=0)
    await client.invoke(NEAREST)
    await client.invoke(NEAREST)
    with pytest.raises(FloodWait) as caught:
        await client.invoke(NEAREST)
    assert caught.value.value == 30
    assert (await client.invoke(raw.functions.updates.GetState())).pts >= 0  # other methods


async def test_flood_buckets_are_per_account(server, connected, tmp_path):
    server.faults.flood("help.getNearestDc", burst=1, refill_seconds=30)
    flooded = await connected(sleep_threshold=0)
    await flooded.invoke(NEAREST)
    with pytest.raises(FloodWait):
        await flooded.invoke(NEAREST)
    other = make_client(server, USER_ID + 1, tmp_path, name="other", sleep_threshold=0)
    assert await other.connect() is True
    try:
        assert (await other.invoke(NEAREST)).this_dc == 2  # a bucket of its own
    finally:
        await other.disconnect()


def test_flood_bucket_refills_one_token_per_period():
    policy = FloodPolicy(burst=2, refill_seconds=10)
    assert [policy.take("alice", 0.0) for _ in range(3)] == [0, 0, 10]
    assert policy.take("bob", 0.0) == 0
    assert policy.take("alice", 4.0) == 6  # X counts down to the next token
    assert policy.take("alice", 10.0) == 0
    assert policy.take("alice", 10.5) == 10


def test_latency_jitter_stays_in_its_range():
    draws = [Latency(0.2, 0.1).draw() for _ in range(200)]
    assert all(0.2 <= d <= 0.3 for d in draws) and len(set(draws)) > 1
    assert Latency(0.2).draw() == 0.2
    faults = Faults()
    faults.latency("messages.getHistory", 0.2, jitter=0.1)
    assert faults.describe()["latency"] == {"messages.getHistory": {"seconds": 0.2, "jitter": 0.1}}
    faults.latency("messages.getHistory", 0)
    assert faults.describe()["latency"] == {}


async def test_one_shot_errors(server, connected):
    server.faults.fail("help.getNearestDc", 420, "FLOOD_WAIT_7")
    server.faults.fail("help.getNearestDc", times=2)  # 500 RPC_CALL_FAIL
    client = await connected(sleep_threshold=0)
    with pytest.raises(FloodWait) as caught:
        await client.invoke(NEAREST)
    assert caught.value.value == 7
    # pyrogram retries 500s: two injected ones, then the real answer
    assert (await client.invoke(NEAREST, retries=3, retry_delay=0)).this_dc == 2
    assert server.calls["help.getNearestDc"] == 4


async def test_the_call_opening_a_connection_is_never_faulted(server, connected):
    server.faults.fail("*", 400, "PEER_ID_INVALID")
    server.faults.latency("*", 30)
    client = await connected()  # initConnection + help.getConfig: answered at once
    assert server.calls["help.getConfig"] == 1
    server.faults.latency("*", 0)
    with pytest.raises(PeerIdInvalid):  # the next call takes the injected error
        await client.invoke(NEAREST)
    assert (await client.invoke(NEAREST)).this_dc == 2


@pytest.mark.parametrize("mid_response", [False, True])
async def test_dropped_connection_is_recovered(server, connected, mid_response):
    client = await connected()
    await client.invoke(NEAREST)
    server.faults.drop_connection(after=2, method="help.getNearestDc", mid_response=mid_response)
    await client.invoke(NEAREST)
    assert server.connections_accepted == 1
    assert (await client.invoke(NEAREST)).this_dc == 2  # the dropped call, answered anyway
    assert server.connections_accepted == 2  # pyrogram reconnected
    assert (await client.invoke(NEAREST)).this_dc == 2


async def test_restart_keeps_clients_working(server, connected):
    client = await connected()
    port = server.port
    await client.invoke(NEAREST)
    await server.restart()
    assert server.port == port
    assert (await client.invoke(NEAREST)).this_dc == 2
    assert server.connections_accepted == 2


async def test_drop_connections(server, connected):
    client = await connected()
    assert server.drop_connections() == 1
    assert (await client.invoke(NEAREST)).this_dc == 2
    assert server.connections_accepted == 2


async def test_latency_delays_one_method_without_blocking_others(server, connected):
    server.faults.latency("help.getNearestDc", 0.3)
    client = await connected()
    finished = []

    async def call(query, label):
        await client.invoke(query)
        finished.append(label)

    await asyncio.gather(call(NEAREST, "slow"), call(raw.functions.updates.GetState(), "fast"))
    assert finished == ["fast", "slow"]


async def test_slow_byte_rate_delivers_every_byte(server, connected):
    data = os.urandom(48 * 1024)

    async def get_file(ctx, req):
        return raw.types.upload.File(
            type=raw.types.storage.FilePartial(), mtime=0, bytes=data[req.offset :][: req.limit]
        )

    server.set_handler(raw.functions.upload.GetFile, get_file)
    server.faults.byte_rate("upload.getFile", 400_000)
    client = await connected()
    location = raw.types.InputDocumentFileLocation(
        id=1, access_hash=1, file_reference=b"", thumb_size=""
    )
    part = await client.invoke(
        raw.functions.upload.GetFile(location=location, offset=0, limit=64 * 1024)
    )
    assert part.bytes == data


# -- DCs ----------------------------------------------------------------------------------------


async def test_other_dc_key_exchange_and_authorization_import(server, connected):
    client = await connected()
    dc4 = await client.get_session(4)
    (key,) = server.keys_on(4).values()
    assert key.user_id == USER_ID  # imported
    state = await dc4.invoke(raw.functions.updates.GetState())
    assert isinstance(state, raw.types.updates.State)
    media = await client.get_session(4, is_media=True)
    assert media.auth_key == key.key
    assert server.calls["auth.exportAuthorization"] == 2
    assert server.calls["auth.importAuthorization"] == 2


async def test_pushed_updates_reach_the_client(server, connected):
    client = await connected(no_updates=False)
    received = asyncio.Event()
    updates = []

    async def on_raw(_client, update, _users, _chats):
        updates.append(update)
        received.set()

    client.add_handler(RawUpdateHandler(on_raw))
    await client.initialize()
    try:
        (key,) = server.keys_on(2).values()
        server.push_updates(
            key.id,
            raw.types.UpdateShort(update=raw.types.UpdateLoginToken(), date=int(time.time())),
        )
        await asyncio.wait_for(received.wait(), 5)
        assert isinstance(updates[0], raw.types.UpdateLoginToken)
    finally:
        await client.terminate()


# -- raw MTProto ----------------------------------------------------------------------------------


class RawSession:
    """A bare MTProto session over pyrogram's own abridged transport and crypto."""

    def __init__(self, key: bytes, port: int):
        self.key = key
        self.key_id = hashlib.sha1(key).digest()[-8:]
        self.session_id = os.urandom(8)
        self.port = port
        self.transport = TCPAbridged()
        self._msg_id = 0

    async def __aenter__(self):
        await self.transport.connect(("127.0.0.1", self.port))
        return self

    async def __aexit__(self, *exc):
        await self.transport.close()

    def msg_id(self) -> int:
        self._msg_id = max(int(time.time() * 2**32) & ~3, self._msg_id + 4)
        return self._msg_id

    async def send(self, body: TLObject, *, salt: int, msg_id: int | None = None) -> int:
        msg_id = msg_id or self.msg_id()
        message = Message(body, msg_id, 1, len(body.write()))
        await self.transport.send(
            mtproto.pack(message, salt, self.session_id, self.key, self.key_id)
        )
        return msg_id

    async def receive(self) -> list[Message]:
        """The next packet's messages (a container opened), decrypted as pyrogram does."""
        return (await self.receive_packet()).messages

    async def receive_packet(self) -> MsgContainer:
        """The next packet, always as a container (a single message: a container of one)."""
        packet = await asyncio.wait_for(self.transport.recv(), 5)
        if len(packet) == 4:
            return MsgContainer([Message(int.from_bytes(packet, "little", signed=True), 0, 0, 4)])
        message = mtproto.unpack(BytesIO(packet), self.session_id, self.key, self.key_id)
        if isinstance(message.body, MsgContainer):
            assert all(inner.msg_id < message.msg_id for inner in message.body.messages)
            return message.body
        return MsgContainer([message])

    async def receive_until(self, kind: type) -> tuple[list[Message], Message]:
        seen = []
        while True:
            for message in await self.receive():
                seen.append(message)
                if isinstance(message.body, kind):
                    return seen, message


@pytest.fixture
def raw_key(server):
    return server.register_key(2, os.urandom(256), user_id=USER_ID)


async def test_bad_server_salt_then_the_right_salt(server, raw_key):
    async with RawSession(raw_key.key, server.port) as session:
        bad_id = await session.send(NEAREST, salt=raw_key.salt ^ 1)
        (answer,) = await session.receive()
        assert isinstance(answer.body, raw.types.BadServerSalt)
        assert answer.body.bad_msg_id == bad_id
        assert answer.body.new_server_salt == raw_key.salt
        assert answer.msg_id % 2 == 1
        assert server.calls["help.getNearestDc"] == 0

        good_id = await session.send(NEAREST, salt=answer.body.new_server_salt)
        seen, result = await session.receive_until(raw.types.RpcResult)
        assert result.body.req_msg_id == good_id
        assert isinstance(result.body.result, raw.types.NearestDc)
        assert any(isinstance(m.body, raw.types.NewSessionCreated) for m in seen)
        ids = [m.msg_id for m in [answer, *seen]]
        assert ids == sorted(set(ids)) and all(i % 2 for i in ids)


async def test_ping_and_ping_delay_disconnect_answer_pong(server, raw_key):
    async with RawSession(raw_key.key, server.port) as session:
        ping_id = await session.send(raw.functions.Ping(ping_id=99), salt=raw_key.salt)
        _, pong = await session.receive_until(raw.types.Pong)
        assert (pong.body.msg_id, pong.body.ping_id) == (ping_id, 99)
        delayed = raw.functions.PingDelayDisconnect(ping_id=100, disconnect_delay=35)
        ping_id = await session.send(delayed, salt=raw_key.salt)
        _, pong = await session.receive_until(raw.types.Pong)
        assert (pong.body.msg_id, pong.body.ping_id) == (ping_id, 100)


async def test_msgs_ack_is_taken_silently(server, raw_key):
    async with RawSession(raw_key.key, server.port) as session:
        await session.send(raw.types.MsgsAck(msg_ids=[1, 2]), salt=raw_key.salt)
        ping_id = await session.send(raw.functions.Ping(ping_id=5), salt=raw_key.salt)
        seen, pong = await session.receive_until(raw.types.Pong)
        assert pong.body.msg_id == ping_id
        kinds = [type(m.body) for m in seen]
        assert kinds == [raw.types.NewSessionCreated, raw.types.Pong]  # nothing for the ack


async def test_future_salts_rpc_drop_answer_and_destroy_session(server, raw_key):
    async with RawSession(raw_key.key, server.port) as other:
        await other.send(NEAREST, salt=raw_key.salt)  # a second session the server knows
        await other.receive_until(raw.types.RpcResult)
        async with RawSession(raw_key.key, server.port) as session:
            asked = await session.send(raw.functions.GetFutureSalts(num=2), salt=raw_key.salt)
            _, salts = await session.receive_until(FutureSalts)
            assert salts.body.req_msg_id == asked
            assert [salt.salt for salt in salts.body.salts] == [raw_key.salt]

            drop = await session.send(raw.functions.RpcDropAnswer(req_msg_id=1), salt=raw_key.salt)
            _, dropped = await session.receive_until(raw.types.RpcResult)
            assert dropped.body.req_msg_id == drop
            assert isinstance(dropped.body.result, raw.types.RpcAnswerUnknown)

            for session_id, answer in [
                (other.session_id, raw.types.DestroySessionOk),
                (other.session_id, raw.types.DestroySessionNone),  # already gone
            ]:
                destroy = raw.functions.DestroySession(
                    session_id=int.from_bytes(session_id, "little", signed=True)
                )
                await session.send(destroy, salt=raw_key.salt)
                _, destroyed = await session.receive_until(answer)
                assert destroyed.body.session_id == destroy.session_id


async def test_client_containers_and_gzip_are_understood(server, raw_key):
    async with RawSession(raw_key.key, server.port) as session:
        first, second = session.msg_id(), session.msg_id()
        container = MsgContainer(
            [
                Message(raw.functions.Ping(ping_id=1), first, 1, 12),
                Message(GzipPacked(NEAREST), second, 3, len(GzipPacked(NEAREST).write())),
            ]
        )
        await session.send(container, salt=raw_key.salt)
        answers = {}
        while len(answers) < 2:
            for message in await session.receive():
                if isinstance(message.body, raw.types.Pong | raw.types.RpcResult):
                    answers[type(message.body)] = message.body
        assert answers[raw.types.Pong].msg_id == first
        assert answers[raw.types.RpcResult].req_msg_id == second
        assert isinstance(answers[raw.types.RpcResult].result, raw.types.NearestDc)


async def test_server_sends_containers(server, raw_key):
    async with RawSession(raw_key.key, server.port) as session:
        first, second = session.msg_id(), session.msg_id()
        pings = MsgContainer(
            [
                Message(raw.functions.Ping(ping_id=1), first, 1, 12),
                Message(raw.functions.Ping(ping_id=2), second, 3, 12),
            ]
        )
        await session.send(pings, salt=raw_key.salt)
        packet = await session.receive_packet()  # answered together, in one container
        kinds = [type(message.body) for message in packet.messages]
        assert kinds == [raw.types.NewSessionCreated, raw.types.Pong, raw.types.Pong]
        assert [m.body.ping_id for m in packet.messages[1:]] == [1, 2]
        assert [m.seq_no % 2 for m in packet.messages] == [1, 0, 0]  # content, service


async def test_server_gzips_large_results(server, raw_key):
    big = raw.types.help.CountriesList(
        countries=[
            raw.types.help.Country(
                iso2=f"{i:02}", default_name=f"Country number {i}", country_codes=[]
            )
            for i in range(60)
        ],
        hash=0,
    )

    async def countries(ctx, req):
        return big

    server.set_handler(raw.functions.help.GetCountriesList, countries)
    async with RawSession(raw_key.key, server.port) as session:
        request = raw.functions.help.GetCountriesList(lang_code="en", hash=0)
        await session.send(request, salt=raw_key.salt)
        _, result = await session.receive_until(raw.types.RpcResult)
        assert result.body.result.write() == big.write()
        assert result.length < len(big.write()) / 2  # travelled gzip_packed


@pytest.mark.parametrize(
    ("shift", "code"),
    [(1, 18), (-400 * 2**32, 16), (60 * 2**32, 17)],
    ids=["not_divisible_by_4", "too_old", "too_new"],
)
async def test_bad_msg_id_is_refused(server, raw_key, shift, code):
    async with RawSession(raw_key.key, server.port) as session:
        bad = session.msg_id() + shift
        await session.send(NEAREST, salt=raw_key.salt, msg_id=bad)
        (answer,) = await session.receive()
        assert isinstance(answer.body, raw.types.BadMsgNotification)
        assert (answer.body.bad_msg_id, answer.body.error_code) == (bad, code)
    assert server.calls["help.getNearestDc"] == 0


async def test_file_parts_travel_without_gzip(server, raw_key):
    part = bytes(64 * 1024)  # compresses to almost nothing, yet goes out as it is

    async def get_file(ctx, req):
        return raw.types.upload.File(type=raw.types.storage.FilePartial(), mtime=0, bytes=part)

    server.set_handler(raw.functions.upload.GetFile, get_file)
    location = raw.types.InputDocumentFileLocation(
        id=1, access_hash=1, file_reference=b"", thumb_size=""
    )
    async with RawSession(raw_key.key, server.port) as session:
        await session.send(
            raw.functions.upload.GetFile(location=location, offset=0, limit=len(part)),
            salt=raw_key.salt,
        )
        _, result = await session.receive_until(raw.types.RpcResult)
        assert result.body.result.bytes == part and result.length > len(part)


async def test_unknown_auth_key_gets_transport_error_404(server):
    async with RawSession(os.urandom(256), server.port) as session:
        await session.send(NEAREST, salt=0)
        (answer,) = await session.receive()
        assert answer.body == -404


async def test_a_key_is_only_known_on_its_dc(server):
    key = server.register_key(4, os.urandom(256), user_id=USER_ID)
    async with RawSession(key.key, server.port) as session:  # DC 2's port
        await session.send(NEAREST, salt=key.salt)
        (answer,) = await session.receive()
        assert answer.body == -404


# -- with a world ---------------------------------------------------------------------------------


async def test_readme_example_history_through_the_fixtures(fakegram, fakegram_client):
    w = WorldBuilder()
    alice = w.account("alice")
    news = w.channel("News", username="news", members=[alice])
    w.fill(news, 500, start=1_700_000_000, step=1)

    server = await fakegram(w.world)
    client = await fakegram_client(server, alice.id, sleep_threshold=0)
    assert client.me.id == alice.id
    assert len([m async for m in client.get_chat_history("news")]) == 500
    assert server.calls["messages.getHistory"] == 6


async def test_an_account_at_home_on_dc4(fakegram, fakegram_client):
    w = WorldBuilder()
    carol = w.account("carol", dc_id=4)
    server = await fakegram(w.world)
    client = await fakegram_client(server, carol.id)
    assert client.me.username == "carol"
    assert [key.user_id for key in server.keys_on(4).values()] == [carol.id]
    assert server.keys_on(2) == {}
