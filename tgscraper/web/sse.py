"""Server-sent events: the one way to open an SSE stream (aiohttp-sse underneath).

::

    @route("GET", "/api/v3/things/{dialog}", summary=..., content_type=SSE_CONTENT_TYPE)
    async def stream_things(request, *, path_params):
        async with open_stream(request) as stream:
            await stream.send({"messages": [...]}, id="42")     # unnamed event
            await stream.send({"total": 1}, event="done")       # named terminal event
        return stream.response

Every stream is registered in ``app[STREAMS]``; on shutdown each open stream gets a
terminal ``event: error`` ``{"error": "shutting_down", ...}`` and its handler is
cancelled, then returns normally. An exception escaping the ``async with`` block after
the stream started is reported the same way as the error middleware would, as a
terminal ``error`` event (so check what can fail with a proper HTTP status, e.g. an
unknown dialog, before opening the stream). A client that goes away ends the block
quietly. aiohttp-sse sends ``: ping`` comments while the handler waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from tgscraper.web.appkeys import STREAMS
from tgscraper.web.errors import describe_exception
from tgscraper.web.json import dumps

log = logging.getLogger(__name__)

SSE_CONTENT_TYPE = "text/event-stream"
PING_INTERVAL_S = 15.0
#: a write a client does not take within this ends its stream (aiohttp-sse's default)
SEND_TIMEOUT_S: float | None = getattr(EventSourceResponse, "DEFAULT_SEND_TIMEOUT", None)
SHUTTING_DOWN = {
    "error": "shutting_down",
    "detail": "The server is shutting down; reconnect later (send Last-Event-ID to resume).",
}


def _frame(data: bytes, event: str | None, id: str | None) -> bytes:
    """One event of one ``data`` line, encoded (the fast path for stored JSON: no
    decoding, line splitting and encoding again of what is already UTF-8 JSON)."""
    head = []
    for field, value in (("id", id), ("event", event)):
        if value is not None:
            if "\n" in value or "\r" in value or "\0" in value:
                raise ValueError(f"an event {field} must be one line without NUL")
            head.append(f"{field}: {value}\r\n")
    return b"".join(("".join(head).encode(), b"data: ", data, b"\r\n\r\n"))


class StreamEnded(Exception):
    """Raised by send() once the stream was ended (server shutdown)."""


class EventStream:
    """One open SSE response."""

    def __init__(self, request: web.Request, response: EventSourceResponse):
        self.request = request
        self.response = response
        self.task = asyncio.current_task()
        self.ended = False

    @property
    def last_event_id(self) -> str | None:
        """The client's Last-Event-ID header (resume point), if any."""
        return self.request.headers.get("Last-Event-ID")

    async def send(self, payload: Any, *, event: str | None = None, id: str | None = None) -> None:
        """Send one event whose data is `payload` as JSON."""
        await self.send_raw(dumps(payload), event=event, id=id)

    async def send_raw(
        self, data: str | bytes, *, event: str | None = None, id: str | None = None
    ) -> None:
        """Send one event whose data is already-encoded JSON text (str, or UTF-8 bytes)."""
        if self.ended:
            raise StreamEnded("the stream was ended by the server")
        if isinstance(data, str) or b"\n" in data or b"\r" in data:
            text = data if isinstance(data, str) else data.decode()
            await self.response.send(text, event=event, id=id)  # splits lines, encodes
        else:
            await self._write_frame(_frame(data, event, id))

    async def _write_frame(self, frame: bytes) -> None:
        """What aiohttp-sse's send() does once it has encoded an event: write it within
        the send timeout; a reset or stalled client ends the stream."""
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.response.write(frame)
        except ConnectionResetError:
            self.response.stop_streaming()
            raise
        except TimeoutError:
            self.response.stop_streaming()
            if self.request.transport is not None:
                self.request.transport.abort()
            raise

    async def end_with_error(self, payload: Mapping[str, Any]) -> None:
        """Send a terminal ``error`` event; nothing more is sent after it."""
        if self.ended:
            return
        self.ended = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.response.send(dumps(dict(payload)).decode(), event="error")

    async def shut_down(self) -> None:
        """End the stream for server shutdown and stop its handler."""
        await self.end_with_error(SHUTTING_DOWN)
        if self.task is not None and not self.task.done():
            self.task.cancel()


@contextlib.asynccontextmanager
async def open_stream(
    request: web.Request,
    *,
    headers: Mapping[str, str] | None = None,
    ping_interval: float = PING_INTERVAL_S,
) -> AsyncIterator[EventStream]:
    """Start an SSE response, registered for shutdown; see the module docstring."""
    response = EventSourceResponse(headers=headers, ping_interval=ping_interval)
    await response.prepare(request)
    stream = EventStream(request, response)
    streams = request.app[STREAMS]
    streams.add(stream)
    try:
        yield stream
    except asyncio.CancelledError:
        if not stream.ended or stream.task is None:
            raise  # the client went away, or a cancellation that is not ours
        stream.task.uncancel()  # ours (shutdown): the handler returns its response
    except StreamEnded:
        pass
    except ConnectionResetError:
        log.debug("%s %s: the client closed the stream", request.method, request.path)
    except Exception as exc:
        answer = await describe_exception(request, exc)
        await stream.end_with_error(answer.payload)
    finally:
        streams.discard(stream)
        response.stop_streaming()


async def close_streams(app: web.Application) -> None:
    """on_shutdown: end every open stream with an ``error`` ``shutting_down`` event."""
    streams = list(app[STREAMS])
    if streams:
        log.info("Ending %d open event stream(s) for shutdown", len(streams))
    await asyncio.gather(*(stream.shut_down() for stream in streams))


def setup_streams(app: web.Application) -> None:
    app[STREAMS] = set()
    app.on_shutdown.append(close_streams)
