"""Everything GET /api/v3/dialogs/{dialog} tells about one chat, from Telegram.

Three requests after the access check: ``messages.getPeerDialogs`` (the dialog as the
list shows it: unread count, archive, top message), the full object
(``users.getFullUser`` / ``messages.getFullChat`` / ``channels.getFullChannel``: about,
linked chat, exact member count) and ``messages.getHistory`` of one message (Telegram's
message count, the cheap way).

``created_date``: a basic group's creation date; for a channel or supergroup Telegram's
date is its creation date only when the account created it or is not a member (for
members it is the join date), so it is left out for them. Users have none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyrogram
from pyrogram import raw, utils

from tgscraper.search.entries import DialogEntry, preview_text
from tgscraper.telegram import gateway
from tgscraper.telegram.access import ResolvedDialog
from tgscraper.telegram.dialogs_source import PeerObjects, describe_peer, entry_of
from tgscraper.telegram.gateway import FloodPolicy, invoke


@dataclass(frozen=True, slots=True)
class DialogDetails:
    entry: DialogEntry
    description: str | None
    linked_chat_id: int | None
    created_date: int | None


async def fetch_details(
    client: pyrogram.Client, dialog: ResolvedDialog, policy: FloodPolicy
) -> DialogDetails:
    me_id = client.me.id
    full = await _full_object(client, dialog, policy)
    entry = await _dialog_entry(client, dialog, policy, me_id, full.peer_object)
    history = await gateway.get_history(
        client, dialog.input_peer, dialog.dialog_id, policy, limit=1
    )
    message_count = history.count if history.count is not None else len(history.message_ids)
    participants = full.participants_count or entry.participants_count
    entry = replace(entry, message_count=message_count, participants_count=participants)
    if entry.last_message_date is None and history.batch.records:  # no dialog: not joined
        newest = max(history.batch.records, key=lambda record: record.message_id)
        entry = replace(
            entry,
            last_message_date=newest.date,
            last_message_preview=preview_text(newest.message)
            or (f"[{newest.media_type}]" if newest.media_type else None),
        )
    return DialogDetails(
        entry, full.about or None, full.linked_chat_id, _created_date(dialog, entry, full)
    )


@dataclass(frozen=True, slots=True)
class _Full:
    peer_object: Any
    about: str | None = None
    linked_chat_id: int | None = None
    participants_count: int | None = None


async def _full_object(
    client: pyrogram.Client, dialog: ResolvedDialog, policy: FloodPolicy
) -> _Full:
    peer = dialog.input_peer
    if dialog.peer_type == "user":
        user = (
            raw.types.InputUserSelf()
            if isinstance(peer, raw.types.InputPeerSelf)
            else raw.types.InputUser(user_id=peer.user_id, access_hash=peer.access_hash)
        )
        answer = await invoke(client, raw.functions.users.GetFullUser(id=user), policy)
        return _Full(PeerObjects(answer).get(dialog.dialog_id), answer.full_user.about)
    if dialog.peer_type == "chat":
        query = raw.functions.messages.GetFullChat(chat_id=peer.chat_id)
    else:
        channel = raw.types.InputChannel(channel_id=peer.channel_id, access_hash=peer.access_hash)
        query = raw.functions.channels.GetFullChannel(channel=channel)
    answer = await invoke(client, query, policy)
    full = answer.full_chat
    linked = getattr(full, "linked_chat_id", None)
    participants = getattr(full, "participants_count", None)
    if participants is None and isinstance(full, raw.types.ChatFull):
        participants = len(getattr(full.participants, "participants", None) or []) or None
    return _Full(
        PeerObjects(answer).get(dialog.dialog_id),
        full.about,
        utils.get_channel_id(linked) if linked else None,
        participants,
    )


async def _dialog_entry(
    client: pyrogram.Client,
    dialog: ResolvedDialog,
    policy: FloodPolicy,
    me_id: int,
    peer_object: Any,
) -> DialogEntry:
    """The dialog as getPeerDialogs lists it; a chat the account has no dialog with (a
    public channel it never joined) is described from its object alone."""
    query = raw.functions.messages.GetPeerDialogs(
        peers=[raw.types.InputDialogPeer(peer=dialog.input_peer)]
    )
    answer = await invoke(client, query, policy)
    objects = PeerObjects(answer)
    for item in answer.dialogs:
        if isinstance(item, raw.types.Dialog) and utils.get_peer_id(item.peer) == dialog.dialog_id:
            top = next(
                (
                    m
                    for m in answer.messages
                    if m.id == item.top_message and utils.get_peer_id(m.peer_id) == dialog.dialog_id
                ),
                None,
            )
            found = objects.get(dialog.dialog_id) or peer_object
            return entry_of(item, found, top, me_id)
    return DialogEntry(**describe_peer(dialog.dialog_id, peer_object, me_id))


def _created_date(dialog: ResolvedDialog, entry: DialogEntry, full: _Full) -> int | None:
    """Telegram's date where it is the creation date (see the module docstring)."""
    date = getattr(full.peer_object, "date", None)
    if dialog.peer_type == "chat":
        return date
    if dialog.peer_type == "channel":
        not_member = bool(getattr(full.peer_object, "left", False))
        return date if entry.is_creator or not_member else None
    return None
