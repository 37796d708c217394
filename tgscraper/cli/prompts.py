"""Asking a person at a terminal, without stopping the event loop.

``input()`` and ``getpass()`` block, so each question runs in a daemon thread while the
event loop keeps the Telegram connection alive (pings) and the QR code fresh. A daemon
thread never holds up the exit after Ctrl-C; ``restored_terminal()`` puts back the echo
``getpass`` may have switched off at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
import termios
import threading
from collections.abc import Callable, Iterator
from typing import Any


class NoTerminal(Exception):
    """Input ended (EOF): nobody is there to answer."""


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def _in_daemon_thread(function: Callable[..., str], *args: Any) -> str:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def run() -> None:
        result, error = None, None
        try:
            result = function(*args)
        except EOFError:
            error = NoTerminal("No more input: tgsc-auth needs a person at a terminal.")
        except BaseException as exc:  # e.g. KeyboardInterrupt raised inside getpass
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone (Ctrl-C)
            loop.call_soon_threadsafe(_settle, future, result, error)

    threading.Thread(target=run, name="prompt", daemon=True).start()
    return await future


async def ask(prompt: str) -> str:
    """A line typed by the person (without the newline)."""
    return (await _in_daemon_thread(input, prompt)).strip()


async def ask_hidden(prompt: str) -> str:
    """A line typed without echo (passwords); never logged."""
    return await _in_daemon_thread(getpass.getpass, prompt)


async def confirm(question: str) -> bool:
    """True if the person answers yes to `question` (default: no)."""
    return (await ask(f"{question} [y/N] ")).lower() in {"y", "yes"}


def is_interactive() -> bool:
    """Whether someone can answer: stdin is a terminal."""
    return sys.stdin.isatty()


@contextlib.contextmanager
def restored_terminal() -> Iterator[None]:
    """Put the terminal's settings (echo) back however the block ends."""
    if not is_interactive():
        yield
        return
    saved = termios.tcgetattr(sys.stdin.fileno())
    try:
        yield
    finally:
        with contextlib.suppress(termios.error, OSError, ValueError):
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
