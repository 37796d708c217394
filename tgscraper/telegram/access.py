"""Which chat a ``{dialog}`` names, and whether the account may open it.

Every route that serves a chat's data calls :func:`resolve_dialog` first, before the
cache is even looked at: a channel cached by one account is never served to an account
Telegram would not show it to.

* ``ref`` (from ``tgscraper.dialogs.parse_dialog_ref`` / ``schemas.DialogPath``) is
  resolved to an InputPeer through pyrogram's peer storage or Telegram (a username costs
  ``contacts.resolveUsername`` once).
* The access check asks Telegram for the chat as this account sees it:
  ``channels.getChannels`` (a ``channelForbidden`` answer -> 403), ``messages.getChats``
  (``chatForbidden`` -> 403), ``users.getUsers`` (nothing -> 404). The account's own id
  is its Saved Messages. For a supergroup, ``channels.getFullChannel`` says where its
  history starts for this account (``hidden_up_to``: hidden pre-history, cleared
  history). Telegram's errors (CHANNEL_PRIVATE -> 403, CHANNEL_INVALID /
  PEER_ID_INVALID / USERNAME_NOT_OCCUPIED -> 404) reach the error middleware as they are.
* A positive answer is remembered per account for :data:`ACCESS_TTL_S` seconds, so a
  burst of requests costs one check; negative answers are not remembered. Concurrent
  first requests for the same chat share one check.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from pyrogram import raw

from tgscraper.dialogs import DialogRef, PeerType, dialog_id_of, peer_type_of, raw_peer_id
from tgscraper.search.entries import SAVED_MESSAGES_TITLE
from tgscraper.telegram import gateway
from tgscraper.telegram.convert import public_username
from tgscraper.telegram.gateway import FloodPolicy
from tgscraper.telegram.sessions import SessionManager
from tgscraper.web.appkeys import SESSIONS, SETTINGS
from tgscraper.web.errors import ApiError

#: how long a positive access answer is reused for the same account and chat
ACCESS_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class ResolvedDialog:
    """A chat the account may open."""

    #: Bot-API id (-100… channel/supergroup, -N basic group, N user/bot/Saved Messages)
    dialog_id: int
    #: pyrogram's peer type: "user", "chat" or "channel"
    peer_type: PeerType
    #: what raw TL calls take (InputPeerChannel / InputPeerChat / InputPeerUser / Self)
    input_peer: raw.base.InputPeer
    #: "user", "bot", "saved" (Saved Messages), "group", "supergroup" or "channel"
    kind: str
    title: str | None = None
    username: str | None = None
    #: messages with an id up to this one are hidden from this account (a supergroup it
    #: joined with its pre-history hidden, or whose history it cleared: Telegram's
    #: available_min_id); 0: it sees the whole history
    hidden_up_to: int = 0


_Key = tuple[str, str, int | str]  # (account, "id" | "name", value)


class _AccessCache:
    """Positive answers per account with an expiry, and the checks in flight."""

    def __init__(self) -> None:
        self.entries: dict[_Key, tuple[float, ResolvedDialog]] = {}
        self.pending: dict[_Key, asyncio.Future[ResolvedDialog]] = {}

    def get(self, key: _Key) -> ResolvedDialog | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        expires, dialog = entry
        if expires <= time.monotonic():
            del self.entries[key]
            return None
        return dialog

    def put(self, account: str, dialog: ResolvedDialog, *keys: _Key) -> None:
        expires = time.monotonic() + ACCESS_TTL_S
        for key in (*keys, (account, "id", dialog.dialog_id)):
            self.entries[key] = (expires, dialog)

    def forget(self, account: str, dialog_id: int | None) -> None:
        for key, (_, dialog) in list(self.entries.items()):
            if key[0] == account and dialog_id in (None, dialog.dialog_id):
                del self.entries[key]


_caches: weakref.WeakKeyDictionary[SessionManager, _AccessCache] = weakref.WeakKeyDictionary()


def _cache_of(sessions: SessionManager) -> _AccessCache:
    cache = _caches.get(sessions)
    if cache is None:
        cache = _caches[sessions] = _AccessCache()
    return cache


def _key(account: str, ref: DialogRef) -> _Key:
    if ref.dialog_id is not None:
        return (account, "id", ref.dialog_id)
    return (account, "name", (ref.username or "").lower())


def _sessions_and_policy(
    app_or_sessions: web.Application | SessionManager, policy: FloodPolicy | None
) -> tuple[SessionManager, FloodPolicy]:
    if isinstance(app_or_sessions, SessionManager):
        return app_or_sessions, policy or FloodPolicy(0)
    app = app_or_sessions
    if policy is None:
        policy = FloodPolicy(app[SETTINGS].current.max_flood_wait_s)
    return app[SESSIONS], policy


async def resolve_dialog(
    app_or_sessions: web.Application | SessionManager,
    account: str,
    ref: DialogRef,
    *,
    policy: FloodPolicy | None = None,
) -> ResolvedDialog:
    """The chat ``ref`` names, checked for ``account`` (see the module docstring).

    Raises 403 ``no_access`` / 404 ``not_found`` (ApiError or pyrogram errors the error
    middleware maps), 429 for a flood wait above the policy. ``policy`` defaults to the
    app's ``max_flood_wait_s`` (given an app) or to not waiting (given a SessionManager).
    """
    sessions, policy = _sessions_and_policy(app_or_sessions, policy)
    cache = _cache_of(sessions)
    key = _key(account, ref)
    known = cache.get(key)
    if known is not None:
        return known
    future = cache.pending.get(key)
    if future is None:
        future = asyncio.ensure_future(_check(sessions, account, ref, policy))
        cache.pending[key] = future
        future.add_done_callback(lambda done: _settle(cache, key, account, done))
    # shielded: one caller going away does not abort the check the others wait for
    return await asyncio.shield(future)


def forget_dialog(
    app_or_sessions: web.Application | SessionManager, account: str, dialog_id: int | None = None
) -> None:
    """Drop remembered answers of ``account`` (one chat, or all of them), e.g. after
    Telegram refused a call the check had allowed."""
    sessions, _ = _sessions_and_policy(app_or_sessions, FloodPolicy(0))
    _cache_of(sessions).forget(account, dialog_id)


def _settle(
    cache: _AccessCache, key: _Key, account: str, future: asyncio.Future[ResolvedDialog]
) -> None:
    cache.pending.pop(key, None)
    if future.cancelled() or future.exception() is not None:
        return
    cache.put(account, future.result(), key)


async def _check(
    sessions: SessionManager, account: str, ref: DialogRef, policy: FloodPolicy
) -> ResolvedDialog:
    client = await sessions.get(account)
    peer = await gateway.resolve_peer(client, ref.peer, policy)
    me = client.me
    own_id = me.id if me is not None else None
    if isinstance(peer, raw.types.InputPeerSelf):
        dialog_id = ref.dialog_id if ref.dialog_id is not None else own_id
    else:
        dialog_id = dialog_id_of(peer)
    if dialog_id is None:
        raise ApiError(404, "not_found", "Telegram does not know that chat.")
    if dialog_id == own_id:  # described as every endpoint describes it
        return ResolvedDialog(dialog_id, "user", peer, "saved", SAVED_MESSAGES_TITLE, None)
    peer_type = peer_type_of(dialog_id)
    if peer_type == "channel":
        found = await gateway.get_channel(client, peer, policy)
        dialog = _channel_dialog(dialog_id, peer, found)
        if dialog.kind == "supergroup":  # its history may start later for this account
            full = await gateway.get_full_channel(client, peer, policy)
            return replace(dialog, hidden_up_to=full.available_min_id or 0)
        return dialog
    if peer_type == "chat":
        found = await gateway.get_basic_group(client, raw_peer_id(dialog_id), policy)
        return _group_dialog(dialog_id, peer, found)
    found = await gateway.get_user(client, peer, policy)
    if found is None:
        raise _not_found(dialog_id)
    kind = "bot" if found.bot else "user"
    return ResolvedDialog(dialog_id, "user", peer, kind, _full_name(found), public_username(found))


def _channel_dialog(dialog_id: int, peer: Any, found: Any) -> ResolvedDialog:
    if isinstance(found, raw.types.ChannelForbidden):
        raise _no_access(dialog_id, found.title)
    if not isinstance(found, raw.types.Channel):
        raise _not_found(dialog_id)
    kind = "supergroup" if found.megagroup else "channel"
    return ResolvedDialog(dialog_id, "channel", peer, kind, found.title, public_username(found))


def _group_dialog(dialog_id: int, peer: Any, found: Any) -> ResolvedDialog:
    if isinstance(found, raw.types.ChatForbidden):
        raise _no_access(dialog_id, found.title)
    if not isinstance(found, raw.types.Chat):
        raise _not_found(dialog_id)
    return ResolvedDialog(dialog_id, "chat", peer, "group", found.title, None)


def _no_access(dialog_id: int, title: str | None) -> ApiError:
    name = f"{title!r} ({dialog_id})" if title else str(dialog_id)
    return ApiError(403, "no_access", f"This account has no access to the chat {name}.")


def _not_found(dialog_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Telegram does not know the chat {dialog_id}.")


def _full_name(user: Any) -> str | None:
    parts = [getattr(user, "first_name", None), getattr(user, "last_name", None)]
    return " ".join(part for part in parts if part) or None
