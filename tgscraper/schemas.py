"""marshmallow schemas and field types shared by routes (params, bodies, responses).

Route modules declare their own request/response schemas next to their handlers
when nobody else uses them; what several modules share lives here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from tgscraper.dates import DateParamError, parse_bound, resolve_range
from tgscraper.dialogs import DialogRef, parse_dialog_ref
from tgscraper.search.dialog_query import (
    DEFAULT_LIMIT,
    FUZZY,
    MATCH_MODES,
    MAX_LIMIT,
    ORDERS,
    SORT_KEYS,
)
from tgscraper.search.entries import DIALOG_TYPES
from tgscraper.search.fuzzy import DEFAULT_MIN_SCORE
from tgscraper.telegram.search import MEDIA_FILTERS


class StrictBoolean(fields.Boolean):
    """A JSON/YAML boolean only: "yes", 1 and "true" are refused (PATCH bodies, settings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictInteger(fields.Integer):
    """A JSON/YAML integer only: true, 2.5 and "20" are refused (PATCH bodies, settings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class ErrorSchema(Schema):
    """Every error answer: a machine code and a sentence a person can act on."""

    error = fields.String(
        required=True, metadata={"description": "Machine code", "example": "not_found"}
    )
    detail = fields.String(
        required=True,
        metadata={"description": "What went wrong and how to fix it"},
    )
    request_id = fields.String(
        metadata={"description": "Only on 500: quote it when reporting; the traceback is logged"}
    )


def flatten_messages(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error messages as (dotted.field, sentence) pairs, in order."""
    if isinstance(messages, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            pairs.extend(flatten_messages(value, path))
        return pairs
    if isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            return [(prefix, " ".join(messages))]
        pairs = []
        for item in messages:
            pairs.extend(flatten_messages(item, prefix))
        return pairs
    return [(prefix, str(messages))]


def describe_errors(messages: Any, what: str = "field") -> str:
    """One sentence naming every invalid field: "Invalid field 'x': Not a valid integer."."""
    parts = []
    for path, sentence in flatten_messages(messages):
        parts.append(f"Invalid {what} '{path}': {sentence}" if path else sentence)
    return "; ".join(parts) or "Invalid input."


class DialogRefField(fields.Field):
    """A ``{dialog}`` value: a Bot-API chat id, a username, @name or a t.me link
    (``tgscraper.dialogs.parse_dialog_ref``); deserializes to a ``DialogRef``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> DialogRef:
        if not isinstance(value, str):
            raise ValidationError("Not a chat id or username.")
        try:
            return parse_dialog_ref(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class DialogPath(Schema):
    """The ``{dialog}`` path parameter of the routes that read one chat."""

    dialog = DialogRefField(
        required=True,
        metadata={
            "description": "Chat id in Bot-API form (-100… channel or supergroup, negative "
            "basic group, positive user or bot), a public username, @username or t.me link",
            "example": "durov",
            "type": "string",
        },
    )


# -- history, sync, cache info (issue 4) -----------------------------------------------


class DateRangeQuery(Schema):
    """``start_date`` / ``end_date`` read with ``tgscraper.dates.resolve_range``; loads
    ``start`` and ``end`` (half-open Unix seconds) besides the texts."""

    start_date = fields.String(
        metadata={
            "description": "Inclusive start: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, ISO 8601 with "
            "an offset, or Unix seconds (naive means UTC). Default: the chat's beginning",
            "example": "2024-01-01",
        }
    )
    end_date = fields.String(
        metadata={
            "description": "End, including what it names (a date: that whole day; a time: "
            "that second). Same forms as start_date. Default: now",
            "example": "2024-01-31",
        }
    )

    @validates_schema
    def _check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        self._range(data)

    @post_load
    def _add_range(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["start"], data["end"] = self._range(data)
        return data

    @staticmethod
    def _range(data: dict[str, Any]) -> tuple[int, int]:
        try:
            return resolve_range(data.get("start_date"), data.get("end_date"), time.time())
        except DateParamError as error:
            sentence = str(error).removeprefix(f"{error.parameter}: ")
            raise ValidationError(sentence, field_name=error.parameter or "start_date") from None


class HistoryQuery(DateRangeQuery):
    """GET /api/v3/history/{dialog}."""

    chunk_size = fields.Integer(
        load_default=100,
        validate=validate.Range(1, 5000),
        metadata={"description": "Messages per event, 1..5000"},
    )
    force_refresh = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Fetch the whole range from Telegram again: edits are picked up, "
            "messages deleted in Telegram leave the cache"
        },
    )
    reverse = fields.Boolean(
        load_default=True,
        metadata={"description": "true: oldest first (the default); false: newest first"},
    )
    progress = fields.Boolean(
        load_default=False,
        metadata={"description": "Also send progress events and wait events (flood waits)"},
    )


class SyncQuery(DateRangeQuery):
    """POST /api/v3/sync/{dialog}."""

    force_refresh = fields.Boolean(
        load_default=False, metadata={"description": "Fetch the whole range again"}
    )


class HistoryMessageSchema(Schema):
    """One message (null fields are left out; dates are YYYY-MM-DD HH:MM:SS UTC)."""

    message_id = fields.Integer(required=True)
    date = fields.String(required=True)
    edit_date = fields.String()
    sender_id = fields.Integer()
    first_name = fields.String(metadata={"description": "A chat sender's title"})
    last_name = fields.String()
    username = fields.String()
    message = fields.String(metadata={"description": "Text or caption"})
    reply_to = fields.Integer()
    reply_quote_text = fields.String()
    reply_quote_offset = fields.Integer()
    post_author = fields.String()
    is_forwarded = fields.Integer(metadata={"description": "0 or 1"})
    forwarded_from_channel_id = fields.Integer()
    forwarded_from_user_id = fields.Integer()
    forwarded_from_name = fields.String()
    forwarded_from_date = fields.String()
    media_type = fields.String(
        metadata={
            "description": "photos, videos, voice_messages, video_messages, stickers, gifs or files"
        }
    )
    media_uuid = fields.String(metadata={"description": "Download with /api/v3/files/{uuid}"})
    media_size = fields.Integer()
    media_original_filename = fields.String()
    views = fields.Integer()
    forwards = fields.Integer()
    replies = fields.Integer()
    grouped_id = fields.Integer(metadata={"description": "Album id"})
    action = fields.String(metadata={"description": "Service messages: pin_message, ..."})
    action_data = fields.Dict()


class HistoryBatchSchema(Schema):
    """An unnamed event (``id:`` = the last message id): a batch of chunk_size messages.
    Named events: ``done`` {dialog_id, total, from_cache, from_telegram}, ``error``
    {error, detail[, retry_after]}, and with progress=true ``progress`` {fetched,
    estimated_total, segment, sent} and ``wait`` {seconds}."""

    messages = fields.List(fields.Nested(HistoryMessageSchema), required=True)


class SyncResultSchema(Schema):
    """What one sync fetched (counts of this call only)."""

    dialog_id = fields.Integer(required=True)
    messages_downloaded = fields.Integer(
        required=True, metadata={"description": "Messages fetched from Telegram"}
    )
    messages_with_media = fields.Integer(
        required=True, metadata={"description": "Of those, messages with a media file"}
    )
    media_downloaded = fields.Integer(required=True)
    media_skipped = fields.Integer(
        required=True, metadata={"description": "Files the settings leave out"}
    )
    media_failed = fields.Integer(
        required=True,
        metadata={
            "description": "Files whose download failed (the file's status says why); "
            "files already on disk before this call count in none of the three"
        },
    )


class CachedIntervalSchema(Schema):
    start = fields.Integer(metadata={"description": "Unix seconds, inclusive"})
    end = fields.Integer(metadata={"description": "Unix seconds, exclusive"})
    start_date = fields.String()
    end_date = fields.String()


class CachedMessageSchema(Schema):
    message_id = fields.Integer()
    date = fields.String()
    timestamp = fields.Integer()


class CacheInfoSchema(Schema):
    """What this server has cached of a chat."""

    dialog_id = fields.Integer(required=True)
    dialog = fields.Dict(metadata={"description": "{id, type, title, username}"})
    coverage = fields.List(
        fields.Nested(CachedIntervalSchema),
        metadata={"description": "Intervals in which every message is cached"},
    )
    message_count = fields.Integer()
    oldest_message = fields.Nested(CachedMessageSchema, allow_none=True)
    newest_message = fields.Nested(CachedMessageSchema, allow_none=True)
    media = fields.Dict(
        metadata={"description": "{count, by_status: {status: {count, bytes}}, bytes_on_disk}"}
    )
    database_bytes = fields.Integer()


# -- files and media (issue 5) -------------------------------------------------------


class FilePath(Schema):
    """The ``{uuid}`` of ``/api/v3/files/{uuid}``: a message's ``media_uuid``."""

    uuid = fields.UUID(
        required=True,
        metadata={
            "description": "media_uuid from a message",
            "example": "0b7f3c1e-4a57-4d8e-9d9c-2f64f1c1d2a3",
        },
    )


class FileQuery(Schema):
    metadata_only = fields.Boolean(
        load_default=False,
        metadata={"description": "Answer the file's metadata as JSON instead of its bytes"},
    )


class FileMetadataSchema(Schema):
    """A media file's metadata (``metadata_only=true``)."""

    uuid = fields.String(required=True)
    media_type = fields.String(
        metadata={
            "description": "photos, videos, voice_messages, video_messages, stickers, gifs or files"
        }
    )
    size = fields.Integer(allow_none=True, metadata={"description": "Bytes"})
    mime_type = fields.String(allow_none=True)
    original_filename = fields.String(allow_none=True)
    downloaded = fields.Boolean(metadata={"description": "The file is on this server's disk"})
    status = fields.String(
        metadata={
            "description": "pending, downloaded, skipped_by_type, skipped_by_size, disabled "
            "or failed"
        }
    )
    reason = fields.String(
        allow_none=True, metadata={"description": "Why it was skipped or failed"}
    )
    file_path = fields.String(
        metadata={"description": "Absolute path on the server; only for a client on loopback"}
    )


class RepairReportSchema(Schema):
    """What a repair found in the chat's media."""

    queued = fields.Integer(
        metadata={"description": "Files queued for download now (allowed, not on disk)"}
    )
    already_present = fields.Integer(metadata={"description": "Files already on disk"})
    still_skipped = fields.Integer(
        metadata={"description": "Files the settings still leave out (their reason is stored)"}
    )


# -- search, dialogs, folders (issue 6) ------------------------------------------------


class DateBound(fields.String):
    """A date parameter read with the shared parser (``tgscraper.dates.parse_bound``);
    deserializes to Unix seconds (the moment it names, not a whole-day end)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_bound(text, is_end=False)
        except DateParamError as error:
            raise ValidationError(str(error)) from None


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be empty.")


def _doc(text: str, **extra: Any) -> dict[str, Any]:
    return {"description": text, **extra}


class DialogSearchQuery(Schema):
    """GET /api/v3/search/dialogs: filters, fuzzy match, sort and paging."""

    q = fields.String(
        validate=_not_blank,
        metadata=_doc(
            "Matches titles, usernames and users' full names (leave it out to list every dialog)",
            example="crypt",
        ),
    )
    match = fields.String(
        load_default=FUZZY,
        validate=validate.OneOf(MATCH_MODES),
        metadata=_doc(
            "fuzzy: ranked, typos tolerated (a substring hit outranks mere similarity); "
            "exact: the text must contain q (case, accents and punctuation ignored)"
        ),
    )
    min_score = fields.Float(
        validate=validate.Range(0, 1),
        metadata=_doc(f"Lowest relevance kept, 0..1 (fuzzy default {DEFAULT_MIN_SCORE})"),
    )
    type = fields.List(
        fields.String(),
        validate=validate.ContainsOnly(
            (*DIALOG_TYPES, "me"), error="Must be among: {choices}; {input} is not."
        ),
        metadata=_doc("Dialog types (repeatable); me = saved (Saved Messages)"),
    )
    is_archived = fields.Boolean(metadata=_doc("Only archived (true) or unarchived dialogs"))
    folder = fields.Integer(
        validate=validate.Range(min=0),
        metadata=_doc("Only dialogs in this custom folder (ids: GET /api/v3/folders)"),
    )
    has_username = fields.Boolean(metadata=_doc("Only dialogs with (or without) a username"))
    is_verified = fields.Boolean(metadata=_doc("Only verified (or unverified) dialogs"))
    is_creator = fields.Boolean(metadata=_doc("Only groups/channels the account created"))
    min_participants = fields.Integer(
        validate=validate.Range(min=0),
        metadata=_doc("Groups and channels with at least this many members"),
    )
    max_participants = fields.Integer(
        validate=validate.Range(min=0),
        metadata=_doc("Groups and channels with at most this many members"),
    )
    last_message_after = DateBound(
        metadata=_doc("Last message at or after this moment (same formats as start_date)")
    )
    last_message_before = DateBound(
        metadata=_doc("Last message before this moment (same formats as start_date)")
    )
    sort = fields.String(
        validate=validate.OneOf(SORT_KEYS),
        metadata=_doc(
            "relevance (needs q; the default with a fuzzy q), last_message (the default "
            "otherwise), title, participants or unread"
        ),
    )
    order = fields.String(
        validate=validate.OneOf(ORDERS),
        metadata=_doc("asc or desc (default: desc, asc for title)"),
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata=_doc(f"Results per page, 1..{MAX_LIMIT}"),
    )
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0), metadata=_doc("Results to skip")
    )
    refresh = fields.Boolean(
        load_default=False,
        metadata=_doc("Fetch the dialog list from Telegram now instead of the kept copy"),
    )

    @validates_schema
    def _check_ranges(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("min_participants"), data.get("max_participants")
        if low is not None and high is not None and low > high:
            raise ValidationError(
                "Must not be above max_participants.", field_name="min_participants"
            )
        after, before = data.get("last_message_after"), data.get("last_message_before")
        if after is not None and before is not None and after >= before:
            raise ValidationError(
                "Must be before last_message_before.", field_name="last_message_after"
            )
        if data.get("sort") == "relevance" and not data.get("q"):
            raise ValidationError("relevance needs a q to rank by.", field_name="sort")


class DialogSchema(Schema):
    """A dialog of the account."""

    id = fields.Integer(metadata=_doc("Chat id in Bot-API form", example=-1001234567890))
    type = fields.String(metadata=_doc("user, bot, group, supergroup, channel or saved"))
    title = fields.String()
    username = fields.String(allow_none=True)
    is_verified = fields.Boolean()
    is_creator = fields.Boolean()
    is_archived = fields.Boolean()
    folder_ids = fields.List(fields.Integer(), metadata=_doc("Custom folders holding it"))
    unread_count = fields.Integer()
    participants_count = fields.Integer(
        allow_none=True, metadata=_doc("Groups and channels; null for private chats")
    )
    last_message_date = fields.String(allow_none=True, metadata=_doc("YYYY-MM-DD HH:MM:SS (UTC)"))
    last_message_preview = fields.String(
        allow_none=True, metadata=_doc("At most 120 characters; [photo], [file]... for media")
    )
    message_count = fields.Integer(
        allow_none=True, metadata=_doc("Only where Telegram gives it cheaply (dialog info)")
    )


class DialogSearchSchema(Schema):
    """A page of dialogs."""

    total = fields.Integer(metadata=_doc("Dialogs matching (every page)"))
    offset = fields.Integer()
    limit = fields.Integer()
    results = fields.List(fields.Nested(DialogSchema))


class FoldersQuery(Schema):
    include_dialogs = fields.Boolean(
        load_default=False, metadata=_doc("List each folder's explicitly included dialogs")
    )
    refresh = fields.Boolean(
        load_default=False, metadata=_doc("Fetch from Telegram now instead of the kept copy")
    )


class FolderDialogSchema(Schema):
    id = fields.Integer()
    title = fields.String(allow_none=True)


class FolderSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    emoticon = fields.String(allow_none=True)
    dialogs = fields.List(
        fields.Nested(FolderDialogSchema), metadata=_doc("Only with include_dialogs=true")
    )


class FoldersSchema(Schema):
    """The account's custom folders."""

    folders = fields.List(fields.Nested(FolderSchema))


class DialogInfoSchema(DialogSchema):
    """A dialog with its description, linked chat, creation date and cache state."""

    description = fields.String(allow_none=True, metadata=_doc("About text / bio"))
    linked_chat_id = fields.Integer(
        allow_none=True, metadata=_doc("Discussion group of a channel, or its channel")
    )
    created_date = fields.String(
        allow_none=True, metadata=_doc("Creation date of a group or channel (UTC)")
    )
    is_cached = fields.Boolean(metadata=_doc("Whether this server has cached any of it"))
    cache = fields.Dict(
        allow_none=True,
        metadata=_doc("The cache summary (as GET /api/v3/dialogs/{dialog}/cache) or null"),
    )


class MessageSearchQuery(DateRangeQuery):
    """GET /api/v3/search/messages: a search in every chat of the account (start_date is
    the lower bound, end_date the upper one, as in history)."""

    q = fields.String(required=True, validate=_not_blank, metadata=_doc("Words to find"))
    media = fields.String(
        validate=validate.OneOf(tuple(MEDIA_FILTERS)),
        metadata=_doc("Only messages with this kind of content"),
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata=_doc(f"Results per page, 1..{MAX_LIMIT}"),
    )
    offset = fields.String(
        validate=_not_blank, metadata=_doc("next_offset of the previous page (opaque)")
    )


class DialogMessageSearchQuery(MessageSearchQuery):
    """GET /api/v3/search/messages/{dialog}: a search in one chat."""

    from_user = DialogRefField(
        metadata=_doc("Only messages sent by this user (id or username)", type="string")
    )


class FoundMessageSchema(HistoryMessageSchema):
    """A message as history serves it, plus the chat it is in."""

    dialog_id = fields.Integer(required=True, metadata=_doc("Chat id in Bot-API form"))
    dialog_name = fields.String(allow_none=True, metadata=_doc("Title, or a user's name"))
    dialog_type = fields.String(
        allow_none=True, metadata=_doc("user, bot, group, supergroup, channel or saved")
    )


class MessageSearchSchema(Schema):
    """A page of found messages, newest first."""

    query = fields.String()
    total = fields.Integer(metadata=_doc("Telegram's count of all results"))
    limit = fields.Integer()
    next_offset = fields.String(
        metadata=_doc("Pass as offset for the next page; absent on the last")
    )
    results = fields.List(fields.Nested(FoundMessageSchema))
