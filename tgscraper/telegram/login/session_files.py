"""Session files: written atomically after a login, listed, deleted.

``sessions/NAME.session`` is pyrogram's SQLite session (its own schema and version),
holding what a client needs to start without logging in: DC, address, auth key, user.
A login writes it in one step: a temporary file beside it (``NAME~partial-XXXX.session``,
never a valid account name, mode 0600 from creation), synced, then renamed over the
target. Ctrl-C or a failure at any point leaves either the old file or the complete new
one, never half of one. Blocking functions run in a thread (``save_session``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pyrogram
from pyrogram.storage.sqlite_storage import SCHEMA, SQLiteStorage

from tgscraper.accounts import SESSION_SUFFIX, check_account_name, session_path, sessions_dir
from tgscraper.telegram.login.completion import run_to_end
from tgscraper.telegram.login.connection import LoginConnector

PARTIAL_MARK = "~partial-"


@dataclass(frozen=True)
class SessionData:
    """What a session file stores (the `sessions` row of pyrogram's schema)."""

    dc_id: int
    server_address: str
    port: int
    api_id: int
    test_mode: bool
    auth_key: bytes
    user_id: int
    is_bot: bool = False


@dataclass(frozen=True)
class StoredSession:
    """A session file found in the data directory."""

    name: str
    path: Path
    #: the Telegram user it is logged in as; None for a file with no login in it
    user_id: int | None


async def session_of(
    client: pyrogram.Client, connector: LoginConnector, user_id: int
) -> SessionData:
    """The session a logged-in login client holds (its key lives in memory), with the
    address its connections really used."""
    storage = client.storage
    dc_id = await storage.dc_id()
    address, port = connector.address(dc_id, await storage.server_address(), await storage.port())
    return SessionData(
        dc_id=dc_id,
        server_address=address,
        port=port,
        api_id=client.api_id,
        test_mode=bool(await storage.test_mode()),
        auth_key=await storage.auth_key(),
        user_id=user_id,
    )


def write_session(data_dir: Path, name: str, data: SessionData) -> Path:
    """Write sessions/NAME.session atomically (mode 0600); replaces an existing one."""
    target = session_path(data_dir, check_account_name(name))
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(f"{name}{PARTIAL_MARK}{secrets.token_hex(4)}{SESSION_SUFFIX}")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with contextlib.closing(sqlite3.connect(partial)) as db, db:
            db.executescript(SCHEMA)
            db.execute("INSERT INTO version VALUES (?)", (SQLiteStorage.VERSION,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    data.dc_id,
                    data.server_address,
                    data.port,
                    data.api_id,
                    int(data.test_mode),
                    data.auth_key,
                    int(time.time()),
                    data.user_id,
                    int(data.is_bot),
                ),
            )
        _fsync(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        _fsync(target.parent)
    return target


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def save_session(data_dir: Path, name: str, data: SessionData) -> Path:
    """`write_session` in a thread; once begun it runs to its end, and a cancelled
    caller goes on (with the cancellation) only then: the file is whole or absent."""
    return await run_to_end(asyncio.to_thread(write_session, data_dir, name, data))


def read_session(path: Path) -> SessionData | None:
    """What a session file holds, read-only (a running tgsc-server may hold its write
    lock); None for a file with no login in it, or not a session at all."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT dc_id, server_address, port, api_id, test_mode, auth_key, user_id, is_bot"
                " FROM sessions LIMIT 1"
            ).fetchone()
    except sqlite3.Error:
        return None
    if row is None or row[5] is None or row[6] is None:
        return None
    dc_id, address, port, api_id, test_mode, auth_key, user_id, is_bot = row
    return SessionData(
        dc_id, address, port, api_id or 0, bool(test_mode), auth_key, user_id, bool(is_bot)
    )


def read_user_id(path: Path) -> int | None:
    """The user a session file is logged in as (None: no login in it)."""
    data = read_session(path)
    return None if data is None else data.user_id


def list_sessions(data_dir: Path) -> list[StoredSession]:
    """Every account's session file, by name (partial files and stray names left out)."""
    found = []
    directory = sessions_dir(data_dir)
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob(f"*{SESSION_SUFFIX}")):
        name = path.name[: -len(SESSION_SUFFIX)]
        try:
            check_account_name(name)
        except ValueError:
            continue
        found.append(StoredSession(name, path, read_user_id(path)))
    return found


def delete_session(data_dir: Path, name: str) -> bool:
    """Delete sessions/NAME.session (and SQLite's leftovers); False if there was none."""
    path = session_path(data_dir, check_account_name(name))
    existed = path.is_file()
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)
    return existed
