"""Dialog search, folders, dialog info and message search parameters and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from tgscraper.dates import DateParamError, parse_bound
from tgscraper.schemas.common import (
    DateRangeQuery,
    DialogRefField,
)
from tgscraper.schemas.history import (
    HistoryMessageSchema,
)
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
