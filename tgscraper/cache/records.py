"""The rows the cache stores and the JSON a client receives.

``tgscraper.telegram.convert`` builds these from raw TL; ``tgscraper.cache.store`` writes
them. A :class:`MessageRecord`'s field order is the JSON's key order and the ``messages``
table's column order; ``None`` fields are left out of the JSON.

Dates are Unix seconds in records and in the database, and ``YYYY-MM-DD HH:MM:SS`` (UTC)
in the JSON (``date``, ``edit_date``, ``forwarded_from_date``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from tgscraper.dates import format_date

# media_type values (the categories of a downloadable file).
PHOTOS = "photos"
VIDEOS = "videos"
VOICE_MESSAGES = "voice_messages"
VIDEO_MESSAGES = "video_messages"
STICKERS = "stickers"
GIFS = "gifs"
FILES = "files"
MEDIA_TYPES = (PHOTOS, VIDEOS, VOICE_MESSAGES, VIDEO_MESSAGES, STICKERS, GIFS, FILES)

# media_files.status values.
PENDING = "pending"
DOWNLOADED = "downloaded"
SKIPPED_BY_TYPE = "skipped_by_type"
SKIPPED_BY_SIZE = "skipped_by_size"
DISABLED = "disabled"
FAILED = "failed"
MEDIA_STATUSES = (PENDING, DOWNLOADED, SKIPPED_BY_TYPE, SKIPPED_BY_SIZE, DISABLED, FAILED)

_DATE_FIELDS = frozenset({"date", "edit_date", "forwarded_from_date"})


@dataclass(slots=True)
class MessageRecord:
    """One message as served. Sender fields describe ``sender_id``: for a user its names
    and username; for a channel or group sender (channel posts, anonymous admins, "send
    as" a channel) ``first_name`` is the chat's title and ``username`` its username."""

    message_id: int
    date: int
    edit_date: int | None = None
    sender_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    message: str | None = None
    reply_to: int | None = None
    reply_quote_text: str | None = None
    reply_quote_offset: int | None = None
    post_author: str | None = None
    is_forwarded: int = 0
    forwarded_from_channel_id: int | None = None
    forwarded_from_user_id: int | None = None
    forwarded_from_name: str | None = None
    forwarded_from_date: int | None = None
    media_type: str | None = None
    media_uuid: str | None = None
    media_size: int | None = None
    media_original_filename: str | None = None
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    grouped_id: int | None = None
    action: str | None = None
    action_data: dict[str, Any] | None = None

    def json_dict(self) -> dict[str, Any]:
        """The message JSON object: nulls omitted, dates formatted."""
        out: dict[str, Any] = {}
        for name in RECORD_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = format_date(value) if name in _DATE_FIELDS else value
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(self.json_dict())

    def row(self) -> tuple[Any, ...]:
        """Column values in ``RECORD_FIELDS`` order (``action_data`` as JSON text)."""
        values = [getattr(self, name) for name in RECORD_FIELDS]
        if self.action_data is not None:
            values[_ACTION_DATA_INDEX] = orjson.dumps(self.action_data).decode()
        return tuple(values)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> MessageRecord:
        """Inverse of :meth:`row` (used by migrations that re-encode stored JSON)."""
        values = list(row)
        if values[_ACTION_DATA_INDEX] is not None:
            values[_ACTION_DATA_INDEX] = orjson.loads(values[_ACTION_DATA_INDEX])
        return cls(*values)


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MessageRecord))
_ACTION_DATA_INDEX = RECORD_FIELDS.index("action_data")


@dataclass(slots=True)
class MediaRow:
    """A downloadable file of a message, with everything ``upload.getFile`` needs.

    ``location_kind`` is ``"photo"`` (InputPhotoFileLocation with ``thumb_size``, the
    largest size) or ``"document"`` (InputDocumentFileLocation, ``thumb_size`` empty).
    ``uuid`` is fresh from the converter; the store swaps it for the stored one when the
    same file (``file_key``) of the same message is already known.
    """

    uuid: str
    message_id: int
    media_type: str
    size: int | None
    mime_type: str | None
    original_filename: str | None
    dc_id: int
    location_kind: str
    file_id: int
    access_hash: int
    file_reference: bytes
    thumb_size: str = ""

    @property
    def file_key(self) -> str:
        return f"{self.location_kind}:{self.file_id}"


@dataclass(slots=True)
class PeerRow:
    """A sender or forward author. ``kind``: user, bot, deleted_user, group or channel;
    for groups and channels ``first_name`` holds the title."""

    id: int
    kind: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


@dataclass(slots=True)
class DialogInfo:
    """The dialog itself. ``type``: user, bot, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None


@dataclass(slots=True)
class ConvertedBatch:
    """One Telegram answer converted for one dialog (see ``telegram.convert``)."""

    dialog_id: int
    records: list[MessageRecord] = field(default_factory=list)
    users: list[PeerRow] = field(default_factory=list)
    media: list[MediaRow] = field(default_factory=list)
    dialog: DialogInfo | None = None

    @property
    def dates(self) -> list[int]:
        return [record.date for record in self.records]
