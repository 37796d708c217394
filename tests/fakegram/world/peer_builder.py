"""Creating users, accounts, bots, channels, groups and private chats (a WorldBuilder part)."""

from __future__ import annotations

from collections.abc import Iterable

from .model import BasicGroup, Channel, User, World
from .peers import PrivateChat

FIRST_USER_ID = 100_000_001
FIRST_CHAT_ID = 500_000_001
FIRST_CHANNEL_ID = 1_100_000_001


class PeersMixin:
    """Mixin of WorldBuilder: needs `self.world` and `self.now()`."""

    world: World

    def now(self) -> int:  # pragma: no cover - provided by WorldBuilder
        raise NotImplementedError

    def _fresh_id(self, kind: str, first: int, taken: dict) -> int:
        while True:
            candidate = self.world.next_id(kind, first)
            if candidate not in taken:
                return candidate

    def account(
        self,
        username: str | None,
        first_name: str | None = None,
        last_name: str = "",
        *,
        phone: str | None = None,
        password: str | None = None,
        hint: str | None = None,
        dc_id: int = 2,
        id: int | None = None,
        premium: bool = False,
    ) -> User:
        """An account: a user the tests can log in as (session files, QR, phone code)."""
        user_id = id or self._fresh_id("user", FIRST_USER_ID, self.world.users)
        return self.world.add_user(
            User(
                user_id,
                first_name or (username or f"User{user_id}").capitalize(),
                last_name,
                username=username,
                phone=phone or f"99966{user_id % 100_000:05d}",
                is_account=True,
                dc_id=dc_id,
                password=password,
                password_hint=hint,
                premium=premium,
            )
        )

    def user(
        self,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str = "",
        *,
        phone: str | None = None,
        id: int | None = None,
        bot: bool = False,
        about: str = "",
        verified: bool = False,
    ) -> User:
        """Someone else: a user the accounts can see but not log in as."""
        user_id = id or self._fresh_id("user", FIRST_USER_ID, self.world.users)
        return self.world.add_user(
            User(
                user_id,
                first_name or (username or f"User{user_id}").capitalize(),
                last_name,
                username=username,
                phone=phone,
                is_bot=bot,
                about=about,
                verified=verified,
            )
        )

    def bot(self, username: str, first_name: str | None = None, **kwargs) -> User:
        return self.user(username, first_name, bot=True, **kwargs)

    def contact(self, account: User, *users: User) -> None:
        account.contacts.update(user.id for user in users)

    def channel(
        self,
        title: str,
        *,
        username: str | None = None,
        members: Iterable[User] = (),
        creator: User | None = None,
        id: int | None = None,
        date: int | None = None,
        about: str = "",
        signatures: bool = False,
        megagroup: bool = False,
        verified: bool = False,
        hidden_prehistory: bool = False,
    ) -> Channel:
        """A broadcast channel: public with a username, else private (members only).
        ``hidden_prehistory`` (supergroups): who joins later sees only what comes after."""
        channel_id = id or self._fresh_id("channel", FIRST_CHANNEL_ID, self.world.channels)
        channel = self.world.add_channel(
            Channel(
                channel_id,
                title,
                date if date is not None else self.now(),
                megagroup=megagroup,
                username=username,
                about=about,
                creator_id=creator.id if creator else None,
                signatures=signatures,
                verified=verified,
                hidden_prehistory=hidden_prehistory,
            )
        )
        self.join(channel, *([creator] if creator else []), *members, date=channel.date)
        return channel

    def supergroup(self, title: str, **kwargs) -> Channel:
        return self.channel(title, megagroup=True, **kwargs)

    def group(
        self,
        title: str,
        *,
        members: Iterable[User] = (),
        creator: User | None = None,
        id: int | None = None,
        date: int | None = None,
    ) -> BasicGroup:
        """A basic group: every member account keeps its own copy of the messages."""
        chat_id = id or self._fresh_id("chat", FIRST_CHAT_ID, self.world.chats)
        chat = self.world.add_chat(
            BasicGroup(
                chat_id,
                title,
                date if date is not None else self.now(),
                creator_id=creator.id if creator else None,
            )
        )
        self.join(chat, *([creator] if creator else []), *members, date=chat.date)
        return chat

    def join(self, chat: Channel | BasicGroup, *users: User, date: int | None = None) -> None:
        """Make users members; accounts get a dialog, read up to the current top. In a
        supergroup with hidden pre-history they see only the messages from now on."""
        for user in users:
            if getattr(chat, "hidden_prehistory", False) and user.id not in chat.members:
                top = chat.history.top()
                if top is not None and user.id != chat.creator_id:
                    chat.available_min_id[user.id] = top.id
            chat.members.add(user.id)
            if user.is_account:
                dialog = self.world.ensure_dialog(
                    user.id, chat.peer, date if date is not None else self.now()
                )
                top = self.world.history(user.id, chat.peer).top()
                dialog.read_inbox_max_id = top.id if top else 0

    def leave(self, chat: Channel | BasicGroup, *users: User) -> None:
        for user in users:
            chat.members.discard(user.id)
            if user.is_account:
                state = self.world.state(user.id)
                state.dialogs.pop(chat.peer, None)
                for pinned in state.pinned.values():
                    if chat.peer in pinned:
                        pinned.remove(chat.peer)

    def private(self, a: User, b: User) -> PrivateChat:
        if not (a.is_account or b.is_account):
            raise ValueError("a private chat needs at least one account to hold it")
        return PrivateChat(a, b)

    def saved(self, account: User) -> PrivateChat:
        """The account's Saved Messages."""
        return self.private(account, account)
