"""tgsc-auth as a real process in a pseudo-terminal (pexpect) against fakegram: phone +
code + 2FA, QR (the test's "phone" accepts the code the terminal shows), Ctrl-C, errors,
--list and --logout. The process trusts the fake's RSA key (--server-key) and starts
new logins at the fake's DC 2 (--telegram-dc)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.fakegram import rsa_key
from tests.fakegram.methods.login import accept_login_token, login_code_for, login_state
from tests.fakegram.world.builder import WorldBuilder
from tgscraper.accounts import session_path
from tgscraper.telegram.login.session_files import read_user_id

PASSWORD = "open sesame"
EXPECT_S = 60
QR_LINK = re.compile(r"tg://login\?token=([A-Za-z0-9_=-]+)")


@pytest.fixture
def world():
    build = WorldBuilder()
    build.account("alice", "Alice", phone="+999 661 0001")
    build.account("bob", "Bob", phone="+999 661 0002", password=PASSWORD, hint="sesame")
    return build.world


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tgsc_auth(server, tmp_path, data_dir):
    """`tgsc_auth(*args)` -> a pexpect child running tgsc-auth against the fake."""
    pem = tmp_path / "fakegram.pem"
    pem.write_text(rsa_key.public_key_pem())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGSC_"))}
    env.update(TELEGRAM_API_ID=str(server.api_id), TELEGRAM_API_HASH=server.api_hash)
    children = []

    def spawn(*args: str, connect: bool = True) -> pexpect.spawn:
        options = ["--data-dir", str(data_dir)]
        if connect:
            options += ["--server-key", str(pem), "--telegram-dc", f"127.0.0.1:{server.port}"]
        child = pexpect.spawn(
            sys.executable,
            ["-m", "tgscraper.cli.auth", *args, *options],
            env=env,
            cwd=str(tmp_path),
            encoding="utf-8",
            timeout=EXPECT_S,
            dimensions=(60, 200),
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)


async def expect(child: pexpect.spawn, pattern) -> re.Match:
    """Wait (in a thread: the fake answers on this event loop) for `pattern`."""
    await asyncio.to_thread(child.expect, pattern)
    return child.match


async def finished(child: pexpect.spawn) -> tuple[int, str]:
    """(exit status, the rest of the output) once the process ends."""
    await asyncio.to_thread(child.expect, pexpect.EOF)
    rest = child.before
    await asyncio.to_thread(child.wait)
    return child.exitstatus, rest


def sessions_left(data_dir: Path) -> list[str]:
    directory = data_dir / "sessions"
    return sorted(os.listdir(directory)) if directory.exists() else []


async def test_phone_code_and_2fa(tgsc_auth, world, data_dir):
    bob = world.account_by_username("bob")
    child = tgsc_auth("bobby", "--phone")
    await expect(child, "Phone number")
    child.sendline("+999 661 0002")
    await expect(child, "sent a login code in the Telegram app")
    await expect(child, "Login code: ")
    code = login_code_for(bob.phone)
    child.sendline(str(int(code) ^ 1).zfill(len(code)))
    await expect(child, r"That login code is wrong\. Try again \(2 left\)\.")
    child.sendline(code)
    await expect(child, r"2FA password \(hint: sesame\): ")
    child.sendline("not it")
    await expect(child, r"That 2FA password is wrong \(4 tries left\)\.")
    await expect(child, "2FA password")
    child.sendline(PASSWORD)
    status, rest = await finished(child)
    assert status == 0, rest
    assert "Logged in as Bob (@bob), Telegram id" in rest
    assert "X-Telegram-Username: bobby" in rest and PASSWORD not in rest
    path = session_path(data_dir, "bobby")
    assert read_user_id(path) == bob.id and path.stat().st_mode & 0o777 == 0o600
    assert sessions_left(data_dir) == ["bobby.session"]


async def test_qr_code_in_the_terminal(tgsc_auth, server, world, data_dir):
    alice = world.account_by_username("alice")
    child = tgsc_auth("alice", "--qr")
    await expect(child, "Scan this QR code with Telegram")
    await expect(child, "█")  # the code is drawn
    link = await expect(child, QR_LINK)
    await expect(child, r"New code in +\d+ s; this login ends in \d:\d\d\.")
    accept_login_token(server, base64.urlsafe_b64decode(link.group(1)), alice.id)
    status, rest = await finished(child)
    assert status == 0, rest
    assert "Logged in as Alice" in rest
    assert read_user_id(session_path(data_dir, "alice")) == alice.id


async def test_qr_code_is_redrawn_when_it_rotates_then_2fa(tgsc_auth, server, world, data_dir):
    login_state(server).token_ttl = 1.5
    bob = world.account_by_username("bob")
    child = tgsc_auth("bob")
    await expect(child, r"QR code \(q\) or your phone number \(p\)\? \[q\] ")
    child.sendline("")
    first = (await expect(child, QR_LINK)).group(1)
    second = (await expect(child, QR_LINK)).group(1)
    assert second != first
    accept_login_token(server, base64.urlsafe_b64decode(second), bob.id)
    await expect(child, "two-step verification")
    await expect(child, r"2FA password \(hint: sesame\): ")
    child.sendline(PASSWORD)
    status, rest = await finished(child)
    assert status == 0, rest
    assert read_user_id(session_path(data_dir, "bob")) == bob.id


async def test_ctrl_c_at_the_code_prompt_leaves_no_session(tgsc_auth, data_dir):
    child = tgsc_auth("alice", "--phone")
    await expect(child, "Phone number")
    child.sendline("+999 661 0001")
    await expect(child, "Login code: ")
    child.sendintr()
    status, rest = await finished(child)
    assert status == 130 and "Cancelled: no session was written for 'alice'" in rest
    assert sessions_left(data_dir) == []


async def test_ctrl_c_at_the_password_prompt_leaves_no_session(tgsc_auth, world, data_dir):
    child = tgsc_auth("bob", "--phone")
    await expect(child, "Phone number")
    child.sendline("+999 661 0002")
    await expect(child, "Login code: ")
    child.sendline(login_code_for(world.account_by_username("bob").phone))
    await expect(child, "2FA password")
    child.sendintr()
    status, rest = await finished(child)
    assert status == 130, rest
    assert sessions_left(data_dir) == []


async def test_end_of_input_at_a_prompt_is_one_sentence(tgsc_auth, data_dir):
    """Ctrl-D (or a closed input) at a question: no crash on EOF, no session."""
    child = tgsc_auth("alice")
    await expect(child, r"QR code \(q\) or your phone number \(p\)\? \[q\] ")
    child.sendeof()
    status, rest = await finished(child)
    assert status == 1, rest
    assert "tgsc-auth: error: No more input: tgsc-auth needs a person at a terminal." in rest
    assert "Traceback" not in rest and sessions_left(data_dir) == []


async def test_ctrl_c_while_the_qr_code_waits(tgsc_auth, data_dir):
    child = tgsc_auth("alice", "--qr")
    await expect(child, QR_LINK)
    child.sendintr()
    status, rest = await finished(child)
    assert status == 130 and "Cancelled" in rest
    assert sessions_left(data_dir) == []


@pytest.mark.parametrize(
    ("phone", "fault", "sentence"),
    [
        ("+12", None, "Telegram does not accept that phone number"),
        ("+999 662 0000", None, "No Telegram account uses that phone number"),
        ("+999 661 0001", "FLOOD_WAIT_30", "Telegram asks to wait 30 s"),
    ],
)
async def test_refusals_are_one_sentence_and_exit_1(
    tgsc_auth, server, data_dir, phone, fault, sentence
):
    if fault:
        server.faults.fail("auth.sendCode", 420, fault)
    child = tgsc_auth("alice", "--phone")
    await expect(child, "Phone number")
    child.sendline(phone)
    if "662" in phone:
        await expect(child, "Login code: ")
        child.sendline(login_code_for(phone))
    status, rest = await finished(child)
    assert status == 1, rest
    (line,) = [line for line in rest.splitlines() if "error" in line]
    assert line.startswith("tgsc-auth: error: ") and sentence in line
    assert sessions_left(data_dir) == []


def wrong(code: str) -> str:
    return str(int(code) ^ 1).zfill(len(code))


async def test_wrong_codes_and_passwords_run_out_in_one_sentence(tgsc_auth, world, data_dir):
    """Retries are allowed, but not forever: the third wrong code, and the fifth wrong
    2FA password, end the login with one sentence and exit status 1."""
    alice, bob = world.account_by_username("alice"), world.account_by_username("bob")
    child = tgsc_auth("alice", "--phone")
    await expect(child, "Phone number")
    child.sendline(alice.phone)
    for _ in range(3):
        await expect(child, "Login code: ")
        child.sendline(wrong(login_code_for(alice.phone)))
    status, rest = await finished(child)
    assert status == 1, rest
    (line,) = [line for line in rest.splitlines() if "error" in line]
    assert line == "tgsc-auth: error: The login code was wrong 3 times."

    child = tgsc_auth("bob", "--phone")
    await expect(child, "Phone number")
    child.sendline(bob.phone)
    await expect(child, "Login code: ")
    child.sendline(login_code_for(bob.phone))
    for _ in range(5):
        await expect(child, r"2FA password \(hint: sesame\): ")
        child.sendline("not it")
    status, rest = await finished(child)
    assert status == 1, rest
    (line,) = [line for line in rest.splitlines() if "error" in line]
    assert line == "tgsc-auth: error: The 2FA password was wrong 5 times."
    assert "not it" not in rest
    assert sessions_left(data_dir) == []


async def test_an_expired_code_is_one_sentence(tgsc_auth, server, world, data_dir):
    login_state(server).code_ttl = 0
    child = tgsc_auth("alice", "--phone")
    await expect(child, "Phone number")
    child.sendline("+999 661 0001")
    await expect(child, "Login code: ")
    child.sendline(login_code_for(world.account_by_username("alice").phone))
    status, rest = await finished(child)
    assert status == 1 and "The login code has expired" in rest


async def test_a_qr_login_telegram_refuses_is_one_sentence(tgsc_auth, server, data_dir):
    """The QR flow's failures (a refusal here; the 5-minute expiry takes the same way
    out) end with the flow's sentence and status 1."""
    server.faults.fail("auth.exportLoginToken", 420, "FLOOD_WAIT_30")
    child = tgsc_auth("alice", "--qr")
    status, rest = await finished(child)
    assert status == 1, rest
    (line,) = [line for line in rest.splitlines() if "error" in line]
    assert line.startswith("tgsc-auth: error: ") and "Telegram asks to wait 30 s" in line
    assert "Traceback" not in rest and sessions_left(data_dir) == []


