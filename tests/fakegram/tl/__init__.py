"""World objects -> raw TL types (as one account sees them), and input peer resolution."""

from .access import resolve_channel, resolve_chat, resolve_peer, resolve_peer_or_none, resolve_user
from .dialogs import dialog_tl, filter_tl, list_dialogs
from .media import document_tl, media_tl, photo_tl
from .messages import message_tl, messages_with_peers
from .peers import channel_tl, chat_tl, input_peer_tl, peer_tl, peers_tl, self_user, user_tl

__all__ = [
    "channel_tl",
    "chat_tl",
    "dialog_tl",
    "document_tl",
    "filter_tl",
    "input_peer_tl",
    "list_dialogs",
    "media_tl",
    "message_tl",
    "messages_with_peers",
    "peer_tl",
    "peers_tl",
    "photo_tl",
    "resolve_channel",
    "resolve_chat",
    "resolve_peer",
    "resolve_peer_or_none",
    "resolve_user",
    "self_user",
    "user_tl",
]
