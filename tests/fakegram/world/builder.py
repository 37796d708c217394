"""WorldBuilder: the one API that creates and changes a fakegram world.

Tests, the JSON loader, the demo and the control API all go through it, so the
world's invariants (id sequences, per-account boxes, dialogs, indexes) live here::

    w = WorldBuilder()
    me = w.account("alice", phone="+999661234", password="secret")
    news = w.channel("News", username="news", members=[me])
    w.post(news, "hello", date=1_700_000_000, media=w.photo())
    w.fill(news, 10_000, start=1_700_000_100, step=0.5)   # two messages per second
    dm = w.private(me, w.user("bob"))
    w.post(dm, "hi Alice", sender=dm.b)

Changes made while a client runs (post, edit, delete, expire_file_reference) are
seen by the next request. See tests/fakegram/world/README.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from .dialogs import DialogsMixin
from .media import MediaFactory
from .model import (
    Action,
    BasicGroup,
    Channel,
    Entity,
    Forward,
    History,
    Media,
    Message,
    Reply,
    User,
    World,
)
from .peer_builder import PeersMixin
from .peers import Chat, PrivateChat

__all__ = ["Chat", "PrivateChat", "WorldBuilder"]

_UNSET = object()


class WorldBuilder(PeersMixin, MediaFactory, DialogsMixin):
    """Creates peers, messages, media, dialogs and folders in `self.world`.

    `now`: the date used when a call gives none (default: the current time).
    """

    def __init__(self, world: World | None = None, *, now: int | None = None) -> None:
        self.world = world if world is not None else World()
        self._now = now

    def now(self) -> int:
        return self._now if self._now is not None else int(time.time())

    # ------------------------------------------------------------------ messages

    def _boxes(self, chat: Chat) -> list[tuple[int | None, int, History]]:
        """(owner, peer as the owner names it, history) for every box of the chat."""
        if isinstance(chat, Channel):
            return [(None, chat.peer, chat.history)]
        if isinstance(chat, BasicGroup):
            owners = sorted(m for m in chat.members if self.world.users[m].is_account)
            return [(o, chat.peer, self.world.state(o).box(chat.peer)) for o in owners]
        parties = [chat.a] if chat.a.id == chat.b.id else [chat.a, chat.b]
        return [
            (u.id, chat.peer_for(u.id), self.world.state(u.id).box(chat.peer_for(u.id)))
            for u in parties
            if u.is_account
        ]

    def _default_sender(self, chat: Chat) -> int | None:
        if isinstance(chat, PrivateChat):
            return chat.a.id
        if isinstance(chat, Channel) and not chat.megagroup:
            return None
        if chat.creator_id is not None:
            return chat.creator_id
        return min(chat.members) if chat.members else None

    @staticmethod
    def _reply_in_box(reply_to, quote: str | None, owner: int | None) -> Reply | None:
        if reply_to is None:
            return None
        if isinstance(reply_to, Reply):
            return reply_to
        if isinstance(reply_to, Message):
            target = next((c for c in reply_to.all_copies() if c.owner == owner), reply_to)
            offset = target.text.find(quote) if quote else -1
            return Reply(
                target.id,
                quote_text=quote,
                quote_offset=offset if quote and offset >= 0 else None,
            )
        return Reply(int(reply_to), quote_text=quote)

    def post(
        self,
        chat: Chat,
        text: str = "",
        *,
        sender: User | Channel | None = None,
        date: int | None = None,
        entities: Sequence[Entity] = (),
        media: Media | None = None,
        reply_to: Message | Reply | int | None = None,
        quote: str | None = None,
        fwd: Forward | None = None,
        views: int | None = None,
        forwards: int | None = None,
        replies: int | None = None,
        post_author: str | None = None,
        grouped_id: int | None = None,
        edit_date: int | None = None,
        action: Action | None = None,
        pinned: bool = False,
        silent: bool = False,
        mentioned: bool = False,
        ids: dict[int | None, int] | None = None,
    ) -> Message:
        """Send a message to a chat; returns the sender's copy (or the channel's message).

        `ids` pins the message ids instead of taking the next ones: {None: id} for a
        channel, {account id: id} per box (world files use it to keep ids on reload)."""
        sender_peer = sender.peer if sender is not None else self._default_sender(chat)
        boxes = self._boxes(chat)
        if not boxes:
            raise ValueError("nobody holds this chat: add an account to it first")
        last = max((history.dates[-1] for _, _, history in boxes if history.dates), default=0)
        if date is None:
            date = max(self.now(), last)
        elif date < last:
            raise ValueError(f"date {date} is before the chat's last message ({last})")
        broadcast = isinstance(chat, Channel) and not chat.megagroup
        content = action is None  # service messages have no views or author signature
        if broadcast and content and views is None:
            views = 1
        signed = broadcast and content and chat.signatures and isinstance(sender, User)
        if signed and post_author is None:
            post_author = sender.title
        copies = []
        for owner, peer, history in boxes:
            message_id = self._message_id(owner, history, ids)
            copy = Message(
                message_id,
                date,
                peer,
                owner=owner,
                from_id=None if broadcast else sender_peer,
                out=owner is not None and owner == sender_peer,
                text=text,
                entities=list(entities),
                media=media,
                action=action,
                post=broadcast,
                post_author=post_author,
                views=views,
                forwards=forwards,
                replies=replies,
                reply_to=self._reply_in_box(reply_to, quote, owner),
                fwd=fwd,
                edit_date=edit_date,
                grouped_id=grouped_id,
                pinned=pinned,
                silent=silent,
                mentioned=mentioned,
            )
            history.append(copy)
            if owner is not None:
                dialog = self.world.ensure_dialog(owner, peer, date)
                if copy.out:
                    dialog.read_inbox_max_id = copy.id
            copies.append(copy)
        self._link(copies)
        self.world.touch()
        return next((c for c in copies if c.owner == sender_peer), copies[0])

    def _message_id(self, owner: int | None, history: History, ids: dict | None) -> int:
        if owner is None:
            return ids[None] if ids and None in ids else history.next_id
        state = self.world.state(owner)
        if ids and owner in ids:
            state.next_message_id = max(state.next_message_id, ids[owner] + 1)
            return ids[owner]
        return state.take_message_id()

    @staticmethod
    def _link(copies: list[Message]) -> None:
        if len(copies) > 1:
            for copy in copies:
                copy.copies = [other for other in copies if other is not copy]

    def album(self, chat: Chat, media: Sequence[Media], text: str = "", **kwargs) -> list[Message]:
        """Several media as one album (shared grouped_id); the caption goes on the first."""
        grouped_id = self.world.next_id("grouped", 13_000_000_000_000_001)
        return [
            self.post(chat, text if i == 0 else "", media=item, grouped_id=grouped_id, **kwargs)
            for i, item in enumerate(media)
        ]

    def service(
        self,
        chat: Chat,
        kind: str,
        *,
        sender: User | None = None,
        title: str | None = None,
        users: Iterable[User] = (),
        reply_to: Message | int | None = None,
        date: int | None = None,
        ids: dict[int | None, int] | None = None,
    ) -> Message:
        """A service message ("chat_create", "channel_create", "pin", "chat_add_user", ...)."""
        action = Action(kind, title=title, users=[user.id for user in users])
        return self.post(chat, sender=sender, action=action, reply_to=reply_to, date=date, ids=ids)

    def pin(
        self,
        chat: Chat,
        message: Message,
        *,
        sender: User | None = None,
        date: int | None = None,
        ids: dict[int | None, int] | None = None,
    ) -> Message:
        """Pin a message: marks it pinned and posts the "pinned" service message."""
        for copy in message.all_copies():
            copy.pinned = True
            copy.changed()
        self.world.touch()
        return self.service(chat, "pin", sender=sender, reply_to=message, date=date, ids=ids)

    def forward(
        self,
        message: Message,
        to: Chat,
        *,
        sender: User | None = None,
        date: int | None = None,
        hidden_name: str | None = None,
    ) -> Message:
        """Forward a message (its text and media) with a forward header naming the origin."""
        if hidden_name is not None:
            header = Forward(message.date, from_name=hidden_name)
        elif message.post:
            header = Forward(
                message.date,
                from_peer=message.peer,
                channel_post=message.id,
                post_author=message.post_author,
            )
        else:
            header = Forward(message.date, from_peer=message.from_id)
        return self.post(
            to,
            message.text,
            sender=sender,
            date=date,
            entities=message.entities,
            media=message.media,
            fwd=header,
        )

    def edit(
        self,
        message: Message,
        text: str | None = None,
        *,
        entities: Sequence[Entity] | None = None,
        media: Media | object | None = _UNSET,
        views: int | None = None,
        date: int | None = None,
    ) -> Message:
        """Edit a message in every box; sets edit_date (default: now)."""
        for copy in message.all_copies():
            if text is not None:
                copy.text = text
                copy.entities = list(entities or ())
            elif entities is not None:
                copy.entities = list(entities)
            if media is not _UNSET:
                copy.media = media  # type: ignore[assignment]
            if views is not None:
                copy.views = views
            copy.edit_date = date if date is not None else max(self.now(), copy.date)
            copy.changed()
        self.world.touch()
        return message

    def delete(self, message: Message) -> None:
        """Delete a message for everyone (all its copies)."""
        for copy in message.all_copies():
            self.world.box_of(copy).remove(copy.id)
            copy.changed()
        self.world.touch()

    def fill(
        self,
        chat: Chat,
        count: int,
        *,
        start: int | None = None,
        step: float = 1.0,
        text: str = "Message {i}",
        sender: User | None = None,
        views: int | None = None,
    ) -> list[Message]:
        """Bulk history: `count` text messages dated start, start+step, ... (step may be
        fractional, so several messages share a second); `text` may use {i} (0-based)."""
        boxes = self._boxes(chat)
        last = max((history.dates[-1] for _, _, history in boxes if history.dates), default=0)
        start = max(self.now(), last) if start is None else start
        if start < last:
            raise ValueError(f"start {start} is before the chat's last message ({last})")
        dates = [start + int(i * step) for i in range(count)]
        texts = [text.format(i=i) for i in range(count)] if "{" in text else [text] * count
        broadcast = isinstance(chat, Channel) and not chat.megagroup
        sender_peer = sender.peer if sender is not None else self._default_sender(chat)
        from_id = None if broadcast else sender_peer
        if broadcast and views is None:
            views = 1
        result: list[Message] = []
        per_box = []
        for owner, peer, history in boxes:
            if owner is None:
                first = history.next_id
            else:
                state = self.world.state(owner)
                first = state.next_message_id
                state.next_message_id += count
            ids = list(range(first, first + count))
            out = owner is not None and owner == sender_peer
            messages = [
                Message(i, d, peer, owner, from_id, out, t, post=broadcast, views=views)
                for i, d, t in zip(ids, dates, texts, strict=True)
            ]
            history.extend(ids, dates, messages)
            if owner is not None and count:
                dialog = self.world.ensure_dialog(owner, peer, start)
                if out:
                    dialog.read_inbox_max_id = ids[-1]
            per_box.append(messages)
            if not result or owner == sender_peer:
                result = messages
        if len(per_box) > 1:
            for copies in zip(*per_box, strict=True):
                self._link(list(copies))
        self.world.touch()
        return result
