"""Dialog state of accounts: read marks, pins, archive, mutes, folders (a WorldBuilder part)."""

from __future__ import annotations

from collections.abc import Iterable

from .model import ARCHIVE, DialogFilter, World
from .peers import Chat, PrivateChat, User


class DialogsMixin:
    """Mixin of WorldBuilder: needs `self.world` and `self.now()`."""

    world: World

    def now(self) -> int:  # pragma: no cover - provided by WorldBuilder
        raise NotImplementedError

    def _peer(self, account: User, chat: Chat | User) -> int:
        if isinstance(chat, PrivateChat):
            return chat.peer_for(account.id)
        return chat.peer

    def read(self, account: User, chat: Chat, *, unread: int = 0) -> None:
        """Mark the chat read for the account, leaving the newest `unread` messages unread."""
        peer = self._peer(account, chat)
        history = self.world.history(account.id, peer)
        dialog = self.world.ensure_dialog(account.id, peer, self.now())
        index = len(history) - unread - 1
        dialog.read_inbox_max_id = history.ids[index] if index >= 0 else 0

    def pin_dialog(self, account: User, chat: Chat) -> None:
        """Pin the dialog on top of its folder (pin order = call order)."""
        peer = self._peer(account, chat)
        dialog = self.world.ensure_dialog(account.id, peer, self.now())
        pinned = self.world.state(account.id).pinned.setdefault(dialog.folder_id, [])
        if peer not in pinned:
            pinned.append(peer)

    def archive(self, account: User, chat: Chat) -> None:
        """Move the dialog to the archive (folder 1), unpinning it."""
        peer = self._peer(account, chat)
        state = self.world.state(account.id)
        dialog = self.world.ensure_dialog(account.id, peer, self.now())
        pinned = state.pinned.get(dialog.folder_id, [])
        if peer in pinned:
            pinned.remove(peer)
        dialog.folder_id = ARCHIVE

    def mute(self, account: User, chat: Chat) -> None:
        peer = self._peer(account, chat)
        self.world.ensure_dialog(account.id, peer, self.now()).muted = True

    def folder(
        self,
        account: User,
        title: str,
        *,
        emoticon: str | None = None,
        include: Iterable[Chat] = (),
        exclude: Iterable[Chat] = (),
        pinned: Iterable[Chat] = (),
        id: int | None = None,
        **flags: bool,
    ) -> DialogFilter:
        """A custom folder; flags: contacts, non_contacts, groups, broadcasts, bots,
        exclude_muted, exclude_read, exclude_archived."""
        state = self.world.state(account.id)
        folder_id = id or max((f.id for f in state.filters), default=1) + 1
        folder = DialogFilter(
            folder_id,
            title,
            emoticon=emoticon,
            include_peers=[self._peer(account, c) for c in include],
            exclude_peers=[self._peer(account, c) for c in exclude],
            pinned_peers=[self._peer(account, c) for c in pinned],
            **flags,
        )
        state.filters.append(folder)
        return folder
