"""Field types and schemas every route group uses: strict booleans and integers, the
error answer, the {dialog} path parameter and the start_date/end_date range."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validates_schema,
)

from tgscraper.dates import DateParamError, resolve_range
from tgscraper.dialogs import DialogRef, parse_dialog_ref


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
