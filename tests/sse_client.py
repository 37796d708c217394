"""A small server-sent-events client for tests: parse a stream as the spec says
(html.spec.whatwg.org "server-sent events": fields, comments, multi-line data, ids).

    result = await read_stream(app, "/api/v3/history/news", params={"chunk_size": 10})
    assert result.status == 200
    ids = [m["message_id"] for m in result.messages]
    assert result.done == {"dialog_id": ..., "total": ...}

    # or event by event (e.g. to hang up part-way):
    async with open_events(app, path) as (response, events):
        async for event in events:
            ...

``app`` is a ``tests.app_fixtures.Tgsc``. A non-200 answer is returned as is (``status``,
``error`` = its JSON body) with no events.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event; ``event`` is None for unnamed ("message") events."""

    event: str | None
    data: str
    id: str | None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseResult:
    status: int
    headers: Mapping[str, str]
    events: list[SseEvent] = field(default_factory=list)
    #: comment lines received (aiohttp-sse sends ": ping" keep-alives)
    comments: list[str] = field(default_factory=list)
    #: JSON body of a non-200 answer
    body: Any = None

    def named(self, name: str | None) -> list[SseEvent]:
        return [event for event in self.events if event.event == name]

    @property
    def batches(self) -> list[list[dict[str, Any]]]:
        """The messages of each unnamed event, in order."""
        return [event.json()["messages"] for event in self.named(None)]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for batch in self.batches for message in batch]

    @property
    def message_ids(self) -> list[int]:
        return [message["message_id"] for message in self.messages]

    @property
    def last_event(self) -> SseEvent | None:
        return self.events[-1] if self.events else None

    @property
    def done(self) -> dict[str, Any] | None:
        last = self.last_event
        return last.json() if last is not None and last.event == "done" else None

    @property
    def error(self) -> dict[str, Any] | None:
        """The terminal ``error`` event, or the JSON body of a non-200 answer."""
        if self.status != 200:
            return self.body
        last = self.last_event
        return last.json() if last is not None and last.event == "error" else None


class _EventParser:
    """The spec's line-by-line parsing, shared by streams and whole texts."""

    def __init__(self, comments: list[str] | None) -> None:
        self.comments = comments
        self.name: str | None = None
        self.data: list[str] = []
        self.last_id: str | None = None

    def feed(self, line: str) -> SseEvent | None:
        """One line without its end; the event it completes, if any."""
        if not line:
            event = SseEvent(self.name, "\n".join(self.data), self.last_id) if self.data else None
            self.name, self.data = None, []
            return event
        if line.startswith(":"):
            if self.comments is not None:
                self.comments.append(line[1:].strip())
            return None
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            self.name = value or None
        elif key == "data":
            self.data.append(value)
        elif key == "id" and "\0" not in value:
            self.last_id = value
        return None

    def end(self) -> SseEvent | None:
        """A final event without its blank line (browsers discard it; keep it here)."""
        return self.feed("")


async def parse_events(
    content: aiohttp.StreamReader, comments: list[str] | None = None
) -> AsyncIterator[SseEvent]:
    """Events from an SSE body, as they arrive."""
    parser = _EventParser(comments)
    async for raw_line in content:
        event = parser.feed(raw_line.decode("utf-8").rstrip("\r\n"))
        if event is not None:
            yield event
    event = parser.end()
    if event is not None:
        yield event


def parse_text(text: str, comments: list[str] | None = None) -> list[SseEvent]:
    """Events of a whole SSE text (or of the part of a stream read so far)."""
    parser = _EventParser(comments)
    events = [parser.feed(line) for line in text.replace("\r\n", "\n").split("\n")]
    return [event for event in [*events, parser.end()] if event is not None]


def _headers(app: Any, account: Any, headers: Mapping[str, str] | None) -> dict[str, str]:
    sent = app.headers() if account is _DEFAULT else app.headers(account=account)
    return {**sent, **(headers or {})}


_DEFAULT = object()


@contextlib.asynccontextmanager
async def open_events(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    account: Any = _DEFAULT,
    comments: list[str] | None = None,
) -> AsyncIterator[tuple[aiohttp.ClientResponse, AsyncIterator[SseEvent]]]:
    """The response and its events as they arrive; leaving the block hangs up."""
    async with app.session.request(
        method,
        app.url(path),
        params=_query(params),
        headers=_headers(app, account, headers),
        timeout=aiohttp.ClientTimeout(total=None, sock_read=120),
    ) as response:
        yield response, parse_events(response.content, comments)


async def read_stream(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    account: Any = _DEFAULT,
) -> SseResult:
    """Read a whole stream (or a non-200 answer)."""
    comments: list[str] = []
    async with open_events(
        app, path, method=method, params=params, headers=headers, account=account,
        comments=comments,
    ) as (response, events):  # fmt: skip
        result = SseResult(response.status, response.headers, comments=comments)
        if response.status != 200:
            result.body = await response.json(content_type=None)
            return result
        result.events = [event async for event in events]
    return result


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {
        key: ("true" if value is True else "false" if value is False else str(value))
        for key, value in params.items()
    }
