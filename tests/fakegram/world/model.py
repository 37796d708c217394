"""The in-memory Telegram world: accounts, users, chats, messages, files, dialogs.

Peers are named by their Bot-API ("marked") id everywhere in the world: a user is its
id, a basic group is ``-id`` and a channel or supergroup is ``-100…id`` (see
`channel_peer`). Message lists are `History` objects, ordered by id with dates that
never decrease, so paging is a bisect. A channel has one history shared by everyone;
private chats and basic groups have one history per account ("box"), numbered from the
account's own message id sequence, as on Telegram.

Tests do not build these objects by hand: `tests.fakegram.world.builder.WorldBuilder`
is the friendly API; this module keeps the data and its indexes consistent.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ZERO_CHANNEL_ID = -1_000_000_000_000
#: folder_id of the archive
ARCHIVE = 1


def user_peer(user_id: int) -> int:
    return user_id


def chat_peer(chat_id: int) -> int:
    return -chat_id


def channel_peer(channel_id: int) -> int:
    return ZERO_CHANNEL_ID - channel_id


def peer_kind(peer: int) -> str:
    """ "user", "chat" or "channel" for a marked peer id."""
    if peer > 0:
        return "user"
    if peer >= -999_999_999_999:
        return "chat"
    return "channel"


def raw_id(peer: int) -> int:
    """The Telegram (unmarked) id of a marked peer id."""
    if peer > 0:
        return peer
    if peer >= -999_999_999_999:
        return -peer
    return ZERO_CHANNEL_ID - peer


# --------------------------------------------------------------------------- peers


@dataclass(eq=False)
class User:
    """A Telegram user; `is_account` marks the ones that can log in (the test's accounts)."""

    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    phone: str | None = None
    is_account: bool = False
    is_bot: bool = False
    #: home DC of an account (where its sessions live)
    dc_id: int = 2
    #: 2FA password of an account (None: no 2FA) and its hint
    password: str | None = None
    password_hint: str | None = None
    about: str = ""
    verified: bool = False
    premium: bool = False
    #: user ids this user has in its contacts
    contacts: set[int] = field(default_factory=set)

    @property
    def peer(self) -> int:
        return self.id

    @property
    def title(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(eq=False)
class Channel:
    """A broadcast channel (`megagroup` False) or a supergroup (`megagroup` True)."""

    id: int
    title: str
    date: int
    megagroup: bool = False
    username: str | None = None
    about: str = ""
    creator_id: int | None = None
    #: show post authors (broadcast channels)
    signatures: bool = False
    verified: bool = False
    members: set[int] = field(default_factory=set)
    history: History = field(default_factory=lambda: History())

    @property
    def peer(self) -> int:
        return channel_peer(self.id)

    @property
    def public(self) -> bool:
        return self.username is not None


@dataclass(eq=False)
class BasicGroup:
    """A legacy group ("chat"); each member account has its own copy of its messages."""

    id: int
    title: str
    date: int
    creator_id: int | None = None
    members: set[int] = field(default_factory=set)
    about: str = ""

    @property
    def peer(self) -> int:
        return chat_peer(self.id)


# --------------------------------------------------------------------------- media


def _file_reference(file_id: int, generation: int) -> bytes:
    return b"\x02" + file_id.to_bytes(8, "little", signed=True) + generation.to_bytes(4, "little")


def parse_file_reference(reference: bytes) -> tuple[int, int] | None:
    """(file id, generation) of a reference this world made, else None."""
    if len(reference) != 13 or reference[0] != 2:
        return None
    return (
        int.from_bytes(reference[1:9], "little", signed=True),
        int.from_bytes(reference[9:], "little"),
    )


@dataclass(eq=False)
class PhotoSize:
    """One stored size of a photo or thumbnail ("s", "m", "x", "y", ...)."""

    type: str
    w: int
    h: int
    size: int
    seed: int


@dataclass(eq=False)
class Photo:
    id: int
    access_hash: int
    date: int
    dc_id: int
    sizes: list[PhotoSize]
    #: the seed the sizes' seeds derive from
    seed: int = 0
    reference_generation: int = 0

    @property
    def file_reference(self) -> bytes:
        return _file_reference(self.id, self.reference_generation)


#: document kinds and the attributes they carry
DOCUMENT_KINDS = ("document", "video", "round", "voice", "audio", "sticker", "gif")


@dataclass(eq=False)
class Document:
    """A file message: plain document, video, round video, voice, audio, sticker or GIF."""

    id: int
    access_hash: int
    date: int
    dc_id: int
    size: int
    seed: int
    mime_type: str
    kind: str = "document"
    file_name: str | None = None
    duration: float = 0
    w: int = 0
    h: int = 0
    title: str | None = None
    performer: str | None = None
    emoji: str | None = None
    thumbs: list[PhotoSize] = field(default_factory=list)
    reference_generation: int = 0

    @property
    def file_reference(self) -> bytes:
        return _file_reference(self.id, self.reference_generation)


@dataclass(eq=False)
class WebPage:
    """A link preview."""

    id: int
    url: str
    display_url: str
    site_name: str | None = None
    title: str | None = None
    description: str | None = None
    photo: Photo | None = None


Media = Photo | Document | WebPage


# --------------------------------------------------------------------------- messages


@dataclass
class Entity:
    """A text entity: kind is Telegram's name without the prefix ("bold", "text_url", ...)."""

    kind: str
    offset: int
    length: int
    url: str | None = None
    user_id: int | None = None
    language: str | None = None


@dataclass
class Reply:
    msg_id: int
    quote_text: str | None = None
    quote_offset: int | None = None
    top_id: int | None = None


@dataclass
class Forward:
    """Where a forwarded message came from: a peer (user or channel) or a hidden name."""

    date: int
    from_peer: int | None = None
    from_name: str | None = None
    channel_post: int | None = None
    post_author: str | None = None


@dataclass
class Action:
    """A service message action: kind is e.g. "chat_create", "channel_create", "pin",
    "chat_add_user", "chat_delete_user", "chat_edit_title", "chat_joined_by_link"."""

    kind: str
    title: str | None = None
    users: list[int] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Message:
    """One message as one box sees it (a channel's history, or an account's copy)."""

    id: int
    date: int
    #: the chat the message is in, as the owner of the box names it (marked id);
    #: for a private chat that is the other user, for Saved Messages the account itself
    peer: int
    #: the account whose box holds this copy (None: a channel's shared history)
    owner: int | None = None
    from_id: int | None = None
    out: bool = False
    text: str = ""
    entities: list[Entity] = field(default_factory=list)
    media: Media | None = None
    action: Action | None = None
    post: bool = False
    post_author: str | None = None
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reply_to: Reply | None = None
    fwd: Forward | None = None
    edit_date: int | None = None
    grouped_id: int | None = None
    pinned: bool = False
    mentioned: bool = False
    silent: bool = False
    #: the same message in the other boxes (private chats and basic groups)
    copies: list[Message] = field(default_factory=list)
    #: cached TL object(s) built from this message; cleared by every change
    cache: dict[Any, Any] = field(default_factory=dict)

    def changed(self) -> None:
        self.cache.clear()

    def all_copies(self) -> list[Message]:
        return [self, *self.copies]


class History:
    """Messages of one box ordered by id; dates never decrease, so both bisect."""

    __slots__ = ("dates", "ids", "messages", "next_id")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.dates: list[int] = []
        self.messages: list[Message] = []
        #: the next id of a channel's own sequence (unused for account boxes)
        self.next_id = 1

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def append(self, message: Message) -> None:
        if self.ids and message.id <= self.ids[-1]:
            raise ValueError(f"message id {message.id} is not above {self.ids[-1]}")
        if self.dates and message.date < self.dates[-1]:
            raise ValueError(
                f"message date {message.date} is before the last one ({self.dates[-1]}): "
                "a chat's dates never decrease with its ids"
            )
        self.ids.append(message.id)
        self.dates.append(message.date)
        self.messages.append(message)
        self.next_id = max(self.next_id, message.id + 1)

    def extend(self, ids: list[int], dates: list[int], messages: list[Message]) -> None:
        """Bulk append of already ordered messages (the fast path of `fill`)."""
        if not ids:
            return
        if self.ids and (ids[0] <= self.ids[-1] or dates[0] < self.dates[-1]):
            raise ValueError("bulk messages must come after the history's last message")
        self.ids.extend(ids)
        self.dates.extend(dates)
        self.messages.extend(messages)
        self.next_id = max(self.next_id, ids[-1] + 1)

    def get(self, message_id: int) -> Message | None:
        i = bisect_left(self.ids, message_id)
        if i < len(self.ids) and self.ids[i] == message_id:
            return self.messages[i]
        return None

    def remove(self, message_id: int) -> Message | None:
        i = bisect_left(self.ids, message_id)
        if i < len(self.ids) and self.ids[i] == message_id:
            del self.ids[i], self.dates[i]
            return self.messages.pop(i)
        return None

    def top(self) -> Message | None:
        return self.messages[-1] if self.messages else None

    def index_of_id(self, message_id: int) -> int:
        """Index of the first message with id >= message_id."""
        return bisect_left(self.ids, message_id)

    def index_after_id(self, message_id: int) -> int:
        """Index of the first message with id > message_id."""
        return bisect_right(self.ids, message_id)

    def index_of_date(self, date: int) -> int:
        """Index of the first message with date >= date."""
        return bisect_left(self.dates, date)

    def index_after_date(self, date: int) -> int:
        """Index of the first message with date > date."""
        return bisect_right(self.dates, date)


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
        digits = phone.lstrip("+").replace(" ", "")
        for user in self.users.values():
            if user.is_account and user.phone and user.phone.lstrip("+") == digits:
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
            return self.channels[raw_id(peer)].history
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
