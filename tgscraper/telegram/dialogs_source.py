"""An account's dialog list and custom folders from Telegram, kept for a while per account.

``DialogDirectory`` (one per app, ``DIALOG_DIRECTORY``) answers
``await directory.dialogs(account, policy, ttl=, refresh=)`` and
``await directory.folders(account, policy, ...)`` (``policy``: the gateway's flood-wait
policy).
Each is fetched once per account and kept ``ttl`` seconds (``dialogs_cache_ttl_s``), so
paging through search results does not refetch thousands of dialogs; concurrent callers
share one fetch; ``refresh=True`` fetches anew.

Paging messages.getDialogs (as Telegram's own clients do): a page of 100, then the next
one after the last dialog of the page: ``offset_peer`` = that dialog, ``offset_date`` /
``offset_id`` = the date and id of the last top message on the page, pinned dialogs
excluded after the first page (they come first and only once). Dialogs are keyed by
peer, so one Telegram repeats is kept once; the walk ends with an answer that is not a
slice, a short page, or a page with no new dialog (a slice's ``count`` is not used: with
``exclude_pinned`` it may leave the pinned dialogs out). Without
``folder_id`` Telegram lists archived dialogs too (``is_archived`` comes from each
dialog's folder); ``dialogFolder`` entries (the archive shown as a chat) are skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import pyrogram
from pyrogram import raw, utils

from tgscraper.search.entries import (
    SAVED_MESSAGES_TITLE,
    DialogEntry,
    Folder,
    preview_text,
)
from tgscraper.telegram.convert import action_name, classify_document, public_username
from tgscraper.telegram.gateway import FloodPolicy, invoke

PAGE_SIZE = 100
T = TypeVar("T")

_DOCUMENT_KINDS = {
    "photos": "photo",
    "videos": "video",
    "voice_messages": "voice message",
    "video_messages": "video message",
    "stickers": "sticker",
    "gifs": "GIF",
    "files": "file",
}


class TtlCache(Generic[T]):
    """Values by key, each kept ``ttl`` seconds; concurrent loads of a key share one, and
    of overlapping loads (a refresh during a load) the one started last is kept."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._values: dict[Hashable, tuple[float, int, T]] = {}
        self._loading: dict[Hashable, asyncio.Task[T]] = {}
        self._loads = itertools.count()

    async def get(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        *,
        ttl: float,
        refresh: bool = False,
    ) -> T:
        stored = self._values.get(key)
        if stored is not None and not refresh and self._clock() - stored[0] < ttl:
            return stored[2]
        task = self._loading.get(key)
        if task is None or refresh:
            started = (self._clock(), next(self._loads))
            task = asyncio.ensure_future(self._load(key, load, started))
            self._loading[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # shield: a caller that gives up does not abort the fetch the others wait for
        return await asyncio.shield(task)

    async def _load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], started: tuple[float, int]
    ) -> T:
        value = await load()
        kept = self._values.get(key)
        if kept is None or kept[1] < started[1]:  # a slower, older load never wins
            self._values[key] = (*started, value)
        return value

    def _forget(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]
        if not task.cancelled():
            task.exception()  # retrieved, in case every waiter went away


class DialogDirectory:
    """Per-account dialog lists and folders (see the module docstring)."""

    def __init__(self, client_of: Callable[[str], Awaitable[pyrogram.Client]]):
        self._client_of = client_of
        self._dialogs: TtlCache[list[DialogEntry]] = TtlCache()
        self._folders: TtlCache[list[Folder]] = TtlCache()

    async def dialogs(
        self, account: str, policy: FloodPolicy, *, ttl: float, refresh: bool = False
    ) -> list[DialogEntry]:
        async def load() -> list[DialogEntry]:
            return await fetch_dialogs(await self._client_of(account), policy)

        return await self._dialogs.get(account, load, ttl=ttl, refresh=refresh)

    async def folders(
        self, account: str, policy: FloodPolicy, *, ttl: float, refresh: bool = False
    ) -> list[Folder]:
        async def load() -> list[Folder]:
            return await fetch_folders(await self._client_of(account), policy)

        return await self._folders.get(account, load, ttl=ttl, refresh=refresh)


