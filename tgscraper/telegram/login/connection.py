"""Fresh Telegram clients for logging in.

A login starts with no session: pyrogram then dials its built-in address of Telegram's
DC 2 and runs the key exchange there. ``telegram_dc`` (``--telegram-dc HOST:PORT``)
sends that first connection to another server instead (a private Telegram server, or
the loopback fake in tests); the addresses of the other DCs (a login that migrates to
the account's DC) come from that server's own ``help.getConfig``, as with Telegram.

The client keeps its key in memory (``in_memory=True``): nothing is written to disk
until the login succeeded (``session_files.write_session``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

import pyrogram
from pyrogram import raw
from pyrogram.connection import Connection
from pyrogram.storage import sqlite_storage

from tgscraper import __version__

#: the DC pyrogram starts every new login at
FIRST_DC = 2
#: Telegram's published addresses of that DC (production and test servers, IPv4 and IPv6),
#: which pyrogram writes into a new session; used where the installed pyrogram does not
#: export its own tables (``sqlite_storage.PROD`` / ``TEST``, missing before 2.2.10)
_TELEGRAM_FIRST_DC = (
    "149.154.167.51",
    "149.154.167.40",
    "2001:67c:4e8:f002::a",
    "2001:67c:4e8:f002::e",
)
_BUILT_IN_FIRST_DC = frozenset(
    {
        *_TELEGRAM_FIRST_DC,
        *(
            table[FIRST_DC]
            for table in (getattr(sqlite_storage, "PROD", {}), getattr(sqlite_storage, "TEST", {}))
            if FIRST_DC in table
        ),
    }
)
DEVICE_MODEL = "tgscraper"
LOG_OUT_TIMEOUT_S = 5.0


class LoginConnector:
    """A pyrogram ``connection_factory`` that dials `telegram_dc` where pyrogram would
    dial Telegram's built-in DC 2 address; every other address is left alone."""

    def __init__(self, telegram_dc: tuple[str, int] | None):
        self.telegram_dc = telegram_dc

    def address(self, dc_id: int, server_address: str, port: int) -> tuple[str, int]:
        """Where a connection to (`server_address`, `port`) of `dc_id` really goes."""
        if (
            self.telegram_dc is not None
            and dc_id == FIRST_DC
            and server_address in _BUILT_IN_FIRST_DC
        ):
            return self.telegram_dc
        return server_address, port

    def __call__(self, **kwargs: Any) -> Connection:
        kwargs["server_address"], kwargs["port"] = self.address(
            kwargs["dc_id"], kwargs["server_address"], kwargs["port"]
        )
        return Connection(**kwargs)


def login_client(
    api_id: int, api_hash: str, connector: LoginConnector, **options: Any
) -> pyrogram.Client:
    """An unconnected client with an empty in-memory session, receiving updates (the QR
    flow waits for updateLoginToken) and never sleeping through a flood wait."""
    settings: dict[str, Any] = {
        "in_memory": True,
        "connection_factory": connector,
        "sleep_threshold": 0,
        "workers": 1,
        "device_model": DEVICE_MODEL,
        "app_version": f"tgscraper {__version__}",
    }
    settings.update(options)
    return pyrogram.Client(f"login-{secrets.token_hex(8)}", api_id, api_hash, **settings)


async def close_login_client(client: pyrogram.Client, *, log_out_first: bool = False) -> None:
    """Disconnect a login client. `log_out_first`: it logged in but its session was not
    kept (cancelled, or the file could not be written), so end it at Telegram too
    rather than leave an unused session in the account's list."""
    if not client.is_connected:
        return
    if log_out_first:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(LOG_OUT_TIMEOUT_S):
                await client.invoke(raw.functions.auth.LogOut())
    with contextlib.suppress(Exception):
        await client.disconnect()
