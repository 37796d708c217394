"""An account's dialogs (ordered as Telegram lists them) and folders as raw TL."""

from __future__ import annotations

from dataclasses import dataclass

from pyrogram import raw

from ..world.model import Dialog, DialogFilter, Message, World
from .layer import newer_fields
from .peers import input_peer_tl, peer_tl

_NOTIFY = raw.types.PeerNotifySettings()
_MUTED = raw.types.PeerNotifySettings(mute_until=2**31 - 1)


@dataclass
class ListedDialog:
    dialog: Dialog
    top: Message | None
    pinned: bool

    @property
    def date(self) -> int:
        return self.top.date if self.top is not None else self.dialog.date

    @property
    def top_id(self) -> int:
        return self.top.id if self.top is not None else 0


def list_dialogs(
    world: World, account: int, folder_id: int | None, exclude_pinned: bool = False
) -> list[ListedDialog]:
    """Dialogs of one folder (None: all folders): pinned first in pin order (unless
    excluded), then the others by their top message, newest first."""
    state = world.state(account)
    pinned_peers = state.pinned.get(folder_id or 0, [])
    listed = []
    for peer, dialog in state.dialogs.items():
        if folder_id is not None and dialog.folder_id != folder_id:
            continue
        top = world.history(account, peer).top()
        is_pinned = peer in state.pinned.get(dialog.folder_id, ())
        listed.append(ListedDialog(dialog, top, is_pinned))
    by_peer = {item.dialog.peer: item for item in listed}
    pinned = [by_peer[peer] for peer in pinned_peers if peer in by_peer]
    pinned_set = {item.dialog.peer for item in pinned}
    rest = [item for item in listed if item.dialog.peer not in pinned_set]
    rest.sort(key=lambda item: (item.date, item.top_id, item.dialog.peer), reverse=True)
    return rest if exclude_pinned else pinned + rest


def dialog_tl(world: World, account: int, item: ListedDialog) -> raw.types.Dialog:
    dialog = item.dialog
    top_id = item.top_id
    return raw.types.Dialog(
        peer=peer_tl(dialog.peer),
        top_message=top_id,
        read_inbox_max_id=min(dialog.read_inbox_max_id, top_id),
        read_outbox_max_id=top_id,
        unread_count=world.unread_count(account, dialog),
        unread_mentions_count=dialog.unread_mentions_count,
        unread_reactions_count=0,
        **newer_fields(raw.types.Dialog, unread_poll_votes_count=0),  # since layer 224
        notify_settings=_MUTED if dialog.muted else _NOTIFY,
        pinned=item.pinned,
        unread_mark=dialog.unread_mark,
        folder_id=dialog.folder_id or None,
        pts=1 if dialog.peer < -999_999_999_999 else None,
    )


def filter_tl(world: World, account: int, folder: DialogFilter) -> raw.types.DialogFilter:
    def peers(values: list[int]) -> list[raw.base.InputPeer]:
        return [input_peer_tl(world, account, peer) for peer in values]

    return raw.types.DialogFilter(
        id=folder.id,
        title=raw.types.TextWithEntities(text=folder.title, entities=[]),
        pinned_peers=peers(folder.pinned_peers),
        include_peers=peers(folder.include_peers),
        exclude_peers=peers(folder.exclude_peers),
        contacts=folder.contacts,
        non_contacts=folder.non_contacts,
        groups=folder.groups,
        broadcasts=folder.broadcasts,
        bots=folder.bots,
        exclude_muted=folder.exclude_muted,
        exclude_read=folder.exclude_read,
        exclude_archived=folder.exclude_archived,
        emoticon=folder.emoticon,
    )
