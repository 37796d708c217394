"""The API key and account middlewares, and ``get_account`` for handlers.

Both read the matched route's declaration (``tgscraper.web.routing``): ``public``
routes need no API key, ``account`` routes need ``X-Telegram-Username``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from typing import Any

from aiohttp import web

from tgscraper.accounts import check_account_name, not_authenticated_detail, session_path
from tgscraper.web.appkeys import CONFIG, SESSIONS
from tgscraper.web.errors import ACCOUNT_KEY, ApiError
from tgscraper.web.routing import request_spec

ACCOUNT_HEADER = "X-Telegram-Username"
API_KEY_HEADER = "X-API-Key"
_BEARER = "bearer "
_BASIC = "basic "


def get_account(request: web.Request) -> str:
    """The validated, authenticated account of this request (routes with ``account``)."""
    try:
        return request[ACCOUNT_KEY]
    except KeyError:
        raise RuntimeError(
            f"{request.path} is not declared as an account route; get_account() needs one"
        ) from None


def presented_api_key(request: web.Request, *, page: bool = False) -> str | None:
    """The key a request carries: ``X-API-Key`` or a Bearer token; for a page for people
    (``page``: /login) also HTTP Basic credentials with the key as password, which is
    what a browser sends once a person typed the key at its prompt. The API takes no
    Basic credentials: a browser sends those by itself, with other sites' requests too."""
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return key.strip()
    authorization = request.headers.get("Authorization", "")
    if authorization[: len(_BEARER)].lower() == _BEARER:
        return authorization[len(_BEARER) :].strip()
    if page and authorization[: len(_BASIC)].lower() == _BASIC:
        return _basic_password(authorization[len(_BASIC) :].strip())
    return None


def _basic_password(credentials: str) -> str | None:
    """The password of HTTP Basic credentials (``user:password``; the user name is
    ignored): what a browser sends once a person typed the key into its prompt."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon and password else None


def _is_page(spec: Any) -> bool:
    """A page for people (text/html, /login): it takes the key as HTTP Basic credentials
    too, and its 401 makes the browser ask for it (any user name, the key as password);
    the API's asks for a Bearer token."""
    return spec is not None and spec.content_type == "text/html"


def _as_bytes(text: str) -> bytes:
    """`text` as bytes to compare, whatever it holds: aiohttp (like os.environ) keeps header
    bytes that are not UTF-8 as lone surrogates, which a plain encode() refuses; this
    encoding takes every str and gives different strings different bytes."""
    return text.encode("utf-8", "surrogatepass")


def _key_matches(presented: str, accepted: tuple[str, ...]) -> bool:
    presented_bytes = _as_bytes(presented)
    matched = False
    for key in accepted:  # compare with every key, so timing says nothing about which
        matched |= hmac.compare_digest(presented_bytes, _as_bytes(key))
    return matched


@web.middleware
async def api_key_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """With TGSC_API_KEY set, every non-public route needs X-API-Key or a Bearer token
    (a page for people also takes Basic credentials with the key as password)."""
    accepted = request.app[CONFIG].api_keys
    spec = request_spec(request)
    if not accepted or (spec is not None and spec.public):
        return await handler(request)
    page = _is_page(spec)
    presented = presented_api_key(request, page=page)
    scheme = 'Basic realm="tgscraper", charset="UTF-8"' if page else 'Bearer realm="tgscraper"'
    challenge = {"WWW-Authenticate": scheme}
    if not presented:
        how = f"send '{API_KEY_HEADER}: KEY' or 'Authorization: Bearer KEY'"
        if page:
            how += " (a browser asks for it: any user name, the key as password)"
        raise ApiError(401, "api_key_required", f"Missing API key: {how}.", challenge)
    if not _key_matches(presented, accepted):
        raise ApiError(401, "invalid_api_key", "Invalid API key.", challenge)
    return await handler(request)


@web.middleware
async def account_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Resolve X-Telegram-Username for account routes: valid name, existing session."""
    spec = request_spec(request)
    if spec is None or not spec.account:
        return await handler(request)
    name = request.headers.get(ACCOUNT_HEADER)
    if name is None:
        raise ApiError(401, "missing_account", f"Missing {ACCOUNT_HEADER} header")
    try:
        check_account_name(name)
    except ValueError as exc:
        raise ApiError(400, "invalid_account", f"{ACCOUNT_HEADER}: {exc}") from None
    if not request.app[SESSIONS].is_started(name):
        path = session_path(request.app[CONFIG].data_dir, name)
        if not await asyncio.to_thread(path.is_file):
            raise ApiError(401, "not_authenticated", not_authenticated_detail(name))
    request[ACCOUNT_KEY] = name
    return await handler(request)
