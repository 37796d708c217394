"""JSON for responses and request bodies (orjson): the one way to build a JSON answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

JSON_CONTENT_TYPE = "application/json"


def dumps(data: Any) -> bytes:
    """Serialize to compact UTF-8 JSON bytes (dataclasses, datetimes and non-str keys ok)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises orjson.JSONDecodeError (a ValueError) on invalid input."""
    return orjson.loads(data)


def json_response(
    data: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A complete JSON response with `data` serialized by orjson."""
    return web.Response(
        body=dumps(data), status=status, headers=headers, content_type=JSON_CONTENT_TYPE
    )
