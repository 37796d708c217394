"""Configuration sources: environment and .env files, API keys, bind safety, data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tgscraper.config import (
    Config,
    ConfigError,
    check_bind_safety,
    is_loopback,
    parse_api_keys,
    parse_credentials,
    prepare_data_dir,
    read_environment,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_environment_beats_cwd_env_file_beats_data_dir_env_file(tmp_path):
    data_dir, cwd = tmp_path / "data", tmp_path / "cwd"
    data_dir.mkdir()
    cwd.mkdir()
    (data_dir / ".env").write_text(
        "TELEGRAM_API_ID=1\nTELEGRAM_API_HASH=from-data-dir\nTGSC_API_KEY=data-key\n"
    )
    (cwd / ".env").write_text("TELEGRAM_API_HASH=from-cwd\nUNRELATED=x\n")
    environ = {"TGSC_API_KEY": "env-key", "PATH": "/bin"}
    assert read_environment(data_dir, environ, cwd) == {
        "TELEGRAM_API_ID": "1",
        "TELEGRAM_API_HASH": "from-cwd",
        "TGSC_API_KEY": "env-key",
    }


def test_no_env_files_means_environment_only(tmp_path):
    environ = {"TELEGRAM_API_ID": "5", "HOME": "/root"}
    assert read_environment(tmp_path, environ, tmp_path) == {"TELEGRAM_API_ID": "5"}


def test_an_env_file_that_is_not_utf8_is_a_config_error_naming_it(tmp_path):
    (tmp_path / ".env").write_bytes(b"TELEGRAM_API_ID=\xff1\nTELEGRAM_API_HASH=h\n")
    with pytest.raises(ConfigError, match=r"Cannot read .*\.env: 'utf-8' codec"):
        read_environment(tmp_path / "data", {}, tmp_path)


def test_credentials_parsed():
    assert parse_credentials({"TELEGRAM_API_ID": " 123 ", "TELEGRAM_API_HASH": "abc"}) == (
        123,
        "abc",
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "TELEGRAM_API_ID and TELEGRAM_API_HASH"),
        ({"TELEGRAM_API_ID": "1"}, "TELEGRAM_API_HASH"),
        ({"TELEGRAM_API_HASH": "h", "TELEGRAM_API_ID": "  "}, "TELEGRAM_API_ID"),
    ],
)
def test_missing_credentials_explain_the_fix(env, missing):
    with pytest.raises(ConfigError) as error:
        parse_credentials(env)
    text = str(error.value)
    assert text.startswith("Missing Telegram API credentials")
    assert missing in text
    assert "my.telegram.org" in text and ".env" in text


@pytest.mark.parametrize("value", ["abc", "12.5", "-4", "0"])
def test_api_id_must_be_a_positive_integer(value):
    with pytest.raises(ConfigError, match="Invalid TELEGRAM_API_ID"):
        parse_credentials({"TELEGRAM_API_ID": value, "TELEGRAM_API_HASH": "h"})


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        (None, ()),
        ("", ()),
        ("one", ("one",)),
        (" one , two,,three ", ("one", "two", "three")),
    ],
)
def test_api_keys_are_comma_separated(value, keys):
    assert parse_api_keys(value) == keys


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def config(**kwargs) -> Config:
    return Config(data_dir=Path("data"), api_id=1, api_hash="h", **kwargs)


def test_non_loopback_without_key_is_refused_with_both_fixes():
    with pytest.raises(ConfigError) as error:
        check_bind_safety(config(host="0.0.0.0"))
    assert "TGSC_API_KEY" in str(error.value)
    assert "--insecure-no-api-key" in str(error.value)


@pytest.mark.parametrize(
    "safe",
    [
        config(host="127.0.0.1"),
        config(host="0.0.0.0", api_keys=("k",)),
        config(host="0.0.0.0", insecure_no_api_key=True),
    ],
)
def test_safe_binds_pass(safe):
    check_bind_safety(safe)


def test_data_dir_layout_and_permissions(tmp_path):
    data_dir = tmp_path / "nested" / "data"
    prepare_data_dir(data_dir)
    assert mode(data_dir / "sessions") == 0o700
    assert (data_dir / "channels").is_dir()
    session = data_dir / "sessions" / "alice.session"
    session.write_bytes(b"")
    session.chmod(0o644)
    (data_dir / "sessions").chmod(0o755)
    prepare_data_dir(data_dir)  # idempotent, and it repairs permissions
    assert mode(data_dir / "sessions") == 0o700
    assert mode(session) == 0o600


def test_unusable_data_dir_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="Cannot prepare the data directory"):
        prepare_data_dir(blocker / "data")
