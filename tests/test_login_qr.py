"""The QR login engine (tgscraper.telegram.login.qr) against fakegram: a real key
exchange through --telegram-dc, updateLoginToken, rotation, expiry, DC migration, 2FA."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pyrogram
import pytest

from tests.fakegram.methods.login import accept_login_token, login_state
from tests.fakegram.world.builder import WorldBuilder
from tgscraper.telegram.login.account import TelegramAccount
from tgscraper.telegram.login.connection import LoginConnector, login_client
from tgscraper.telegram.login.errors import LoginFailed, WrongPassword
from tgscraper.telegram.login.qr import QrLogin, QrPolicy, QrStatus
from tgscraper.telegram.login.session_files import (
    SessionData,
    read_session,
    read_user_id,
    save_session,
    write_session,
)

PASSWORD = "open sesame"
#: a bound on waits that only a hung login reaches (the test then fails instead of hanging)
HANG_S = 20


@pytest.fixture
def world():
    build = WorldBuilder()
    build.account("alice", "Alice", "Liddell", premium=True)
    build.account("bob", password=PASSWORD, hint="sesame")
    build.account("carol", dc_id=4)
    return build.world


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world)


def token_of(qr_url: str) -> bytes:
    """Telegram's login token inside a tg://login link."""
    (token,) = parse_qs(urlparse(qr_url).query)["token"]
    return base64.urlsafe_b64decode(token)


class Saved:
    """A `save` callback that keeps what it was given (and can write it to a file)."""

    def __init__(self, tmp_path=None):
        self.sessions: list[tuple[SessionData, TelegramAccount]] = []
        self.tmp_path = tmp_path

    async def __call__(self, data: SessionData, account: TelegramAccount) -> None:
        self.sessions.append((data, account))
        if self.tmp_path is not None:
            await asyncio.to_thread(write_session, self.tmp_path, "login", data)


def start_flow(server, save, **policy) -> QrLogin:
    connector = LoginConnector(("127.0.0.1", server.port))
    client = login_client(server.api_id, server.api_hash, connector)
    flow = QrLogin(client, connector, save, replace(QrPolicy(), **policy))
    flow.start()
    return flow


async def first_code(flow: QrLogin) -> str:
    while flow.qr_url is None:
        assert not flow.finished, flow.error
        await flow.changed(flow.version)
    return flow.qr_url


async def wait_for(flow: QrLogin, status: QrStatus) -> None:
    while flow.status is not status:
        assert not flow.finished or status in (flow.status,), (flow.status, flow.error)
        await flow.changed(flow.version)


async def test_scan_logs_in_and_saves_a_working_session(server, world, tmp_path):
    alice = world.account_by_username("alice")
    saved = Saved(tmp_path)
    flow = start_flow(server, saved)
    url = await first_code(flow)
    assert url.startswith("tg://login?token=")
    assert 0 < flow.expires_in <= 30 and 0 < flow.refresh_in <= 25
    accept_login_token(server, token_of(url), alice.id)
    assert await flow.wait() is QrStatus.SUCCESS
    ((data, account),) = saved.sessions
    assert account == TelegramAccount(alice.id, "Alice", "Liddell", "alice", alice.phone, True)
    assert flow.account == account and flow.qr_url is None and flow.error is None
    assert (data.dc_id, data.server_address, data.port) == (2, "127.0.0.1", server.port)
    (key,) = [k for k in server.keys_on(2).values() if k.key == data.auth_key]
    assert key.user_id == alice.id
    # the file starts a stock client with no login
    path = tmp_path / "sessions" / "login.session"
    assert read_user_id(path) == alice.id and path.stat().st_mode & 0o777 == 0o600
    client = pyrogram.Client("login", workdir=str(path.parent), api_id=1, api_hash="x")
    await client.start()
    try:
        assert (await client.get_me()).id == alice.id
    finally:
        await client.stop()


async def test_two_factor_wrong_then_right(server, world):
    bob = world.account_by_username("bob")
    saved = Saved()
    flow = start_flow(server, saved)
    accept_login_token(server, token_of(await first_code(flow)), bob.id)
    await wait_for(flow, QrStatus.PASSWORD_REQUIRED)
    assert flow.password_hint == "sesame" and flow.qr_url is None
    with pytest.raises(WrongPassword) as wrong:
        await flow.submit_password("open sesamE")
    assert wrong.value.tries_left == 4 and flow.status is QrStatus.PASSWORD_REQUIRED
    assert not saved.sessions
    assert await flow.submit_password(PASSWORD) is QrStatus.SUCCESS
    assert saved.sessions[0][1].id == bob.id


