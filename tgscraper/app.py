"""The application factory: composes setup functions and cleanup contexts, nothing else.

Startup runs the cleanup contexts in order; shutdown (SIGTERM/SIGINT under
``tgsc-server``) stops accepting connections, ends open SSE streams with an
``error`` ``shutting_down`` event (on_shutdown), waits briefly for running requests,
then unwinds the cleanup contexts in reverse: background jobs, Telegram clients,
databases. A new route module is one more ``module.setup(app)`` line below.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiojobs
from aiohttp import web

from tgscraper.cache.manager import CacheManager
from tgscraper.config import Config, prepare_data_dir
from tgscraper.settings import SettingsStore
from tgscraper.telegram.sessions import SessionManager
from tgscraper.web import (
    auth,
    dialogs,
    files,
    history,
    login_page,
    media,
    meta,
    openapi,
    search,
    settings,
    sse,
)
from tgscraper.web.appkeys import CACHE, CONFIG, JOBS, SESSIONS, SETTINGS
from tgscraper.web.errors import error_middleware
from tgscraper.web.middlewares import account_middleware, api_key_middleware

JOBS_CLOSE_TIMEOUT_S = 5.0


def setup_settings(app: web.Application, store: SettingsStore | None) -> None:
    """SETTINGS: the given store, or the data dir's settings.yaml opened at startup."""
    if store is not None:
        app[SETTINGS] = store
        return

    async def settings_context(app: web.Application) -> AsyncIterator[None]:
        data_dir = app[CONFIG].data_dir
        await asyncio.to_thread(prepare_data_dir, data_dir)
        app[SETTINGS] = await asyncio.to_thread(SettingsStore.open, data_dir)
        yield

    app.cleanup_ctx.append(settings_context)


async def cache_context(app: web.Application) -> AsyncIterator[None]:
    """CACHE: the per-dialog databases, closed last (after jobs and clients stopped)."""
    manager = CacheManager(app[CONFIG].data_dir)
    app[CACHE] = manager
    yield
    await manager.close()


async def sessions_context(app: web.Application) -> AsyncIterator[None]:
    """SESSIONS: Telegram clients, all stopped on shutdown."""
    config = app[CONFIG]
    manager = SessionManager(
        config.data_dir,
        config.api_id,
        config.api_hash,
        start_timeout=config.telegram_start_timeout_s,
    )
    app[SESSIONS] = manager
    yield
    await manager.close()


async def jobs_context(app: web.Application) -> AsyncIterator[None]:
    """JOBS: background work (aiojobs), cancelled on shutdown before clients stop."""
    scheduler = aiojobs.Scheduler(limit=None, close_timeout=JOBS_CLOSE_TIMEOUT_S)
    app[JOBS] = scheduler
    yield
    await scheduler.close()


def create_app(config: Config, *, settings_store: SettingsStore | None = None) -> web.Application:
    """The tgscraper application for `config` (settings.yaml is opened at startup unless
    an already loaded `settings_store` is given)."""
    app = web.Application(middlewares=[error_middleware, api_key_middleware, account_middleware])
    app[CONFIG] = config
    setup_settings(app, settings_store)
    app.cleanup_ctx.append(cache_context)
    app.cleanup_ctx.append(sessions_context)
    app.cleanup_ctx.append(jobs_context)
    sse.setup_streams(app)
    openapi.setup_openapi(app)
    meta.setup(app)
    settings.setup(app)
    auth.setup(app)
    login_page.setup(app)
    dialogs.setup(app)
    search.setup(app)
    history.setup(app)
    media.setup(app)  # after history: it listens to the pages history stores
    files.setup(app)
    return app
