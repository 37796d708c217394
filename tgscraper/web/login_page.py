"""GET /login: a page for people to log an account in by QR code (and 2FA password).

The page (``login_static/``: HTML, JS and CSS shipped as package data, no external
assets) drives the QR login API of ``tgscraper.web.auth``. Like /docs it is public, and
that is as safe as guarding it: it is the same static file for everyone, holds no data
and does nothing by itself; what a login needs is the API, and every call the page makes
carries the key it asks for (when the server has TGSC_API_KEY), so a stranger still
cannot start a login. Guarding the page itself would only push the key into the URL (a
browser cannot send a header with a page load), where logs and history keep it.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from tgscraper.web.errors import ApiError
from tgscraper.web.routing import register_routes, route

STATIC = resources.files("tgscraper.web") / "login_static"
ASSET_TYPES = {"login.js": "text/javascript", "login.css": "text/css"}
#: loaded once at import: a few KB, and never blocking a request
_FILES = {name: (STATIC / name).read_bytes() for name in ("login.html", *ASSET_TYPES)}
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
        "asked. Uses the QR login API; works offline (no external assets)."
    ),
    tags=["auth"],
    public=True,
    content_type="text/html",
    responses={200: "The login page"},
)
async def get_login_page(request: web.Request) -> web.Response:
    return web.Response(
        body=_FILES["login.html"], content_type="text/html", charset="utf-8", headers=HEADERS
    )


@route(
    "GET",
    "/login/assets/{name}",
    summary="Script and style of the login page",
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
