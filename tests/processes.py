"""tgsc-server as a real process for tests: a clean environment, a free port, waiting
for /health, stopping with a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp

#: the checkout's root
ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without our variables (so the host's own never leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGSC_"))}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TgscProcess:
    """``python -m tgscraper.cli.server --data-dir DATA_DIR --port <free> ARGS...`` on
    127.0.0.1, with ``env`` as its whole environment (default: ``clean_env()``)."""

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tgscraper.cli.server", "--data-dir", str(data_dir),
             "--port", str(self.port), *args],
            env=dict(env) if env is not None else clean_env(),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    async def wait_healthy(self) -> dict:
        """Poll /health until the server answers (generous: the machine may be busy)."""
        async with aiohttp.ClientSession() as session, asyncio.timeout(120):
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"server exited: {self.process.communicate()}")
                try:
                    async with session.get(self.url + "/health") as response:
                        return await response.json()
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``sig`` (if still running) and wait: (exit status, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait()

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the process to end: (exit status, stderr)."""
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


class RemoteApp:
    """A server reached over HTTP, in the shape ``tests.sse_client`` reads from (an HTTP
    session, URLs, default headers naming the account)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, account: str = "alice"):
        self.session = session
        self.base = url
        self.account = account

    def url(self, path: str) -> str:
        return self.base + path

    def headers(self, *, account: str | None = None) -> dict[str, str]:
        name = account or self.account
        return {"X-Telegram-Username": name}