async def test_an_existing_session_asks_first(tgsc_auth, server, world, data_dir):
    alice = world.account_by_username("alice")
    server.write_session(data_dir / "sessions", "alice", alice.id)
    before = session_path(data_dir, "alice").read_bytes()
    child = tgsc_auth("alice", "--qr")
    await expect(child, r"already logged in \(Telegram id \d+\)\. .*\[y/N\] ")
    child.sendline("n")
    status, rest = await finished(child)
    assert status == 1 and "kept the existing session of 'alice'" in rest
    assert session_path(data_dir, "alice").read_bytes() == before

    forced = tgsc_auth("alice", "--qr", "--force")
    link = await expect(forced, QR_LINK)
    accept_login_token(server, base64.urlsafe_b64decode(link.group(1)), alice.id)
    status, rest = await finished(forced)
    assert status == 0, rest
    assert session_path(data_dir, "alice").read_bytes() != before


async def test_yes_replaces_the_session_and_p_picks_the_phone(tgsc_auth, server, world, data_dir):
    alice = world.account_by_username("alice")
    server.write_session(data_dir / "sessions", "alice", alice.id)
    before = session_path(data_dir, "alice").read_bytes()
    child = tgsc_auth("alice")
    await expect(child, r"already logged in \(Telegram id \d+\)\. .*\[y/N\] ")
    child.sendline("y")
    await expect(child, r"QR code \(q\) or your phone number \(p\)\? \[q\] ")
    child.sendline("p")
    await expect(child, "Phone number")
    child.sendline(alice.phone)
    await expect(child, "Login code: ")
    child.sendline(login_code_for(alice.phone))
    status, rest = await finished(child)
    assert status == 0, rest
    assert "X-Telegram-Username: alice" in rest
    assert session_path(data_dir, "alice").read_bytes() != before
    assert read_user_id(session_path(data_dir, "alice")) == alice.id