async def fetch_dialogs(client: pyrogram.Client, policy: FloodPolicy) -> list[DialogEntry]:
    """Every dialog of the account, each once, in Telegram's order (pinned first)."""
    me_id = client.me.id
    found: dict[int, DialogEntry] = {}
    request = raw.functions.messages.GetDialogs(
        offset_date=0, offset_id=0, offset_peer=raw.types.InputPeerEmpty(), limit=PAGE_SIZE, hash=0
    )
    while True:
        answer = await invoke(client, request, policy)
        if isinstance(answer, raw.types.messages.DialogsNotModified):
            break
        objects = PeerObjects(answer)
        tops = {(utils.get_peer_id(m.peer_id), m.id): m for m in answer.messages if m.peer_id}
        dialogs = [d for d in answer.dialogs if isinstance(d, raw.types.Dialog)]
        new = 0
        for dialog in dialogs:
            dialog_id = utils.get_peer_id(dialog.peer)
            if dialog_id in found:
                continue
            top = tops.get((dialog_id, dialog.top_message))
            found[dialog_id] = entry_of(dialog, objects.get(dialog_id), top, me_id)
            new += 1
        complete = not isinstance(answer, raw.types.messages.DialogsSlice)
        if complete or not new or len(answer.dialogs) < request.limit:
            break
        last_top = next(
            (m for d in reversed(dialogs) if (m := tops.get(_top_key(d))) is not None), None
        )
        request.exclude_pinned = True
        request.offset_peer = objects.input_peer(utils.get_peer_id(dialogs[-1].peer))
        request.offset_id = last_top.id if last_top else 0
        request.offset_date = last_top.date if last_top else 0
    return list(found.values())


async def fetch_folders(client: pyrogram.Client, policy: FloodPolicy) -> list[Folder]:
    """The account's custom folders (messages.getDialogFilters), in its order."""
    answer = await invoke(client, raw.functions.messages.GetDialogFilters(), policy)
    filters = getattr(answer, "filters", answer)  # messages.dialogFilters, or a bare vector
    me_id = client.me.id
    return [folder_of(item, me_id) for item in filters if hasattr(item, "include_peers")]


def folder_of(item: Any, me_id: int) -> Folder:
    """A raw DialogFilter / DialogFilterChatlist as a Folder."""
    title = item.title.text if hasattr(item.title, "text") else str(item.title)
    pinned = [_input_peer_id(peer, me_id) for peer in item.pinned_peers]
    included = [_input_peer_id(peer, me_id) for peer in item.include_peers]
    excluded = [_input_peer_id(peer, me_id) for peer in getattr(item, "exclude_peers", None) or ()]
    flags = {
        name: bool(getattr(item, name, False))
        for name in (
            "contacts",
            "non_contacts",
            "groups",
            "broadcasts",
            "bots",
            "exclude_muted",
            "exclude_read",
            "exclude_archived",
        )
    }
    return Folder(
        id=item.id,
        title=title,
        emoticon=item.emoticon or None,
        included=tuple(dict.fromkeys(peer for peer in pinned + included if peer is not None)),
        excluded=frozenset(peer for peer in excluded if peer is not None),
        **flags,
    )


class PeerObjects:
    """The users and chats of one answer, by Bot-API id."""

    def __init__(self, answer: Any):
        self.by_id: dict[int, Any] = {user.id: user for user in getattr(answer, "users", ())}
        for chat in getattr(answer, "chats", ()):
            self.by_id[_chat_id(chat)] = chat

    def get(self, dialog_id: int) -> Any:
        return self.by_id.get(dialog_id)

    def input_peer(self, dialog_id: int) -> raw.base.InputPeer:
        """The InputPeer of a chat of this answer (with the account's access hash)."""
        return input_peer_for(dialog_id, self.access_hash(dialog_id))

    def access_hash(self, dialog_id: int) -> int:
        return getattr(self.by_id.get(dialog_id), "access_hash", None) or 0


def input_peer_for(dialog_id: int, access_hash: int) -> raw.base.InputPeer:
    """The InputPeer of a Bot-API id with the account's access hash (0 for basic groups)."""
    peer_type = utils.get_peer_type(dialog_id)
    if peer_type == "user":
        return raw.types.InputPeerUser(user_id=dialog_id, access_hash=access_hash)
    if peer_type == "chat":
        return raw.types.InputPeerChat(chat_id=-dialog_id)
    return raw.types.InputPeerChannel(
        channel_id=utils.get_raw_peer_id(dialog_id), access_hash=access_hash
    )


