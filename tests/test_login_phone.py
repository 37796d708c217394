"""The phone login engine (tgscraper.telegram.login.phone) against fakegram: what a
cancellation (Ctrl-C) does to the session file while it is being saved."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakegram.methods.login import login_code_for
from tests.fakegram.world.builder import WorldBuilder
from tgscraper.accounts import session_path
from tgscraper.telegram.login.connection import LoginConnector, login_client
from tgscraper.telegram.login.phone import PhoneLogin
from tgscraper.telegram.login.session_files import read_session

PHONE = "+999 661 0001"


@pytest.fixture
async def server(fakegram):
    build = WorldBuilder()
    build.account("alice", "Alice", phone=PHONE)
    return await fakegram(build.world)


def phone_login(server) -> PhoneLogin:
    connector = LoginConnector(("127.0.0.1", server.port))
    return PhoneLogin(login_client(server.api_id, server.api_hash, connector), connector)


async def test_a_cancel_during_the_save_keeps_the_written_session_logged_in(server, tmp_path):
    """Ctrl-C while the file is written: the save runs to its end before the
    cancellation goes on, and the key in the file is not logged out on the way out."""
    alice = server.world.account_by_username("alice")
    async with phone_login(server) as login:
        await login.send_code(PHONE)
        assert await login.sign_in(login_code_for(PHONE))
        saving = asyncio.create_task(login.save(tmp_path, "alice"))
        await asyncio.sleep(0)  # one loop pass: the save has begun
        saving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await saving
    data = read_session(session_path(tmp_path, "alice"))
    assert data is not None and data.user_id == alice.id
    (key,) = [k for k in server.keys_on(2).values() if k.key == data.auth_key]
    assert key.user_id == alice.id, "the saved session's key was logged out"


async def test_leaving_without_saving_logs_the_key_out_and_writes_nothing(server, tmp_path):
    async with phone_login(server) as login:
        await login.send_code(PHONE)
        assert await login.sign_in(login_code_for(PHONE))
    assert not session_path(tmp_path, "alice").exists()
    assert all(key.user_id is None for key in server.keys_on(2).values())