def run_cli(*args: str, server, data_dir: Path, tmp_path: Path, stdin=subprocess.DEVNULL):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGSC_"))}
    env.update(TELEGRAM_API_ID=str(server.api_id), TELEGRAM_API_HASH=server.api_hash)
    return asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tgscraper.cli.auth", *args, "--data-dir", str(data_dir)],
        env=env,
        cwd=tmp_path,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=EXPECT_S,
    )


async def test_without_a_terminal_it_says_so(server, data_dir, tmp_path):
    result = await run_cli("alice", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "needs a person at a terminal" in result.stderr and "docker" in result.stderr
    assert "Traceback" not in result.stderr


async def test_list_and_logout(server, world, data_dir, tmp_path):
    alice, bob = world.account_by_username("alice"), world.account_by_username("bob")
    server.write_session(data_dir / "sessions", "alice", alice.id)
    server.write_session(data_dir / "sessions", "bob", bob.id)
    (data_dir / "sessions" / "aborted.session").touch()
    server.log_out(bob.id)

    listed = await run_cli("--list", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TELEGRAM", "ID", "ACCOUNT"]
    assert re.match(r"aborted +- +\(no login", lines[1])
    assert re.match(rf"alice +{alice.id} +Alice \(@alice\)$", lines[2])
    assert re.match(rf"bob +{bob.id} +\(Telegram ended this session", lines[3])

    (alice_key,) = [k for k in server.keys_on(2).values() if k.user_id == alice.id]
    out = await run_cli("--logout", "alice", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Logged 'alice' out (ended at Telegram)" in out.stdout
    assert alice_key.user_id is None
    assert not session_path(data_dir, "alice").exists()

    out = await run_cli("--logout", "bob", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert out.returncode == 0 and "Telegram had already ended it" in out.stdout
    missing = await run_cli("--logout", "bob", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert missing.returncode == 1 and "there is no session for 'bob'" in missing.stderr


async def test_list_and_logout_while_a_server_holds_the_session_locked(
    server, world, data_dir, tmp_path
):
    """A running tgsc-server's pyrogram keeps a write transaction open on its sessions."""
    alice = world.account_by_username("alice")
    path = server.write_session(data_dir / "sessions", "alice", alice.id)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as held:
        held.execute("BEGIN IMMEDIATE")
        held.execute("UPDATE sessions SET date = date + 1")
        listed = await run_cli("--list", server=server, data_dir=data_dir, tmp_path=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert re.search(rf"alice +{alice.id} +Alice \(@alice\)", listed.stdout)
        out = await run_cli(
            "--logout", "alice", server=server, data_dir=data_dir, tmp_path=tmp_path
        )
        assert out.returncode == 0, out.stderr
        held.execute("ROLLBACK")
    assert not path.exists()
    assert all(key.user_id != alice.id for key in server.keys_on(2).values())


async def test_list_of_an_empty_data_dir(server, data_dir, tmp_path):
    listed = await run_cli("--list", server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert listed.returncode == 0 and "No accounts" in listed.stdout


@pytest.mark.parametrize(
    "args",
    [(), ("--list", "alice"), ("--logout", "a", "--qr"), ("alice", "--qr", "--phone")],
)
async def test_usage_errors_exit_2(server, data_dir, tmp_path, args):
    result = await run_cli(*args, server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert result.returncode == 2 and "usage: tgsc-auth" in result.stderr


@pytest.mark.parametrize(
    "args", [("../alice",), ("a" * 65, "--qr"), ("..",), ("--logout", "al ice"), ("--logout", "")]
)
async def test_names_are_checked_like_the_account_header(server, data_dir, tmp_path, args):
    result = await run_cli(*args, server=server, data_dir=data_dir, tmp_path=tmp_path)
    assert result.returncode == 2 and "usage: tgsc-auth" in result.stderr
    assert "account name" in result.stderr and "Traceback" not in result.stderr
    assert sessions_left(data_dir) == []


async def test_missing_credentials_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGSC_"))}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tgscraper.cli.auth", "--list", "--data-dir", str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=EXPECT_S,
    )
    assert result.returncode == 2 and "TELEGRAM_API_ID" in result.stderr


def test_the_interrupt_message_says_whether_a_session_was_saved(server, world, data_dir):
    """Ctrl-C during the save lets the save end (its key kept): the message must then
    not claim that nothing was written."""
    from tgscraper.cli.auth import AuthSettings, _interrupted, _stored_session

    settings = AuthSettings(data_dir, server.api_id, server.api_hash, None)
    before = _stored_session(settings, "alice")
    assert before is None
    assert "no session was written for 'alice'" in _interrupted(settings, "alice", before)
    server.write_session(data_dir / "sessions", "alice", world.account_by_username("alice").id)
    saved = _interrupted(settings, "alice", before)
    assert "the login had completed: the session of 'alice' was saved" in saved
    unchanged = _stored_session(settings, "alice")
    assert "no session was written" in _interrupted(settings, "alice", unchanged)
