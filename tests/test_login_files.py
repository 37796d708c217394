"""Login building blocks without Telegram: session files (atomic, 0600, listing,
deleting), the --telegram-dc redirect, phone masking."""

from __future__ import annotations

import os
import sqlite3

import pytest
from pyrogram.storage.sqlite_storage import PROD

from tgscraper.config import ConfigError, parse_dc_address
from tgscraper.telegram.login.account import mask_phone
from tgscraper.telegram.login.connection import LoginConnector
from tgscraper.telegram.login.session_files import (
    SessionData,
    delete_session,
    list_sessions,
    read_user_id,
    write_session,
)

DATA = SessionData(
    dc_id=2,
    server_address="127.0.0.1",
    port=4430,
    api_id=611335,
    test_mode=False,
    auth_key=os.urandom(256),
    user_id=100000001,
)


def test_write_session_is_pyrogram_readable_and_private(tmp_path):
    path = write_session(tmp_path, "alice", DATA)
    assert path == tmp_path / "sessions" / "alice.session"
    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT dc_id, server_address, port, api_id, test_mode, auth_key, user_id, is_bot"
            " FROM sessions"
        ).fetchall()
        version = db.execute("SELECT number FROM version").fetchone()[0]
    assert row == [(2, "127.0.0.1", 4430, 611335, 0, DATA.auth_key, 100000001, 0)]
    assert version == 7
    assert read_user_id(path) == 100000001
    assert os.listdir(path.parent) == ["alice.session"]


def test_write_session_replaces_the_old_file_in_one_step(tmp_path):
    write_session(tmp_path, "alice", DATA)
    newer = SessionData(**{**DATA.__dict__, "user_id": 5, "auth_key": b"k" * 256})
    path = write_session(tmp_path, "alice", newer)
    assert read_user_id(path) == 5
    assert os.listdir(path.parent) == ["alice.session"]


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    write_session(tmp_path, "alice", DATA)
    broken = SessionData(**{**DATA.__dict__, "auth_key": object()})  # sqlite refuses it
    with pytest.raises(sqlite3.Error):
        write_session(tmp_path, "alice", broken)
    assert os.listdir(tmp_path / "sessions") == ["alice.session"]
    assert read_user_id(tmp_path / "sessions" / "alice.session") == DATA.user_id


def test_write_session_checks_the_name(tmp_path):
    with pytest.raises(ValueError):
        write_session(tmp_path, "../evil", DATA)


def test_list_and_delete(tmp_path):
    write_session(tmp_path, "alice", DATA)
    write_session(tmp_path, "bob", SessionData(**{**DATA.__dict__, "user_id": 7}))
    sessions_dir = tmp_path / "sessions"
    (sessions_dir / "empty.session").touch()  # an aborted login: no key, no user
    (sessions_dir / "x~partial-0a1b.session").touch()
    (sessions_dir / "notes.txt").touch()
    listed = [(s.name, s.user_id) for s in list_sessions(tmp_path)]
    assert listed == [("alice", DATA.user_id), ("bob", 7), ("empty", None)]
    assert delete_session(tmp_path, "alice") is True
    assert delete_session(tmp_path, "alice") is False
    assert [s.name for s in list_sessions(tmp_path)] == ["bob", "empty"]
    assert list_sessions(tmp_path / "nowhere") == []


def test_connector_redirects_only_the_built_in_first_dc():
    connector = LoginConnector(("127.0.0.1", 4430))
    assert connector.address(2, PROD[2], 443) == ("127.0.0.1", 4430)
    assert connector.address(4, "127.0.0.1", 4431) == ("127.0.0.1", 4431)
    assert connector.address(2, "10.0.0.2", 443) == ("10.0.0.2", 443)
    assert LoginConnector(None).address(2, PROD[2], 443) == (PROD[2], 443)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:4430", ("127.0.0.1", 4430)),
        ("[::1]:443", ("::1", 443)),
        ("dc.example:1", ("dc.example", 1)),
    ],
)
def test_parse_dc_address(text, expected):
    assert parse_dc_address(text) == expected


@pytest.mark.parametrize("text", ["127.0.0.1", ":443", "host:0", "host:65536", "host:x", ""])
def test_parse_dc_address_refuses(text):
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_dc_address(text)


def test_mask_phone():
    assert mask_phone("+44 7700 900123") == "+44********23"
    assert mask_phone("9996610001") == "+99******01"
    assert mask_phone("1234") == "+****"
    assert mask_phone(None) is None and mask_phone("") is None
