"""Typed keys for the objects shared through the application (``app[KEY]``).

Each object with a lifetime is created and closed by one cleanup context (see
``tgscraper.app``); handlers only read them: ``request.app[SETTINGS].current``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # imported for the types only: these modules import the web layer
    import aiojobs

    from tgscraper.cache.manager import CacheManager
    from tgscraper.config import Config
    from tgscraper.history import HistoryService
    from tgscraper.media.service import MediaService
    from tgscraper.settings import SettingsStore
    from tgscraper.telegram.sessions import SessionManager
    from tgscraper.web.openapi import OpenApiDocument
    from tgscraper.web.sse import EventStream

#: the startup configuration (environment + command line)
CONFIG: web.AppKey[Config] = web.AppKey("config")
#: live settings.yaml (``.current`` per request; ``await .update(patch)``)
SETTINGS: web.AppKey[SettingsStore] = web.AppKey("settings")
#: one started pyrogram.Client per account (``await .get(account)``)
SESSIONS: web.AppKey[SessionManager] = web.AppKey("sessions")
#: the SQLite caches, one database per dialog (``await .dialog(dialog_id, account)``)
CACHE: web.AppKey[CacheManager] = web.AppKey("cache")
#: background work that must finish or be cancelled on shutdown (aiojobs)
JOBS: web.AppKey[aiojobs.Scheduler] = web.AppKey("jobs")
#: open SSE streams, ended with an ``error`` event on shutdown
STREAMS: web.AppKey[set[EventStream]] = web.AppKey("streams")
#: time.monotonic() when the app started (for /health uptime)
STARTED_AT: web.AppKey[float] = web.AppKey("started_at")
#: the OpenAPI document, built once at startup from the route declarations
OPENAPI: web.AppKey[OpenApiDocument] = web.AppKey("openapi")
#: history reads and the fills running for them (``.run(HistoryRequest)``,
#: ``.add_media_listener(fn)``)
HISTORY: web.AppKey[HistoryService] = web.AppKey("history")
#: media downloads: policy, per-account pools, on-demand fetches, repair
#: (``.notice``, ``.settle``, ``.fetch``, ``.repair``, ``.review``)
MEDIA: web.AppKey[MediaService] = web.AppKey("media")
