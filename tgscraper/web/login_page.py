"""GET /login: a page for people to log an account in by QR code (and 2FA password).

The page (``login_static/``: HTML, JS and CSS shipped as package data, no external
assets) drives the QR login API of ``tgscraper.web.auth``. With TGSC_API_KEY set, the
page needs the key like the API (a stranger gets neither the page nor a login): its 401
challenges the browser to ask for it (HTTP Basic: any user name, the key as password;
the API key middleware decides), and the browser then sends it with the page's API calls
too, so the key never goes into the URL. Should a browser not send it there, the page
asks for the key itself. Its script and style are public like /docs' assets: the same
static files for everyone, with no data.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from tgscraper.web.appkeys import CONFIG
from tgscraper.web.errors import ApiError
from tgscraper.web.routing import register_routes, route

STATIC = resources.files("tgscraper.web") / "login_static"
ASSET_TYPES = {"login.js": "text/javascript", "login.css": "text/css"}
#: loaded once at import: a few KB, and never blocking a request
_FILES = {name: (STATIC / name).read_bytes() for name in ("login.html", *ASSET_TYPES)}
#: the page of a server with API keys: its curl line then shows the key header
_KEYED_PAGE = _FILES["login.html"].replace(
    b'<html lang="en">', b'<html lang="en" data-api-key="required">', 1
)
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
    page = _KEYED_PAGE if request.app[CONFIG].api_keys else _FILES["login.html"]
    return web.Response(body=page, content_type="text/html", charset="utf-8", headers=HEADERS)


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