async def test_five_wrong_passwords_end_the_login_and_log_the_key_out(server, world):
    bob = world.account_by_username("bob")
    flow = start_flow(server, Saved(), max_password_tries=2)
    accept_login_token(server, token_of(await first_code(flow)), bob.id)
    await wait_for(flow, QrStatus.PASSWORD_REQUIRED)
    with pytest.raises(WrongPassword):
        await flow.submit_password("one")
    with pytest.raises(LoginFailed) as failed:
        await flow.submit_password("two")
    assert failed.value.code == "too_many_password_attempts"
    assert await flow.wait() is QrStatus.ERROR
    assert flow.error.code == "too_many_password_attempts"
    assert all(key.user_id is None for key in server.keys_on(2).values())


async def test_a_password_when_none_is_expected_is_refused(server):
    flow = start_flow(server, Saved())
    await first_code(flow)
    with pytest.raises(LoginFailed) as refused:
        await flow.submit_password("anything")
    assert refused.value.code == "no_password_expected"
    await flow.cancel()


async def test_the_code_rotates_while_pending(server, world):
    login_state(server).token_ttl = 1.5
    flow = start_flow(server, Saved())
    first = await first_code(flow)
    await flow.changed(flow.version)
    second = flow.qr_url
    assert second is not None and second != first and flow.status is QrStatus.PENDING
    assert server.calls["auth.exportLoginToken"] >= 2
    accept_login_token(server, token_of(second), world.account_by_username("alice").id)
    assert await flow.wait() is QrStatus.SUCCESS


async def test_the_login_expires(server):
    flow = start_flow(server, Saved(), timeout_s=0.5)
    assert await flow.wait() is QrStatus.EXPIRED
    assert flow.error.code == "expired" and flow.qr_url is None


async def test_cancel_ends_the_login_and_disconnects(server):
    saved = Saved()
    flow = start_flow(server, saved)
    await first_code(flow)
    await flow.cancel()
    assert flow.status is QrStatus.CANCELLED and flow.finished
    assert not saved.sessions
    assert not flow._client.is_connected


async def test_account_on_another_dc_migrates(server, world):
    carol = world.account_by_username("carol")
    saved = Saved()
    flow = start_flow(server, saved)
    accept_login_token(server, token_of(await first_code(flow)), carol.id)
    assert await flow.wait() is QrStatus.SUCCESS, flow.error
    data, account = saved.sessions[0]
    assert account.id == carol.id
    assert (data.dc_id, data.port) == (4, server.dc_ports[4])
    (key,) = [k for k in server.keys_on(4).values() if k.key == data.auth_key]
    assert key.user_id == carol.id


async def test_a_failing_save_is_an_error_and_the_key_is_logged_out(server, world):
    async def broken(data, account):
        raise OSError(28, "No space left on device")

    flow = start_flow(server, broken)
    accept_login_token(
        server, token_of(await first_code(flow)), world.account_by_username("alice").id
    )
    assert await flow.wait() is QrStatus.ERROR
    assert flow.error.code == "session_not_saved" and "No space left" in flow.error.message
    assert all(key.user_id is None for key in server.keys_on(2).values())


async def test_unreachable_server_is_an_error(unused_tcp_port):
    connector = LoginConnector(("127.0.0.1", unused_tcp_port))
    client = login_client(1, "x", connector)
    flow = QrLogin(client, connector, Saved())
    flow.start()
    assert await flow.wait() is QrStatus.ERROR
    assert flow.error.code == "telegram_unavailable"


def stall_loop(seconds: float) -> None:
    """Hold the event loop, as a machine under CPU load does to it."""
    time.sleep(seconds)


async def test_the_deadline_holds_when_the_loop_stalls_across_a_code_rotation(server):
    """The stall makes the rotation's timer and the deadline's fire one loop pass apart:
    the deadline's cancellation lands while pyrogram's asyncio.wait_for already holds the
    next export's answer, and Python 3.11's wait_for drops it. The login must still
    expire, not rotate codes for ever."""
    flow = start_flow(server, Saved(), rotate_every_s=1.0, timeout_s=3.0)
    await first_code(flow)
    assert flow.timeout_in > flow.refresh_in, "setup too slow to test this"
    loop = asyncio.get_running_loop()
    # in the loop pass of the rotation's timer, stall until the deadline has passed
    loop.call_at(flow._refresh_at, stall_loop, flow.timeout_in + 0.2)
    async with asyncio.timeout(HANG_S):
        assert await flow.wait() is QrStatus.EXPIRED
    assert flow.error.code == "expired" and flow.qr_url is None
    assert not flow._client.is_connected


