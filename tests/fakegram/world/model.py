"""The in-memory Telegram world: accounts, users, chats, messages, files, dialogs.

A channel has one `History` shared by everyone; private chats and basic groups have
one history per account ("box"), numbered from the account's own message id sequence,
as on Telegram. Peers and message content live in `peers.py` and `messages.py`; this
module re-exports them, so `world.model` names every class of the world.

Tests do not build these objects by hand: `tests.fakegram.world.builder.WorldBuilder`
is the friendly API; this module keeps the data and its indexes consistent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .messages import (
    DOCUMENT_KINDS,
    Action,
    Document,
    Entity,
    Forward,
    History,
    Media,
    Message,
    Photo,
    PhotoSize,
    Reply,
    WebPage,
    parse_file_reference,
)
from .peers import (
    ZERO_CHANNEL_ID,
    BasicGroup,
    Channel,
    User,
    channel_peer,
    chat_peer,
    peer_kind,
    raw_id,
    user_peer,
)

__all__ = [
    "ARCHIVE",
    "DOCUMENT_KINDS",
    "ZERO_CHANNEL_ID",
    "AccountState",
    "Action",
    "BasicGroup",
    "Channel",
    "Dialog",
    "DialogFilter",
    "Document",
    "Entity",
    "Forward",
    "History",
    "Media",
    "Message",
    "Photo",
    "PhotoSize",
    "Reply",
    "User",
    "WebPage",
    "World",
    "channel_peer",
    "chat_peer",
    "parse_file_reference",
    "peer_kind",
    "raw_id",
    "user_peer",
]

#: folder_id of the archive
ARCHIVE = 1

# --------------------------------------------------------------------------- dialogs


@dataclass
class Dialog:
    """An account's dialog with a peer; its top message comes from the history."""

    peer: int
    #: date the dialog started (joined), used to order dialogs without messages
    date: int = 0
    folder_id: int = 0
    #: messages above this id are unread (the unread count follows from the history)
    read_inbox_max_id: int = 0
    unread_mentions_count: int = 0
    unread_mark: bool = False
    muted: bool = False


@dataclass
class DialogFilter:
    """A custom folder ("dialog filter")."""

    id: int
    title: str
    emoticon: str | None = None
    include_peers: list[int] = field(default_factory=list)
    exclude_peers: list[int] = field(default_factory=list)
    pinned_peers: list[int] = field(default_factory=list)
    contacts: bool = False
    non_contacts: bool = False
    groups: bool = False
    broadcasts: bool = False
    bots: bool = False
    exclude_muted: bool = False
    exclude_read: bool = False
    exclude_archived: bool = False


@dataclass(eq=False)
class AccountState:
    """What only one account has: its message id sequence, boxes, dialogs and folders."""

    user_id: int
    next_message_id: int = 1
    #: private chats and basic groups: peer -> this account's copy of the history
    boxes: dict[int, History] = field(default_factory=dict)
    dialogs: dict[int, Dialog] = field(default_factory=dict)
    #: folder_id -> pinned peers, in pin order
    pinned: dict[int, list[int]] = field(default_factory=dict)
    filters: list[DialogFilter] = field(default_factory=list)

    def box(self, peer: int) -> History:
        history = self.boxes.get(peer)
        if history is None:
            history = self.boxes[peer] = History()
        return history

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


# --------------------------------------------------------------------------- world


