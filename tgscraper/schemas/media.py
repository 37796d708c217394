"""File serving and media repair parameters and answers."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
)


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
