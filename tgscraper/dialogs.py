"""Parsing a ``{dialog}`` path value, and Bot-API id <-> (peer type, raw id) helpers.

A dialog reference is either a numeric id in Bot-API form or a public username:

* ``-1001234567890`` channel or supergroup, ``-123456`` basic group, ``777000`` user/bot
* ``durov``, ``@durov``, ``t.me/durov``, ``https://t.me/durov``, ``https://t.me/s/durov``,
  ``https://t.me/durov/123`` (a post link: the chat is what counts), ``telegram.me/durov``,
  ``tg://resolve?domain=durov``
* ``https://t.me/c/1234567890/55`` (a private-channel post link) -> ``-1001234567890``

Usernames are validated like Telegram's: 5–32 characters, letters, digits and
underscores, starting with a letter; they are returned as written (Telegram compares them
case-insensitively). Invite links (``t.me/+...``, ``t.me/joinchat/...``) are refused:
joining a chat is not something a read-only scraper does. Everything else raises
``ValueError`` with a sentence for a 400.

Peer types are pyrogram's: ``"user"`` (users, bots, Saved Messages), ``"chat"`` (basic
groups) and ``"channel"`` (channels and supergroups). The conversions reuse
``pyrogram.utils`` rather than re-deriving Telegram's id ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pyrogram import raw, utils

PeerType = Literal["user", "chat", "channel"]
PEER_TYPES: tuple[PeerType, ...] = ("user", "chat", "channel")

_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_NUMERIC = re.compile(r"-?\d{1,20}")
_LINK_HOSTS = {"t.me", "telegram.me", "telegram.dog"}


@dataclass(frozen=True, slots=True)
class DialogRef:
    """What a ``{dialog}`` value names: exactly one of ``dialog_id`` and ``username``."""

    dialog_id: int | None = None
    username: str | None = None

    @property
    def peer(self) -> int | str:
        """The value to hand to pyrogram (``resolve_peer`` / ``get_chat``)."""
        return self.dialog_id if self.dialog_id is not None else self.username


def parse_dialog_ref(text: str) -> DialogRef:
    """Parse a ``{dialog}`` path value (see module docstring); ValueError when it is neither."""
    value = text.strip()
    if not value:
        raise ValueError("The dialog is empty: give a numeric chat id or a public username.")
    if _NUMERIC.fullmatch(value):
        return DialogRef(dialog_id=checked_dialog_id(int(value)))
    if value.startswith("@"):
        return DialogRef(username=checked_username(value[1:], value))
    if "/" in value or ":" in value:
        return _parse_link(value)
    return DialogRef(username=checked_username(value, value))


def checked_dialog_id(dialog_id: int) -> int:
    """``dialog_id`` itself if it is a Bot-API id of a user, basic group or channel."""
    peer_type_of(dialog_id)
    return dialog_id


def checked_username(name: str, original: str | None = None) -> str:
    if _USERNAME.fullmatch(name):
        return name
    raise ValueError(
        f"{original or name!r} is not a Telegram username: usernames have 5 to 32 letters, "
        "digits or underscores and start with a letter."
    )


def peer_type_of(dialog_id: int) -> PeerType:
    """``"user"``, ``"chat"`` or ``"channel"`` for a Bot-API id; ValueError otherwise."""
    try:
        peer_type = utils.get_peer_type(dialog_id)
    except ValueError:
        peer_type = None
    if peer_type not in PEER_TYPES:
        raise ValueError(
            f"{dialog_id} is not a chat id: use the Bot-API form (-100… for channels and "
            "supergroups, negative for basic groups, positive for users and bots)."
        )
    return peer_type


def raw_peer_id(dialog_id: int) -> int:
    """Telegram's own id (user_id / chat_id / channel_id) of a Bot-API id."""
    peer_type_of(dialog_id)
    return utils.get_raw_peer_id(dialog_id)


def dialog_id_of(peer: raw.base.Peer | raw.base.InputPeer) -> int:
    """The Bot-API id of a raw ``Peer`` / ``InputPeer`` (PeerChannel(5) -> -1000000000005)."""
    return utils.get_peer_id(peer)


def dialog_id_from_raw(peer_type: PeerType, raw_id: int) -> int:
    """The Bot-API id of a raw id of the given peer type."""
    if peer_type == "user":
        return raw_id
    if peer_type == "chat":
        return -raw_id
    if peer_type == "channel":
        return utils.get_channel_id(raw_id)
    raise ValueError(f"Unknown peer type {peer_type!r}.")


def _parse_link(value: str) -> DialogRef:
    if value.lower().startswith("tg:"):
        return _parse_tg_link(value)
    url = value if "://" in value else f"https://{value}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or host not in _LINK_HOSTS:
        raise ValueError(
            f"{value!r} is not a Telegram link: use https://t.me/<username>, a username or a "
            "numeric chat id."
        )
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and segments[0] == "s":  # t.me/s/<name>: the web preview of a channel
        segments = segments[1:]
    if not segments:
        raise ValueError(f"{value!r} names no chat: use https://t.me/<username>.")
    first = segments[0]
    if first.startswith("+") or first.lower() == "joinchat":
        raise ValueError(
            f"{value!r} is an invite link; open the chat with the account first and use its "
            "numeric id."
        )
    if first == "c":  # t.me/c/<channel raw id>/<post>: a link to a private channel's post
        if len(segments) < 2 or not segments[1].isdigit():
            raise ValueError(f"{value!r} is not a valid private chat link (t.me/c/<id>/<post>).")
        return DialogRef(dialog_id=checked_dialog_id(utils.get_channel_id(int(segments[1]))))
    return DialogRef(username=checked_username(first, value))


def _parse_tg_link(value: str) -> DialogRef:
    parts = urlsplit(value)
    domains = parse_qs(parts.query).get("domain")
    if parts.netloc.lower() != "resolve" or not domains:
        raise ValueError(f"{value!r} is not a tg://resolve?domain=<username> link.")
    return DialogRef(username=checked_username(domains[0], value))
