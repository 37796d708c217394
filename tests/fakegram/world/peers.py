"""Peers of the world and their ids.

Peers are named by their Bot-API ("marked") id everywhere in the world: a user is its
id, a basic group is ``-id`` and a channel or supergroup is ``-100…id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .messages import History

ZERO_CHANNEL_ID = -1_000_000_000_000


def user_peer(user_id: int) -> int:
    return user_id


def chat_peer(chat_id: int) -> int:
    return -chat_id


def channel_peer(channel_id: int) -> int:
    return ZERO_CHANNEL_ID - channel_id


def peer_kind(peer: int) -> str:
    """The kind of a marked peer id: "user", "chat" or "channel"."""
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
    #: supergroups: members who join later do not see earlier messages
    hidden_prehistory: bool = False
    #: member -> Telegram's available_min_id for them: they see only messages above it
    #: (set when they join a supergroup with hidden pre-history)
    available_min_id: dict[int, int] = field(default_factory=dict)

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


class PrivateChat(NamedTuple):
    """The private chat of two users (Saved Messages when both are the same account)."""

    a: User
    b: User

    def peer_for(self, user_id: int) -> int:
        """How `user_id` names this chat: by the other party."""
        return self.b.id if user_id == self.a.id else self.a.id


Chat = Channel | BasicGroup | PrivateChat
