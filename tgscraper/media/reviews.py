"""What the background repair of served history (``MediaService.review``) still has to
look at, per chat.

Ranges asked for are queued per (account, dialog), never dropped: one review runs at a
time per chat and takes them in turn. Ranges reviewed under the current settings are
remembered, so serving the same history again does not look at every file of it on disk
again; any settings change (a PATCH may allow what was skipped) forgets them. Files that
appear in a reviewed range later come from fills, which the media listener decides
anyway; a file deleted from disk behind the server's back waits for an explicit repair
(or a settings change).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

Span = tuple[int, int]

#: chats whose reviewed ranges are remembered (the least recently served forgotten first)
REMEMBERED_CHATS = 10_000


def subtract(span: Span, taken: list[Span]) -> list[Span]:
    """The parts of ``span`` no range of ``taken`` covers, in order."""
    parts: list[Span] = []
    position, end = span
    for low, high in sorted(taken):
        if high <= position or low >= end:
            continue
        if low > position:
            parts.append((position, low))
        position = max(position, high)
    if position < end:
        parts.append((position, end))
    return parts


def merge(spans: list[Span]) -> list[Span]:
    """Overlapping and adjacent ranges joined, in order."""
    merged: list[Span] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


class ChatReviews:
    """One chat's queue of ranges to review and the ranges reviewed under ``settings``."""

    def __init__(self) -> None:
        self.settings: Any = None
        self.reviewed: list[Span] = []
        self.waiting: list[Span] = []
        #: a review task is working through ``waiting``
        self.running = False
        #: files of messages up to this id are hidden from the account (never reviewed)
        self.hidden_up_to = 0

    def add(self, span: Span, settings: Any) -> bool:
        """Queue what of ``span`` is neither reviewed under ``settings`` nor queued;
        True when something was."""
        self._settings_now(settings)
        new = subtract(span, self.reviewed + self.waiting)
        self.waiting.extend(new)
        return bool(new)

    def next(self, settings: Any) -> Span | None:
        """The next range to review under ``settings`` (None: nothing left)."""
        self._settings_now(settings)
        while self.waiting:
            parts = subtract(self.waiting.pop(0), self.reviewed)
            if parts:
                self.waiting[:0] = parts[1:]
                return parts[0]
        return None

    def reviewed_under(self, span: Span, settings: Any) -> None:
        """``span`` was looked at under ``settings``."""
        if settings is self.settings:
            self.reviewed = merge([*self.reviewed, span])

    def _settings_now(self, settings: Any) -> None:
        if settings is not self.settings:  # what is allowed may have changed: start over
            self.settings = settings
            self.reviewed = []


class ReviewLog:
    """:class:`ChatReviews` per (account, dialog id); idle chats beyond ``limit`` are
    forgotten, least recently served first."""

    def __init__(self, limit: int = REMEMBERED_CHATS):
        self.limit = limit
        self._chats: OrderedDict[tuple[str, int], ChatReviews] = OrderedDict()

    def of(self, account: str, dialog_id: int) -> ChatReviews:
        key = (account, dialog_id)
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = ChatReviews()
        self._chats.move_to_end(key)
        for old_key in list(self._chats)[: max(0, len(self._chats) - self.limit)]:
            if not self._chats[old_key].running:
                del self._chats[old_key]
        return chat
