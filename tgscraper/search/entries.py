"""A dialog as the dialog search and dialog info serve it, and a custom folder.

Both are plain data built from Telegram's answers by ``tgscraper.telegram.dialogs_source``;
everything else (filters, folder membership, fuzzy ranking) works on them without
Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tgscraper.dates import format_date

#: dialog types, as the API names them (``me`` is accepted as an alias of ``saved``)
DIALOG_TYPES = ("user", "bot", "group", "supergroup", "channel", "saved")
#: Telegram's service notifications chat: never listed
SERVICE_NOTIFICATIONS_ID = 777000
PREVIEW_LENGTH = 120
SAVED_MESSAGES_TITLE = "Saved Messages"


@dataclass(frozen=True, slots=True)
class DialogEntry:
    """One dialog of the account. ``id`` is in Bot-API form; ``type`` one of
    ``DIALOG_TYPES``; dates are Unix seconds. The fields after ``message_count`` are
    not served: they feed name matching and the folder rules."""

    id: int
    type: str
    title: str
    username: str | None = None
    is_verified: bool = False
    is_creator: bool = False
    is_archived: bool = False
    unread_count: int = 0
    participants_count: int | None = None
    last_message_date: int | None = None
    last_message_preview: str | None = None
    #: only where Telegram gives it cheaply (dialog info); None in dialog lists
    message_count: int | None = None
    #: a user's first and last name (the title of a private chat is built from them)
    full_name: str | None = None
    is_contact: bool = False
    is_muted: bool = False
    is_marked_unread: bool = False
    unread_mentions_count: int = 0

    def json_dict(self, folder_ids: list[int]) -> dict[str, Any]:
        """The API shape of a dialog (GET /api/v3/search/dialogs results)."""
        last_date = self.last_message_date
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "username": self.username,
            "is_verified": self.is_verified,
            "is_creator": self.is_creator,
            "is_archived": self.is_archived,
            "folder_ids": folder_ids,
            "unread_count": self.unread_count,
            "participants_count": self.participants_count,
            "last_message_date": format_date(last_date) if last_date is not None else None,
            "last_message_preview": self.last_message_preview,
            "message_count": self.message_count,
        }


def preview_text(text: str | None) -> str | None:
    """A message text as a one-line preview of at most ``PREVIEW_LENGTH`` characters
    (whitespace runs become one space; a cut ends with "…")."""
    if not text:
        return None
    line = " ".join(text.split())
    if len(line) <= PREVIEW_LENGTH:
        return line or None
    return line[: PREVIEW_LENGTH - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Folder:
    """A custom folder ("dialog filter") and Telegram's rules for what it holds.

    ``included`` are the explicitly included dialogs (pinned ones first, as Telegram
    lists them); ``excluded`` the explicitly excluded ones; the flags add whole kinds of
    chats (``contacts``, ``non_contacts``, ``groups``, ``broadcasts``, ``bots``) and then
    drop muted, read or archived ones. A shared folder (chat list) has only ``included``.
    """

    id: int
    title: str
    emoticon: str | None = None
    included: tuple[int, ...] = ()
    excluded: frozenset[int] = field(default_factory=frozenset)
    contacts: bool = False
    non_contacts: bool = False
    groups: bool = False
    broadcasts: bool = False
    bots: bool = False
    exclude_muted: bool = False
    exclude_read: bool = False
    exclude_archived: bool = False

    def contains(self, entry: DialogEntry) -> bool:
        """Whether the dialog is in this folder (explicit inclusion wins over every rule)."""
        if entry.id in self.included:
            return True
        if entry.id in self.excluded or not self._kind_included(entry):
            return False
        if self.exclude_muted and entry.is_muted:
            return False
        if self.exclude_read and not (
            entry.unread_count or entry.is_marked_unread or entry.unread_mentions_count
        ):
            return False
        return not (self.exclude_archived and entry.is_archived)

    def _kind_included(self, entry: DialogEntry) -> bool:
        kind = entry.type
        if kind in ("user", "saved"):
            return self.contacts if (entry.is_contact or kind == "saved") else self.non_contacts
        if kind == "bot":
            return self.bots
        if kind in ("group", "supergroup"):
            return self.groups
        return self.broadcasts if kind == "channel" else False

    def json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "emoticon": self.emoticon}


def folder_ids_of(entry: DialogEntry, folders: list[Folder]) -> list[int]:
    """Ids of the custom folders a dialog is in, in the account's folder order."""
    return [folder.id for folder in folders if folder.contains(entry)]