def entry_of(dialog: Any, peer_object: Any, top: Any, me_id: int) -> DialogEntry:
    """A DialogEntry from a raw Dialog, its user or chat, and its top message."""
    dialog_id = utils.get_peer_id(dialog.peer)
    notify = getattr(dialog, "notify_settings", None)
    mute_until = getattr(notify, "mute_until", None) or 0
    return DialogEntry(
        **describe_peer(dialog_id, peer_object, me_id),
        is_archived=getattr(dialog, "folder_id", None) == 1,
        unread_count=dialog.unread_count or 0,
        last_message_date=top.date if top is not None else None,
        last_message_preview=preview_of(top),
        is_muted=mute_until > time.time(),
        is_marked_unread=bool(dialog.unread_mark),
        unread_mentions_count=dialog.unread_mentions_count or 0,
    )


def describe_peer(dialog_id: int, peer_object: Any, me_id: int) -> dict[str, Any]:
    """What a user or chat object says about a dialog: the DialogEntry fields id, type,
    title, username, is_verified, is_creator, participants_count, full_name, is_contact."""
    described: dict[str, Any] = {
        "id": dialog_id,
        "username": public_username(peer_object),
        "is_verified": bool(getattr(peer_object, "verified", False)),
    }
    peer_type = utils.get_peer_type(dialog_id)
    if peer_type == "user":
        names = (getattr(peer_object, "first_name", None), getattr(peer_object, "last_name", None))
        full_name = " ".join(part for part in names if part) or None
        saved = dialog_id == me_id
        if saved:  # the account's own chat: no public handle of its own
            kind, title, described["username"] = "saved", SAVED_MESSAGES_TITLE, None
        else:
            kind = "bot" if getattr(peer_object, "bot", False) else "user"
            deleted = bool(getattr(peer_object, "deleted", False))
            title = full_name or ("Deleted Account" if deleted else str(dialog_id))
        described.update(
            type=kind,
            title=title,
            full_name=full_name,
            is_contact=bool(getattr(peer_object, "contact", False)),
        )
        return described
    if peer_type == "chat":
        kind = "group"
    elif getattr(peer_object, "megagroup", False) or getattr(peer_object, "gigagroup", False):
        kind = "supergroup"
    else:
        kind = "channel"
    described.update(
        type=kind,
        title=getattr(peer_object, "title", None) or str(dialog_id),
        is_creator=bool(getattr(peer_object, "creator", False)),
        participants_count=getattr(peer_object, "participants_count", None),
    )
    return described


def preview_of(message: Any) -> str | None:
    """A top message as a preview: its text (or caption), else ``[photo]``, ``[file]``,
    ``[poll]``... for media and ``[pin_message]``... for service messages."""
    if message is None or isinstance(message, raw.types.MessageEmpty):
        return None
    if isinstance(message, raw.types.MessageService):
        return f"[{action_name(type(message.action))}]"
    text = preview_text(message.message)
    if text is not None or message.media is None:
        return text
    return f"[{media_kind(message.media)}]"


def media_kind(media: Any) -> str:
    if isinstance(media, raw.types.MessageMediaPhoto):
        return "photo"
    if isinstance(media, raw.types.MessageMediaDocument) and isinstance(
        media.document, raw.types.Document
    ):
        return _DOCUMENT_KINDS[classify_document(media.document)[0]]
    return type(media).__name__.removeprefix("MessageMedia").lower() or "media"


def _top_key(dialog: Any) -> tuple[int, int]:
    return utils.get_peer_id(dialog.peer), dialog.top_message


def _chat_id(chat: Any) -> int:
    if isinstance(chat, raw.types.Chat | raw.types.ChatForbidden | raw.types.ChatEmpty):
        return -chat.id
    return utils.get_channel_id(chat.id)


def _input_peer_id(peer: Any, me_id: int) -> int | None:
    """The Bot-API id of a raw InputPeer of a folder (None for InputPeerEmpty)."""
    if isinstance(peer, raw.types.InputPeerSelf):
        return me_id
    if isinstance(peer, raw.types.InputPeerUser):
        return peer.user_id
    if isinstance(peer, raw.types.InputPeerChat):
        return -peer.chat_id
    if isinstance(peer, raw.types.InputPeerChannel):
        return utils.get_channel_id(peer.channel_id)
    return None
