"""kurigram session files that start without a login.

A session is "not empty" for kurigram when test_mode, auth_key, user_id and is_bot are all
set; then it connects straight to the stored server_address and port. The file is written
with pyrogram's own schema (all five tables) at its current version, mode 0600.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from pyrogram.storage.sqlite_storage import SCHEMA, SQLiteStorage


def write_session_file(
    path: Path,
    *,
    dc_id: int,
    port: int,
    api_id: int,
    auth_key: bytes,
    user_id: int,
    is_bot: bool = False,
    server_address: str = "127.0.0.1",
) -> Path:
    """Write (or replace) a session file; a small local sqlite write (~1 ms)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(SCHEMA)
        db.execute("INSERT INTO version VALUES (?)", (SQLiteStorage.VERSION,))
        db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dc_id, server_address, port, api_id, 0, auth_key, int(time.time()), user_id, is_bot),
        )
    return path
