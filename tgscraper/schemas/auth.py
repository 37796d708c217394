"""Request and response schemas of the login routes (tgscraper.web.auth)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from tgscraper.accounts import check_account_name
from tgscraper.schemas.common import StrictBoolean
from tgscraper.telegram.login.qr import QrStatus


def _account_name(value: str) -> None:
    try:
        check_account_name(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class QrStartBody(Schema):
    username = fields.String(
        required=True,
        validate=_account_name,
        metadata={"description": "Account name: the session becomes sessions/NAME.session"},
    )
    force = StrictBoolean(
        load_default=False,
        metadata={"description": "Replace an existing session (its client is stopped first)"},
    )


class QrPasswordBody(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "The account's two-step verification password"},
    )


class QrTokenPath(Schema):
    token = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{16,64}$"))


class MeSchema(Schema):
    """The Telegram account behind the session"""

    id = fields.Integer(required=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    username = fields.String(allow_none=True)
    phone = fields.String(
        allow_none=True, metadata={"description": "Masked", "example": "+44********23"}
    )
    is_premium = fields.Boolean(required=True)


class QrStartSchema(Schema):
    """A QR login started: show qr_url as a QR code"""

    token = fields.String(required=True, metadata={"description": "Names this login"})
    qr_url = fields.String(required=True, metadata={"example": "tg://login?token=AQID..."})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds this code stays valid; poll for the next"}
    )
    message = fields.String(required=True)


class QrStatusSchema(Schema):
    """Where a QR login stands"""

    status = fields.String(
        required=True, validate=validate.OneOf([status.value for status in QrStatus])
    )
    username = fields.String(required=True)
    qr_url = fields.String(allow_none=True, metadata={"description": "Current code (pending)"})
    expires_in = fields.Integer(allow_none=True, metadata={"description": "Seconds (pending)"})
    password_hint = fields.String(allow_none=True)
    password_tries_left = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "Machine code of a failure"})
    message = fields.String(required=True, metadata={"description": "What to do now"})
    account = fields.Nested(MeSchema, allow_none=True, metadata={"description": "On success"})


class LogoutSchema(Schema):
    """The session is gone"""

    username = fields.String(required=True)
    logged_out = fields.Boolean(required=True)
    telegram_session_ended = fields.Boolean(
        required=True,
        metadata={"description": "False when Telegram had already ended the session"},
    )
    message = fields.String(required=True)
