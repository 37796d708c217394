"""Fresh file references: after FILE_REFERENCE_EXPIRED, fetch the message again.

A file reference is only valid for a while; the message that carries the file always
has a current one. ``channels.getMessages`` (channels and supergroups) or
``messages.getMessages`` (private chats and basic groups, whose ids are per account)
returns the message; its file is found by message id and file identity — never by its
position in the answer — and the new reference (and access hash) are stored with
``MediaFiles.set_location``.
"""

from __future__ import annotations

import pyrogram
from pyrogram import raw

from tgscraper.cache.media_files import MediaFile
from tgscraper.cache.records import MediaRow
from tgscraper.telegram import gateway
from tgscraper.telegram.convert import convert_messages
from tgscraper.telegram.gateway import FloodPolicy


async def refetch_file(
    client: pyrogram.Client,
    input_peer: raw.base.InputPeer,
    dialog_id: int,
    media: MediaFile,
    policy: FloodPolicy,
) -> MediaRow | None:
    """The file of ``media``'s message as Telegram describes it now, or None when the
    message is gone or no longer carries that file."""
    wanted = [raw.types.InputMessageID(id=media.message_id)]
    if isinstance(input_peer, raw.types.InputPeerChannel):
        channel = raw.types.InputChannel(
            channel_id=input_peer.channel_id, access_hash=input_peer.access_hash
        )
        query = raw.functions.channels.GetMessages(channel=channel, id=wanted)
    else:
        query = raw.functions.messages.GetMessages(id=wanted)
    answer = await gateway.invoke(client, query, policy)
    batch = convert_messages(answer, dialog_id)
    for row in batch.media:
        same_file = (row.location_kind, row.file_id) == (media.location_kind, media.file_id)
        if row.message_id == media.message_id and same_file:
            return row
    return None
