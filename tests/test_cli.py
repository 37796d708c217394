"""tgsc-server and tgsc-auth as real processes: help, exit codes, messages, startup,
SIGTERM; the man pages and the systemd unit built from the same sources."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.processes import ROOT, TgscProcess, clean_env
from tgscraper import __version__

BIN = Path(sys.executable).parent
CREDENTIALS = {"TELEGRAM_API_ID": "12345", "TELEGRAM_API_HASH": "0123456789abcdef" * 2}


def run(tool: str, *args: str, env=None, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m tgscraper.cli.<tool>` to completion."""
    return subprocess.run(
        [sys.executable, "-m", f"tgscraper.cli.{tool}", *args],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def servers(tmp_path):
    started: list[TgscProcess] = []

    def start(*args: str, data_dir: Path | None = None, env=None) -> TgscProcess:
        env = env if env is not None else clean_env(**CREDENTIALS)
        server = TgscProcess(data_dir or tmp_path / "data", *args, env=env, cwd=tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def test_console_scripts_are_installed():
    for script in ("tgsc-server", "tgsc-auth"):
        path = BIN / script
        assert path.exists(), f"{path} missing: run pip install -e ."
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True)
        assert result.returncode == 0
        assert result.stdout.strip() == f"{script} {__version__}"


@pytest.mark.parametrize(
    ("tool", "words"),
    [
        ("server", ["--data-dir", "--host", "--port", "--settings", "--log-level",
                    "--server-key", "--insecure-no-api-key", "--version",
                    "TELEGRAM_API_ID", "TGSC_API_KEY"]),
        ("auth", ["NAME", "--data-dir"]),
    ],
)  # fmt: skip
def test_help(tmp_path, tool, words):
    result = run(tool, "--help", cwd=tmp_path)
    assert result.returncode == 0
    for word in words:
        assert word in result.stdout


def test_unknown_option_is_exit_2(tmp_path):
    result = run("server", "--frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_exit_2(tmp_path, port):
    result = run("server", "--port", port, cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid port" in result.stderr


def test_missing_credentials_is_exit_2_with_the_fix(tmp_path):
    result = run("server", "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Missing Telegram API credentials" in result.stderr
    assert "TELEGRAM_API_ID" in result.stderr and ".env" in result.stderr


def test_non_integer_api_id_is_exit_2(tmp_path):
    env = clean_env(TELEGRAM_API_ID="twelve", TELEGRAM_API_HASH="h")
    result = run("server", "--data-dir", str(tmp_path / "d"), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid TELEGRAM_API_ID 'twelve'" in result.stderr


def test_refuses_a_public_host_without_an_api_key(tmp_path):
    result = run(
        "server",
        "--data-dir",
        str(tmp_path / "data"),
        "--host",
        "0.0.0.0",
        env=clean_env(**CREDENTIALS),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0:8000 without an API key" in result.stderr
    assert "TGSC_API_KEY" in result.stderr and "--insecure-no-api-key" in result.stderr


def test_bad_settings_template_is_refused_and_the_old_file_kept(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "settings.yaml").write_text("telegram_batch_size: 42\n")
    template = tmp_path / "template.yaml"
    template.write_text("telegram_batch_size: 500\n")
    result = run(
        "server",
        "--data-dir",
        str(data_dir),
        "--settings",
        str(template),
        env=clean_env(**CREDENTIALS),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "telegram_batch_size" in result.stderr
    assert "at most 100 messages" in result.stderr
    assert (data_dir / "settings.yaml").read_text() == "telegram_batch_size: 42\n"


def test_invalid_settings_file_at_startup_is_exit_2_naming_the_key(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "settings.yaml").write_text("media_concurrency: 99\n")
    result = run("server", "--data-dir", str(data_dir), env=clean_env(**CREDENTIALS), cwd=tmp_path)
    assert result.returncode == 2
    assert "'media_concurrency'" in result.stderr and "between 1 and 32" in result.stderr


@pytest.mark.parametrize("problem", [".env not utf-8", "settings.yaml a directory"])
def test_unreadable_configuration_files_are_exit_2_naming_them(tmp_path, problem):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if problem == ".env not utf-8":
        (data_dir / ".env").write_bytes(b"TELEGRAM_API_ID=\xff1\n")
        env, named = clean_env(), data_dir / ".env"
    else:
        (data_dir / "settings.yaml").mkdir()
        env, named = clean_env(**CREDENTIALS), data_dir / "settings.yaml"
    result = run("server", "--data-dir", str(data_dir), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"tgsc-server: error: Cannot read {named}" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_server_key_file_is_exit_2(tmp_path):
    pem = tmp_path / "bad.pem"
    pem.write_text("nope")
    result = run(
        "server",
        "--data-dir",
        str(tmp_path / "data"),
        "--server-key",
        str(pem),
        env=clean_env(**CREDENTIALS),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "--server-key" in result.stderr and "bad.pem" in result.stderr


async def test_first_run_layout_then_clean_sigterm(servers, tmp_path):
    server = servers()
    health = await server.wait_healthy()
    assert health["status"] == "ok" and health["version"] == __version__
    data_dir = tmp_path / "data"
    assert stat.S_IMODE((data_dir / "sessions").stat().st_mode) == 0o700
    assert (data_dir / "channels").is_dir()
    assert yaml.safe_load((data_dir / "settings.yaml").read_text())["telegram_batch_size"] == 100
    status, stderr = server.stop(signal.SIGTERM)
    assert status == 0, stderr
    assert "listening on" in stderr and "tgscraper stopped" in stderr


async def test_sigint_is_a_clean_stop_too(servers):
    server = servers()
    await server.wait_healthy()
    status, stderr = server.stop(signal.SIGINT)
    assert status == 0, stderr


async def test_log_level_sets_what_the_server_logs(servers):
    quiet = servers("--log-level", "warning")  # any case
    await quiet.wait_healthy()
    status, stderr = quiet.stop()
    assert status == 0, stderr
    assert "listening on" not in stderr and "INFO" not in stderr


def test_unknown_log_level_is_exit_2(tmp_path):
    result = run("server", "--log-level", "LOUD", cwd=tmp_path)
    assert result.returncode == 2
    assert "--log-level: invalid choice: 'LOUD'" in result.stderr


async def test_credentials_from_a_dotenv_in_the_data_dir_and_a_template(servers, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / ".env").write_text(
        "".join(f"{key}={value}\n" for key, value in CREDENTIALS.items())
    )
    template = tmp_path / "template.yaml"
    template.write_text("telegram_batch_size: 10\n")
    server = servers("--settings", str(template), env=clean_env())
    await server.wait_healthy()
    assert yaml.safe_load((data_dir / "settings.yaml").read_text())["telegram_batch_size"] == 10
    assert server.stop()[0] == 0


async def test_api_key_from_the_environment_is_enforced(servers):
    server = servers(env=clean_env(TGSC_API_KEY="k1,k2", **CREDENTIALS))
    await server.wait_healthy()
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert response.status == 401
        async with session.get(server.url + "/", headers={"X-API-Key": "k2"}) as response:
            assert response.status == 200
    assert server.stop()[0] == 0


async def test_port_in_use_is_exit_1(servers, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "server",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(port),
            env=clean_env(**CREDENTIALS),
            cwd=tmp_path,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("name", ["../x", "a/b", "", "a" * 65, ".."])
def test_auth_refuses_invalid_names(tmp_path, name):
    result = run("auth", name, cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid account name" in result.stderr or "empty" in result.stderr


def test_man_pages_build_from_the_parsers(tmp_path):
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-man-pages"), str(tmp_path)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    server_page = (tmp_path / "tgsc-server.1").read_text()
    auth_page = (tmp_path / "tgsc-auth.1").read_text()
    assert server_page.startswith(".TH") and auth_page.startswith(".TH")
    for option in ("data\\-dir", "server\\-key", "insecure\\-no\\-api\\-key", __version__):
        assert option in server_page
    assert "NAME" in auth_page


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    unit = (ROOT / "scripts" / "tgsc-server.service").read_text()
    for required in (
        "User=tgscraper",
        "--data-dir /var/lib/tgscraper",
        "EnvironmentFile=/etc/tgscraper/env",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/tgscraper",
        "PrivateTmp=yes",
    ):
        assert required in unit
    # verify the unit as written, with ExecStart pointing at this checkout's tgsc-server
    local = unit.replace("/opt/tgscraper/bin/tgsc-server", str(BIN / "tgsc-server"))
    (tmp_path / "tgsc-server.service").write_text(local)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / "tgsc-server.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@pytest.mark.skipif(
    shutil.which("runuser") is None or os.geteuid() != 0, reason="needs root and runuser"
)
def test_the_units_login_step_gives_tgsc_auth_the_env_files_credentials(tmp_path):
    """The unit's header logs accounts in as the service user with the credentials of the
    EnvironmentFile (readable by root only): run that line, pointed at this checkout and
    a temporary env file and data dir, as the current user."""
    header = (ROOT / "scripts" / "tgsc-server.service").read_text().split("\n[Unit]")[0]
    (line,) = [line for line in header.splitlines() if "bin/tgsc-auth NAME" in line]
    env_file, data_dir = tmp_path / "env", tmp_path / "data"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in CREDENTIALS.items()))
    env_file.chmod(0o600)
    data_dir.mkdir()
    command = (
        line.removeprefix("#").strip()
        .replace("/opt/tgscraper/bin/", f"{BIN}/")
        .replace("/etc/tgscraper/env", str(env_file))
        .replace("/var/lib/tgscraper", str(data_dir))
        .replace("-u tgscraper", f"-u {getpass.getuser()}")
        .replace("tgsc-auth NAME", "tgsc-auth --list")
    )  # fmt: skip
    result = subprocess.run(
        ["bash", "-c", command], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"No accounts in {data_dir / 'sessions'}" in result.stdout