class World:
    """Everything the fake Telegram knows. Handlers read it; the builder changes it."""

    def __init__(self, secret: int = 0x5EED) -> None:
        #: every user by id; accounts are the users with `is_account`
        self.users: dict[int, User] = {}
        self.channels: dict[int, Channel] = {}
        self.chats: dict[int, BasicGroup] = {}
        #: photos and documents by id (file locations name them)
        self.files: dict[int, Photo | Document] = {}
        #: account id -> its own state
        self.account_states: dict[int, AccountState] = {}
        #: lowercase username -> marked peer id
        self.usernames: dict[str, int] = {}
        #: bumped whenever a file reference expires (cached media TL is rebuilt)
        self.media_epoch = 0
        #: bumped by every change of messages (search caches compare it)
        self.version = 0
        #: derived data handlers keep per world (e.g. search matches), keyed by version
        self.derived: dict[Any, Any] = {}
        #: next free id per kind ("user", "channel", "chat", "file", "grouped", ...)
        self.counters: dict[str, int] = {}
        self._secret = secret
        self._hashes: dict[tuple[int, int], int] = {}

    def touch(self) -> None:
        """Note that messages changed (the builder calls it after every change)."""
        self.version += 1

    def next_id(self, kind: str, first: int) -> int:
        """A fresh id of `kind` (users, channels, files, ...), starting at `first`."""
        value = max(self.counters.get(kind, first), first)
        self.counters[kind] = value + 1
        return value

    # --- accounts

    def accounts(self) -> list[User]:
        return [user for user in self.users.values() if user.is_account]

    def account_by_phone(self, phone: str) -> User | None:
        """The account with this number, however either side writes it ("+", spaces, dashes)."""
        digits = _phone_digits(phone)
        for user in self.users.values():
            if user.is_account and user.phone and _phone_digits(user.phone) == digits:
                return user
        return None

    def account_by_username(self, username: str) -> User | None:
        peer = self.usernames.get(username.lower().lstrip("@"))
        user = self.users.get(peer) if peer and peer > 0 else None
        return user if user and user.is_account else None

    def state(self, account_id: int) -> AccountState:
        """The account's own state (created on first use)."""
        state = self.account_states.get(account_id)
        if state is None:
            if not self.users[account_id].is_account:
                raise ValueError(f"user {account_id} is not an account")
            state = self.account_states[account_id] = AccountState(account_id)
        return state

    # --- peers

    def add_user(self, user: User) -> User:
        if user.id in self.users:
            raise ValueError(f"user id {user.id} already exists")
        self._claim_username(user.username, user.id)
        self.users[user.id] = user
        if user.is_account:
            self.state(user.id)
        return user

    def add_channel(self, channel: Channel) -> Channel:
        if channel.id in self.channels:
            raise ValueError(f"channel id {channel.id} already exists")
        self._claim_username(channel.username, channel.peer)
        self.channels[channel.id] = channel
        return channel

    def add_chat(self, chat: BasicGroup) -> BasicGroup:
        if chat.id in self.chats:
            raise ValueError(f"chat id {chat.id} already exists")
        self.chats[chat.id] = chat
        return chat

    def _claim_username(self, username: str | None, peer: int) -> None:
        if username is None:
            return
        key = username.lower()
        if key in self.usernames:
            raise ValueError(f"username {username!r} is taken")
        self.usernames[key] = peer

    def peer_object(self, peer: int) -> User | Channel | BasicGroup | None:
        kind = peer_kind(peer)
        if kind == "user":
            return self.users.get(peer)
        if kind == "chat":
            return self.chats.get(-peer)
        return self.channels.get(raw_id(peer))

    def resolve_username(self, username: str) -> User | Channel | None:
        peer = self.usernames.get(username.lower().lstrip("@"))
        return None if peer is None else self.peer_object(peer)  # type: ignore[return-value]

    # --- access

    def access_hash(self, viewer_id: int, peer: int) -> int:
        """The access_hash `viewer_id` gets for a user or channel (stable, per viewer)."""
        key = (viewer_id, peer)
        value = self._hashes.get(key)
        if value is None:
            digest = hashlib.blake2b(
                f"{self._secret}:{viewer_id}:{peer}".encode(), digest_size=8
            ).digest()
            value = self._hashes[key] = int.from_bytes(digest, "little", signed=True) or 1
        return value

    def can_see_channel(self, viewer_id: int, channel: Channel) -> bool:
        return channel.public or viewer_id in channel.members

    def history(self, viewer_id: int, peer: int) -> History:
        """The message list `viewer_id` reads for a peer (shared for channels)."""
        if peer_kind(peer) == "channel":
            channel = self.channels[raw_id(peer)]
            hidden = channel.available_min_id.get(viewer_id)
            return channel.history.after(hidden) if hidden else channel.history
        return self.state(viewer_id).box(peer)

    def box_of(self, message: Message) -> History:
        """The history that holds this copy of a message."""
        if message.owner is None:
            return self.channels[raw_id(message.peer)].history
        return self.state(message.owner).box(message.peer)

    def dialog(self, account_id: int, peer: int) -> Dialog | None:
        return self.state(account_id).dialogs.get(peer)

    def unread_count(self, account_id: int, dialog: Dialog) -> int:
        """Messages of the dialog above its read mark."""
        history = self.history(account_id, dialog.peer)
        return len(history) - history.index_after_id(dialog.read_inbox_max_id)

    def ensure_dialog(self, account_id: int, peer: int, date: int) -> Dialog:
        dialogs = self.state(account_id).dialogs
        dialog = dialogs.get(peer)
        if dialog is None:
            dialog = dialogs[peer] = Dialog(peer, date=date)
        return dialog

    # --- files

    def add_file(self, file: Photo | Document) -> Photo | Document:
        if file.id in self.files:
            raise ValueError(f"file id {file.id} already exists")
        self.files[file.id] = file
        return file

    def expire_file_reference(self, file: Photo | Document) -> None:
        """Make the file's current reference invalid; refetched messages carry a new one."""
        file.reference_generation += 1
        self.media_epoch += 1


def _phone_digits(phone: str) -> str:
    return "".join(char for char in phone if char.isdigit())
