"""/openapi.json describes every route of the app; /docs works from local assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from tests.test_errors import add_test_routes
from tgscraper.web.openapi import build_openapi, openapi_path
from tgscraper.web.routing import register_routes, route, spec_of


def routes_of(app) -> set[tuple[str, str]]:
    """(method, path) of every route registered in the app, except hidden asset routes and
    the HEAD routes aiohttp adds by itself (a declared HEAD route counts)."""
    found = set()
    for registered in app.router.routes():
        spec = spec_of(registered.handler)
        if (registered.method == "HEAD" and spec is None) or (spec is not None and spec.hidden):
            continue
        found.add((registered.method.lower(), openapi_path(registered.resource.canonical)))
    return found


def operations_of(document: dict) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "head", "post", "put", "patch", "delete"}
    }


async def test_openapi_is_valid_and_lists_every_route(tgsc):
    document = await tgsc.json("GET", "/openapi.json", account=None)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert routes_of(tgsc.app) == operations_of(document)
    assert {("get", "/health"), ("patch", "/api/v3/settings")} <= operations_of(document)


async def test_routes_added_by_other_modules_appear_too(make_tgsc):
    app = await make_tgsc(setup=add_test_routes)
    document = await app.json("GET", "/openapi.json")
    validate(document)
    assert routes_of(app.app) == operations_of(document)
    items = document["paths"]["/test/items/{item_id}"]["get"]
    names = {(p["in"], p["name"]) for p in items["parameters"]}
    assert {("path", "item_id"), ("query", "limit"), ("query", "name")} <= names
    assert "400" in items["responses"]


async def test_operations_document_auth_account_and_bodies(tgsc):
    document = await tgsc.json("GET", "/openapi.json")
    paths = document["paths"]
    assert paths["/health"]["get"]["security"] == []
    patch = paths["/api/v3/settings"]["patch"]
    assert patch["security"]
    assert {"name": "X-Telegram-Username", "in": "header"}.items() <= patch["parameters"][0].items()
    assert "application/json" in patch["requestBody"]["content"]
    assert {"200", "401", "422"} <= set(patch["responses"])
    settings = document["components"]["schemas"]["Settings"]["properties"]
    assert settings["telegram_batch_size"]["maximum"] == 100
    assert {"ApiKeyHeader", "BearerAuth"} == set(document["components"]["securitySchemes"])


class AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)


async def test_docs_page_loads_all_its_assets_from_this_server(tgsc):
    response = await tgsc.request("GET", "/docs", account=None)
    assert response.status == 200
    assert response.content_type == "text/html"
    collector = AssetCollector()
    collector.feed(response.text())
    assert len(collector.urls) >= 4
    for url in collector.urls:
        assert url.startswith("/"), f"{url} is not served by this server"
        asset = await tgsc.request("GET", url, account=None)
        assert asset.status == 200, url
        assert len(asset.body) > 0
    scripts = [u for u in collector.urls if u.endswith(".js")]
    bodies = [(await tgsc.request("GET", u)).text() for u in scripts]
    assert any('url: "/openapi.json"' in body for body in bodies)
    assert not any(re.search(r"https?://", body) for body in bodies if "tgscraper" in body)


async def test_unknown_docs_asset_is_404(tgsc):
    for name in ("nope.js", "..%2F..%2Fsettings.yaml", ".hidden"):
        response = await tgsc.request("GET", f"/docs/assets/{name}")
        assert response.status == 404


def test_two_handlers_with_one_name_fail_at_build_time():
    def declare(path):
        @route("GET", path, summary="A route")
        async def same_name(request):
            return web.Response()

        return same_name

    app = web.Application()
    register_routes(app, declare("/one"), declare("/two"))
    with pytest.raises(RuntimeError, match="same_name"):
        build_openapi(app)
