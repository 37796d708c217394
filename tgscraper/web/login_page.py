"""GET /login: a page for people to log an account in by QR code (and 2FA password).

The page (``login_static/``: HTML, JS and CSS shipped as package data, no external
assets) drives the QR login API of ``tgscraper.web.auth``. With TGSC_API_KEY set, the
page needs the key like the API, so a stranger gets neither the page nor a login, and
the key never goes into a URL: the page's 401 makes the browser ask for it (HTTP Basic:
any user name, the key as password; the API key middleware decides). The page served
then carries that key (``data-api-key``; never stored: ``no-store``) and sends it as
``X-API-Key`` with its API calls, which take no Basic credentials: a browser would send
those by itself, with other sites' requests too. Should a call be refused all the same
(the server's keys changed), the page asks for the key. Its script and style are public
like /docs' assets: the same static files for everyone, with no data.
"""

from __future__ import annotations

import html
from importlib import resources

from aiohttp import web

from tgscraper.web.appkeys import CONFIG
from tgscraper.web.errors import ApiError
from tgscraper.web.middlewares import presented_api_key
from tgscraper.web.routing import register_routes, route

STATIC = resources.files("tgscraper.web") / "login_static"
ASSET_TYPES = {
    "login.js": "text/javascript",
    "login.css": "text/css",
    # its own icon: a browser asking /favicon.ico (401 without a key the API takes) would
    # make it forget the key typed at its prompt
    "icon.svg": "image/svg+xml",
}
#: loaded once at import: a few KB, and never blocking a request
_FILES = {name: (STATIC / name).read_bytes() for name in ("login.html", *ASSET_TYPES)}
_HTML_TAG = b'<html lang="en">'
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@route(
    "GET",
    "/login",
    summary="Log an account in from a browser (HTML page)",
    description=(
        "Type an account name, scan the QR code with Telegram, enter the 2FA password if "
        "asked. Uses the QR login API; works offline (no external assets). With "
        "TGSC_API_KEY set, a browser asks for the key (any user name, the key as password)."
    ),
    tags=["auth"],
    content_type="text/html",
    responses={200: "The login page"},
)
async def get_login_page(request: web.Request) -> web.Response:
    page, headers = _FILES["login.html"], HEADERS
    if request.app[CONFIG].api_keys:  # checked by the middleware: the page calls with it
        key = html.escape(presented_api_key(request, page=True) or "", quote=True)
        tag = f'<html lang="en" data-api-key="{key}">'.encode("utf-8", "replace")
        page = page.replace(_HTML_TAG, tag, 1)
        headers = {**HEADERS, "Cache-Control": "no-store"}
    return web.Response(body=page, content_type="text/html", charset="utf-8", headers=headers)


@route(
    "GET",
    "/login/assets/{name}",
    summary="Script, style and icon of the login page",
    public=True,
    hidden=True,
)
async def get_login_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSET_TYPES:
        raise ApiError(404, "not_found", f"No such asset of the login page: {name}.")
    return web.Response(
        body=_FILES[name], content_type=ASSET_TYPES[name], charset="utf-8", headers=HEADERS
    )


def setup(app: web.Application) -> None:
    register_routes(app, get_login_page, get_login_asset)
