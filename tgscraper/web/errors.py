"""ApiError: the one way code below a handler reports a failure to the HTTP client.

The error middleware (added here by the foundation work) renders every failure as
``{"error": code, "detail": sentence}``.
"""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """A failure with an HTTP status, a machine code and a sentence a person can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
