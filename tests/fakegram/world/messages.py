"""Message content: media, entities, replies, forwards, service actions, and History,
one box's message list ordered by id with dates that never decrease (paging bisects).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


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

    def after(self, message_id: int) -> History:
        """A copy holding only the messages above ``message_id`` (what a member whose
        history starts there reads)."""
        i = bisect_right(self.ids, message_id)
        view = History()
        view.ids, view.dates, view.messages = self.ids[i:], self.dates[i:], self.messages[i:]
        view.next_id = self.next_id
        return view

    def index_after_id(self, message_id: int) -> int:
        """Index of the first message with id > message_id."""
        return bisect_right(self.ids, message_id)

    def index_of_date(self, date: int) -> int:
        """Index of the first message with date >= date."""
        return bisect_left(self.dates, date)

    def index_after_date(self, date: int) -> int:
        """Index of the first message with date > date."""
        return bisect_right(self.dates, date)
