"""The SSE helper: event format, errors as terminal events, pings, shutdown."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from pyrogram import errors as tg_errors
from pyrogram import raw

from tests.sse_client import SseEvent, parse_text, read_stream
from tgscraper.web.appkeys import STREAMS
from tgscraper.web.routing import register_routes, route
from tgscraper.web.sse import SSE_CONTENT_TYPE, open_stream


@route("GET", "/test/stream", summary="Three events and done", content_type=SSE_CONTENT_TYPE)
async def three_events(request: web.Request) -> web.StreamResponse:
    async with open_stream(request) as stream:
        for number in range(1, 4):
            await stream.send({"n": number}, id=str(number))
        await stream.send_raw('{"messages": [{"a": 1}]}', id="4")
        await stream.send({"total": 4, "resumed_after": stream.last_event_id}, event="done")
    return stream.response


@route(
    "GET", "/test/stream/{failure}", summary="One event, then fails", content_type=SSE_CONTENT_TYPE
)
async def failing_stream(request: web.Request) -> web.StreamResponse:
    async with open_stream(request) as stream:
        await stream.send({"n": 1}, id="1")
        if request.match_info["failure"] == "flood":
            answer = raw.types.RpcError(error_code=420, error_message="FLOOD_WAIT_9")
            tg_errors.RPCError.raise_it(answer, raw.functions.messages.GetHistory)
        raise RuntimeError("broken on purpose")
    return stream.response


@route("GET", "/test/waiting", summary="One event, then waits", content_type=SSE_CONTENT_TYPE)
async def waiting_stream(request: web.Request) -> web.StreamResponse:
    async with open_stream(request, ping_interval=0.05) as stream:
        await stream.send({"n": 1}, id="1")
        await asyncio.get_running_loop().create_future()  # waits until cancelled
    return stream.response


@route(
    "GET", "/test/endless", summary="Events until the client leaves", content_type=SSE_CONTENT_TYPE
)
async def endless_stream(request: web.Request) -> web.StreamResponse:
    async with open_stream(request) as stream:
        for number in range(10_000):
            await stream.send({"n": number}, id=str(number))
            await asyncio.sleep(0.005)
    return stream.response


@route("GET", "/test/encoded", summary="Already encoded events", content_type=SSE_CONTENT_TYPE)
async def encoded_events(request: web.Request) -> web.StreamResponse:
    async with open_stream(request) as stream:
        await stream.send_raw('{"text": "café"}', id="1")
        await stream.send_raw('{"text": "café 🚀"}'.encode(), id="2")
        await stream.send_raw(b'{\n"lines":\r\n 2}', event="multi")  # split into data lines
        for bad_id in ("3\n", "3\0"):
            try:
                await stream.send_raw(b"{}", id=bad_id)
            except ValueError:
                await stream.send({"refused": bad_id}, event="refused")
    return stream.response


def add_routes(app: web.Application) -> None:
    register_routes(
        app, three_events, failing_stream, waiting_stream, endless_stream, encoded_events
    )


@pytest.fixture
async def app(make_tgsc):
    return await make_tgsc(setup=add_routes)


def decoded(events: list[SseEvent]) -> list[tuple[str | None, str | None, object]]:
    """(event name, id, JSON data) of each event."""
    return [(event.event, event.id, event.json()) for event in events]


async def test_events_have_ids_names_and_json_data(app):
    result = await read_stream(app, "/test/stream", headers={"Last-Event-ID": "0"})
    assert result.status == 200
    assert result.headers["Content-Type"].startswith(SSE_CONTENT_TYPE)
    assert decoded(result.events) == [
        (None, "1", {"n": 1}),
        (None, "2", {"n": 2}),
        (None, "3", {"n": 3}),
        (None, "4", {"messages": [{"a": 1}]}),
        ("done", "4", {"total": 4, "resumed_after": "0"}),  # an id lasts until the next one
    ]
    assert app.app[STREAMS] == set()


async def test_already_encoded_text_and_bytes_are_sent_as_they_are(app):
    async with app.session.get(app.url("/test/encoded")) as response:
        body = await response.read()
    assert body.startswith('id: 1\r\ndata: {"text": "café"}\r\n\r\n'.encode())
    assert 'id: 2\r\ndata: {"text": "café 🚀"}\r\n\r\n'.encode() in body
    assert b'event: multi\r\ndata: {\r\ndata: "lines":\r\ndata:  2}\r\n\r\n' in body
    assert decoded(parse_text(body.decode())) == [
        (None, "1", {"text": "café"}),
        (None, "2", {"text": "café 🚀"}),
        ("multi", "2", {"lines": 2}),
        ("refused", "2", {"refused": "3\n"}),
        ("refused", "2", {"refused": "3\0"}),
    ]


async def test_exception_after_start_ends_with_an_error_event(app):
    result = await read_stream(app, "/test/stream/crash")
    assert result.status == 200
    assert decoded(result.events[:1]) == [(None, "1", {"n": 1})]
    assert result.error["error"] == "internal_error"
    assert "broken on purpose" not in json.dumps(decoded(result.events))


async def test_telegram_error_in_a_stream_is_the_same_decision_as_http(app):
    result = await read_stream(app, "/test/stream/flood")
    assert result.error == {"error": "flood_wait", "detail": result.error["detail"]}
    assert "9 s" in result.error["detail"]


async def test_pings_keep_a_waiting_stream_alive(app):
    async with app.session.get(app.url("/test/waiting")) as response:
        seen = b""
        async with asyncio.timeout(30):
            while b": ping" not in seen:
                seen += await response.content.readany()
    assert decoded(parse_text(seen.decode()))[0] == (None, "1", {"n": 1})


async def test_shutdown_ends_open_streams_with_shutting_down(app):
    async with app.session.get(app.url("/test/waiting")) as response:
        first = await response.content.readuntil(b"\r\n\r\n")
        assert decoded(parse_text(first.decode())) == [(None, "1", {"n": 1})]
        assert len(app.app[STREAMS]) == 1
        closing = asyncio.create_task(app.close())
        rest = await response.content.read()
        await closing
    events = [(event.event, event.json()) for event in parse_text(rest.decode())]
    assert events == [("error", {"error": "shutting_down", "detail": events[0][1]["detail"]})]
    assert app.app[STREAMS] == set()


async def test_client_leaving_ends_the_stream_quietly(app, caplog):
    async with app.session.get(app.url("/test/endless")) as response:
        await response.content.readuntil(b"\r\n\r\n")
    async with asyncio.timeout(60):
        while app.app[STREAMS]:  # noqa: ASYNC110 (polls the server's registry)
            await asyncio.sleep(0.01)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
