"""The Docker image cannot be built here (no daemon): check what the Dockerfile promises
statically, and run its entrypoint script (scripts/docker-entrypoint) for real, with a
PATH of stand-in tools and with the real ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from tgscraper.cli import auth as auth_cli
from tgscraper.cli import server as server_cli
from tgscraper.config import DEFAULT_DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENTRYPOINT = ROOT / "scripts" / "docker-entrypoint"
#: what the image runs when given no command
SERVER_DEFAULTS = ["--data-dir", "/app/data", "--host", "0.0.0.0", "--port", "8000"]
#: the real console scripts of this environment (tgsc-server, tgsc-auth)
VENV_BIN = Path(sys.executable).parent


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", joined, re.MULTILINE)]


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(is an exception "!", regex) per line of .dockerignore, in order."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?|\[[^]]*\])", glob):
            if part == "**/":
                regex += "(.*/)?"
            elif part == "**":
                regex += ".*"
            elif part == "*":
                regex += "[^/]*"
            elif part == "?":
                regex += "[^/]"
            elif part.startswith("["):
                regex += part
            else:
                regex += re.escape(part)
        patterns.append((exception, re.compile(regex + r"\Z")))
    return patterns


def dockerignored(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent
    directories decides; "!" patterns put a path back."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for exception, pattern in dockerignore_patterns():
        if any(pattern.match(candidate) for candidate in candidates):
            ignored = not exception
    return ignored


def files_under(source: str) -> list[str]:
    """The files a COPY of `source` takes, bytecode caches left out."""
    top = ROOT / source
    paths = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
    return [
        path.relative_to(ROOT).as_posix()
        for path in paths
        if "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]


def test_the_dockerignore_matcher_follows_docker():
    assert dockerignored("tests/test_docker.py") and dockerignored(".git/config")
    assert dockerignored("tgscraper/__pycache__/app.cpython-311.pyc")
    assert dockerignored("scripts/tgsc-server.service")
    assert not dockerignored("scripts/docker-entrypoint")
    assert not dockerignored("tgscraper/app.py")


def test_copied_files_exist_and_are_not_dockerignored():
    for copy in instructions("COPY"):
        *sources, _destination = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not dockerignored(source), source
            files = files_under(source)
            assert files, source
            assert [name for name in files if dockerignored(name)] == [], source


def test_runtime_promises():
    assert instructions("FROM")[0].startswith("python:3.11-slim")
    assert instructions("USER") == ["tgscraper"]
    assert instructions("VOLUME") == ['["/app/data"]']
    assert instructions("EXPOSE") == ["8000"]
    assert "/health" in instructions("HEALTHCHECK")[0]
    assert instructions("ENTRYPOINT") == ['["tgsc-docker-entrypoint"]']
    assert "scripts/docker-entrypoint /usr/local/bin/tgsc-docker-entrypoint" in (
        instructions("COPY")
    )
    assert "chmod 0755 /usr/local/bin/tgsc-docker-entrypoint" in instructions("RUN")[-1]
    assert not instructions("CMD")  # the entrypoint decides what runs by default


def test_both_tools_default_to_the_volume_from_the_working_directory():
    """`docker exec -it tgscraper tgsc-auth alice` must write where the server reads."""
    workdir = PurePosixPath(instructions("WORKDIR")[-1])
    (volume,) = re.findall(r'"([^"]+)"', instructions("VOLUME")[0])
    assert workdir / DEFAULT_DATA_DIR.as_posix() == PurePosixPath(volume)
    assert SERVER_DEFAULTS[SERVER_DEFAULTS.index("--data-dir") + 1] == volume
    assert server_cli.get_parser().parse_args([]).data_dir == DEFAULT_DATA_DIR
    assert auth_cli.get_parser().parse_args(["alice"]).data_dir == DEFAULT_DATA_DIR


def run_entrypoint(*args: str, path: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(ENTRYPOINT), *args],
        env={**os.environ, "PATH": path},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def stand_ins(tmp_path) -> str:
    """A PATH whose tgsc-server and tgsc-auth print their name and arguments, one per
    line (tgsc-auth exits 3, to see the status come through)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, status in (("tgsc-server", 0), ("tgsc-auth", 3)):
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\nprintf "%s\\n" {name} "$@"\nexit {status}\n')
        tool.chmod(0o755)
    return str(bin_dir)


@pytest.mark.parametrize(
    ("args", "runs", "status"),
    [
        ((), ["tgsc-server", *SERVER_DEFAULTS], 0),
        (("--log-level", "DEBUG"), ["tgsc-server", *SERVER_DEFAULTS, "--log-level", "DEBUG"], 0),
        (("tgsc-auth", "alice"), ["tgsc-auth", "alice"], 3),
        (("tgsc-auth", "--list"), ["tgsc-auth", "--list"], 3),
        (("tgsc-server", "--port", "9000"), ["tgsc-server", "--port", "9000"], 0),
    ],
)
def test_the_entrypoint_runs_the_server_by_default_and_a_command_as_given(
    stand_ins, args, runs, status
):
    result = run_entrypoint(*args, path=stand_ins)
    assert result.returncode == status, result.stderr
    assert result.stdout.splitlines() == runs


def test_the_entrypoint_runs_the_real_tools(tmp_path):
    path = f"{VENV_BIN}:/usr/bin:/bin"
    server = run_entrypoint("--version", path=path)
    assert server.returncode == 0 and server.stdout.startswith("tgsc-server "), server.stderr
    auth = run_entrypoint("tgsc-auth", "--version", path=path)
    assert auth.returncode == 0 and auth.stdout.startswith("tgsc-auth "), auth.stderr
    # `docker run` without -it: no terminal, so tgsc-auth says what to do (and it is true)
    no_terminal = run_entrypoint("tgsc-auth", "alice", path=path)
    assert no_terminal.returncode == 2
    assert "docker run -it" in no_terminal.stderr and "Traceback" not in no_terminal.stderr
    assert auth_cli.NO_TERMINAL in no_terminal.stderr


def test_tgsc_auth_from_the_working_directory_uses_its_data_dir(tmp_path):
    """What `docker exec -it tgscraper tgsc-auth --list` sees from /app: ./data."""
    app = tmp_path / "app"
    app.mkdir()
    env_path = f"{VENV_BIN}:/usr/bin:/bin"
    (app / ".env").write_text("TELEGRAM_API_ID=1\nTELEGRAM_API_HASH=x\n")
    listed = run_entrypoint("tgsc-auth", "--list", path=env_path, cwd=app)
    assert listed.returncode == 0, listed.stderr
    assert f"No accounts in {app / 'data' / 'sessions'}" in listed.stdout


def test_the_readme_docker_example_sets_every_variable_it_uses():
    readme = (ROOT / "README.rst").read_text()
    section = readme[readme.index("\nDocker\n------\n") : readme.index("\nCredentials\n")]
    commands = section.replace("\\\n", " ")
    assigned = set(re.findall(r"^\s*([A-Z_][A-Z0-9_]*)=", commands, re.MULTILINE))
    used = set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", commands))
    assert used and used <= assigned, used - assigned
    assert "tgsc-auth alice" in section and "docker run -it" in section
