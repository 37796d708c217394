"""Opaque ``offset`` / ``next_offset`` values of the message searches.

A cursor is where Telegram's paging resumes, plus how many results came before it
(``seen``, which tells the last page from Telegram's total):

* global search (messages.searchGlobal): the last result's date (Telegram's
  ``offset_rate``), chat (``offset_peer``: Bot-API id and the account's access hash) and
  message id (``offset_id``);
* one chat (messages.search): the last result's message id (``offset_id``).

On the wire it is URL-safe base64 (no padding) of a small JSON object that also carries
a fingerprint of the search it belongs to (account, chat, query and filters), so an
offset handed to another search is refused instead of silently skipping results.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import orjson

VERSION = 1
GLOBAL = "g"
DIALOG = "d"


class CursorError(ValueError):
    """An offset that is not one of ours, or belongs to another search."""


@dataclass(frozen=True, slots=True)
class GlobalCursor:
    rate: int
    dialog_id: int
    access_hash: int
    message_id: int
    seen: int


@dataclass(frozen=True, slots=True)
class DialogCursor:
    message_id: int
    seen: int


def fingerprint(*parts: object) -> str:
    """A short digest of what identifies a search (its parameters but the paging ones)."""
    return hashlib.blake2s(orjson.dumps([str(part) for part in parts]), digest_size=6).hexdigest()


def encode_cursor(cursor: GlobalCursor | DialogCursor, search: str) -> str:
    if isinstance(cursor, GlobalCursor):
        data = {
            "k": GLOBAL,
            "r": cursor.rate,
            "p": cursor.dialog_id,
            "h": cursor.access_hash,
            "i": cursor.message_id,
        }
    else:
        data = {"k": DIALOG, "i": cursor.message_id}
    data.update({"v": VERSION, "n": cursor.seen, "f": search})
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


def decode_cursor(text: str, search: str, kind: str) -> GlobalCursor | DialogCursor:
    """The cursor of ``text`` for the search ``search`` of kind GLOBAL or DIALOG."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise CursorError(
            "It is not an offset this server gave: pass the next_offset of the previous page."
        ) from None
    if not isinstance(data, dict) or data.get("v") != VERSION or data.get("k") != kind:
        raise CursorError("It is not an offset of this kind of search: pass its next_offset.")
    if data.get("f") != search:
        raise CursorError(
            "It belongs to another search (account, chat, query or filters differ): pass "
            "the next_offset of this same search."
        )
    try:
        if kind == GLOBAL:
            return GlobalCursor(
                _int(data["r"]), _int(data["p"]), _int(data["h"]), _int(data["i"]), _int(data["n"])
            )
        return DialogCursor(_int(data["i"]), _int(data["n"]))
    except (KeyError, TypeError):
        raise CursorError("The offset is damaged: pass the next_offset as it was given.") from None


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value
