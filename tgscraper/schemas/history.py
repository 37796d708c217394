"""History stream, sync and cache-info parameters and answers."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
    validate,
)

from tgscraper.schemas.common import (
    DateRangeQuery,
)


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
