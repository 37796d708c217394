"""pytest fixtures for a running tgscraper app: the real app from create_app, on a real
127.0.0.1 port, talked to over HTTP.

``tgsc`` is a started app with default settings and one account, ``alice``, whose
session file is a placeholder (enough for the account middleware; any Telegram call
answers 401): use it for everything that does not touch Telegram::

    async def test_settings(tgsc):
        body = await tgsc.json("GET", "/api/v3/settings")

``make_tgsc(...)`` builds variants (settings, API keys, accounts, a data dir to
reuse across restarts, extra routes, a fakegram server for Telegram)::

    app = await make_tgsc(api_keys=("k1",), settings={"telegram_batch_size": 50})
    response = await app.request("GET", "/api/v3/settings", api_key=None)  # no key sent

Streams are read with ``tests.sse_client`` (``read_stream(app, path)``, ``open_events``).

With ``telegram=server`` (a started ``tests.fakegram`` FakeTelegram), the app uses the
fake's api_id/api_hash and real session files written by ``server.write_session`` for
the accounts given as ``{name: user_id}`` (default: every account of the world, named
by its username)::

    w = WorldBuilder()
    alice = w.account("alice")
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)          # X-Telegram-Username: alice
    client = await app.app[SESSIONS].get("alice")   # the app's own started client
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy

from tgscraper.accounts import session_path, sessions_dir
from tgscraper.app import create_app
from tgscraper.config import Config, prepare_data_dir
from tgscraper.settings import SETTINGS_FILE, Settings, render_yaml, write_atomically
from tgscraper.web.middlewares import ACCOUNT_HEADER, API_KEY_HEADER

#: credentials of an app with no Telegram behind it (never used to connect anywhere)
PLACEHOLDER_API_ID = 1
PLACEHOLDER_API_HASH = "0" * 32
DEFAULT_ACCOUNT = "alice"
_DEFAULT = object()


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer (body already read)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Tgsc:
    """A running app and an HTTP client for it."""

    app: web.Application
    server: TestServer
    session: aiohttp.ClientSession
    config: Config
    #: sent as X-Telegram-Username unless a request says otherwise
    account: str | None = DEFAULT_ACCOUNT
    closed: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def headers(self, *, account: Any = _DEFAULT, api_key: Any = _DEFAULT) -> dict[str, str]:
        """Default headers: the account, and the first API key when the app has keys."""
        account = self.account if account is _DEFAULT else account
        api_key = (self.config.api_keys or (None,))[0] if api_key is _DEFAULT else api_key
        headers = {}
        if account is not None:
            headers[ACCOUNT_HEADER] = account
        if api_key is not None:
            headers[API_KEY_HEADER] = api_key
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        account: Any = _DEFAULT,
        api_key: Any = _DEFAULT,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Send a request and read the whole answer; `account=None` / `api_key=None`
        leave those headers out. For streams, use ``self.session`` directly."""
        sent = {**self.headers(account=account, api_key=api_key), **(headers or {})}
        async with self.session.request(method, self.url(path), headers=sent, **kwargs) as resp:
            return Reply(resp.status, resp.headers, await resp.read())

    async def json(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        """Send a request, check the status, return the decoded JSON body."""
        response = await self.request(method, path, **kwargs)
        assert response.status == status, (response.status, response.body[:2000])
        return response.json()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.server.close()
            await self.session.close()


def write_settings(data_dir: Path, values: Mapping[str, Any]) -> None:
    """Write a settings.yaml with `values` over the defaults (validated)."""
    write_atomically(data_dir / SETTINGS_FILE, render_yaml(Settings.from_dict(values)))


def write_placeholder_session(data_dir: Path, account: str) -> Path:
    """A session file that exists but holds no login (passes the account middleware)."""
    path = session_path(data_dir, account)
    path.touch(mode=0o600)
    return path


def world_accounts(world: Any) -> dict[str, int]:
    """{username: user id} of the accounts of a fakegram world."""
    return {
        user.username: user.id
        for user in world.users.values()
        if getattr(user, "is_account", False) and user.username
    }


MakeTgsc = Callable[..., Any]


@pytest.fixture
async def make_tgsc(tmp_path: Path) -> AsyncIterator[MakeTgsc]:
    """Factory of running apps, all closed after the test (see the module docstring)."""
    started: list[Tgsc] = []

    async def make(
        *,
        data_dir: Path | None = None,
        settings: Mapping[str, Any] | None = None,
        api_keys: tuple[str, ...] = (),
        accounts: Mapping[str, int] | tuple[str, ...] | None = None,
        account: str | None = DEFAULT_ACCOUNT,
        telegram: Any = None,
        setup: Callable[[web.Application], None] | None = None,
        **config: Any,
    ) -> Tgsc:
        data_dir = data_dir or tmp_path / "data"
        prepare_data_dir(data_dir)
        if settings is not None:
            write_settings(data_dir, settings)
        api_id, api_hash = PLACEHOLDER_API_ID, PLACEHOLDER_API_HASH
        if telegram is not None:
            api_id, api_hash = telegram.api_id, telegram.api_hash
            for name, user_id in dict(accounts or world_accounts(telegram.world)).items():
                telegram.write_session(sessions_dir(data_dir), name, user_id)
        else:
            for name in accounts or (DEFAULT_ACCOUNT,):
                write_placeholder_session(data_dir, name)
        app_config = replace(
            Config(data_dir=data_dir, api_id=api_id, api_hash=api_hash, api_keys=api_keys),
            **config,
        )
        app = create_app(app_config)
        if setup is not None:
            setup(app)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        tgsc = Tgsc(app, server, aiohttp.ClientSession(), app_config, account)
        started.append(tgsc)
        return tgsc

    yield make
    for tgsc in reversed(started):
        await tgsc.close()


@pytest.fixture
async def tgsc(make_tgsc: MakeTgsc) -> Tgsc:
    """A running app with default settings and the placeholder account 'alice'."""
    return await make_tgsc()