async def test_the_deadline_holds_when_the_loop_stalls_before_a_password_check(server, world):
    """A password taken after a stall past the deadline is not checked: the login
    expires (the deadline's own cancellation would only land inside the check, where
    wait_for can drop it)."""
    flow = start_flow(server, Saved(), timeout_s=3.0)
    accept_login_token(
        server, token_of(await first_code(flow)), world.account_by_username("bob").id
    )
    await wait_for(flow, QrStatus.PASSWORD_REQUIRED)
    # runs before the login takes the password: the check would start past the deadline
    asyncio.get_running_loop().call_soon(stall_loop, flow.timeout_in + 0.2)
    with pytest.raises(LoginFailed) as failed:
        async with asyncio.timeout(HANG_S):
            await flow.submit_password("not it")
    assert failed.value.code == "expired"
    assert flow.status is QrStatus.EXPIRED and flow.error.code == "expired"


async def test_cancel_ends_the_login_even_when_its_cancellation_is_lost(server):
    """cancel() lands one loop pass after the rotation's export started, where Python
    3.11's asyncio.wait_for inside pyrogram drops it (the reply is already there): the
    login must still end at its next step, not when its 5 minutes are over."""
    flow = start_flow(server, Saved(), rotate_every_s=1.0)
    await first_code(flow)
    loop = asyncio.get_running_loop()
    cancelling: list[asyncio.Future[None]] = []

    def cancel_soon() -> None:  # the pass after the rotation's timer: inside the export
        cancelling.append(asyncio.ensure_future(flow.cancel()))

    loop.call_at(flow._refresh_at, loop.call_soon, cancel_soon)
    async with asyncio.timeout(HANG_S):
        while not cancelling:
            await flow.changed(flow.version)
        await cancelling[0]
    assert flow.status is QrStatus.CANCELLED and flow.error.code == "cancelled"
    assert not flow._client.is_connected


async def test_a_login_cancelled_before_it_ran_ends_cancelled(server):
    """Its task never ran, so its own cleanup (which publishes the status) never did."""
    flow = start_flow(server, Saved())
    await flow.cancel()
    assert flow.status is QrStatus.CANCELLED and flow.error.code == "cancelled"
    assert flow.finished and not flow._client.is_connected
    assert await flow.wait() is QrStatus.CANCELLED
    replaced = start_flow(server, Saved())
    await replaced.cancel(LoginFailed("login_replaced", "A newer login replaced this one."))
    assert replaced.status is QrStatus.CANCELLED and replaced.error.code == "login_replaced"


@pytest.mark.parametrize("when", ["during the write", "after the write"])
async def test_a_cancel_during_the_save_keeps_the_written_session_logged_in(
    server, world, tmp_path, when
):
    """A save that has begun runs to its end; the session it wrote keeps its key (it is
    not logged out), and the login is a success: no dead session file."""
    alice = world.account_by_username("alice")
    cancelling: list[asyncio.Future[None]] = []

    async def save(data: SessionData, account: TelegramAccount) -> None:
        # like the API's save: the shielded write, then the old client evicted
        if when == "during the write":
            cancelling.append(asyncio.ensure_future(flow.cancel()))
        await save_session(tmp_path, "login", data)
        if when == "after the write":
            cancelling.append(asyncio.ensure_future(flow.cancel()))
        for _ in range(5):  # loop passes in which the cancellation reaches the login
            await asyncio.sleep(0)

    flow = start_flow(server, save)
    accept_login_token(server, token_of(await first_code(flow)), alice.id)
    async with asyncio.timeout(HANG_S):
        await flow.wait()
        await cancelling[0]
    data = read_session(tmp_path / "sessions" / "login.session")
    assert data is not None and data.user_id == alice.id
    (key,) = [k for k in server.keys_on(2).values() if k.key == data.auth_key]
    assert key.user_id == alice.id, "the saved session's key was logged out"
    assert flow.status is QrStatus.SUCCESS and flow.error is None
    assert flow.account.id == alice.id
