"""The one parser for ``start_date`` / ``end_date`` (history and search share it).

A request range is half-open in Unix seconds: ``[start, end)``.

Accepted forms (surrounding whitespace ignored; a value without an offset is UTC):

* ``YYYY-MM-DD``
* ``YYYY-MM-DD HH:MM[:SS[.fraction]]`` (``T`` may replace the space)
* the same with an offset: ``Z``, ``+HH:MM``, ``-HHMM``, ``+HH``
* Unix seconds: ``1704067200`` (digits only, so ``20240101`` is a Unix time, not a date)

``start_date`` is inclusive. ``end_date`` includes everything it names: a date includes
that whole day, ``HH:MM`` includes that minute, a time with seconds (or fractions of one)
or a Unix time includes that second. Defaults: start 0 (the chat's beginning), end
``now + 1``.

Functions are pure and raise :class:`DateParamError` (a ``ValueError`` naming the
parameter) with a sentence the route layer can return as a 400 as is.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

START_PARAM = "start_date"
END_PARAM = "end_date"

# datetime(10000, 1, 1) would overflow; refuse Unix times past year 9999 with a sentence.
MAX_TIMESTAMP = 253402300799

ACCEPTED_FORMS = (
    "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, ISO 8601 with an offset "
    "(2024-01-31T12:00:00+02:00) or Unix seconds"
)

_ISO = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    (?:
        [T ](?P<hour>\d{2}):(?P<minute>\d{2})
        (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?
        (?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_UNIX = re.compile(r"\d{1,15}")

_DAY = 86400


class DateParamError(ValueError):
    """A bad date parameter; ``parameter`` is the query parameter's name (or None)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


def parse_bound(text: str, *, is_end: bool) -> int:
    """Parse one bound into Unix seconds.

    For ``is_end`` the result is exclusive and includes what the text names (see module
    docstring): ``2024-01-31`` -> 2024-02-01 00:00:00 UTC, ``1700000000`` -> 1700000001.
    """
    value = text.strip()
    if not value:
        raise DateParamError(f"The date is empty; use {ACCEPTED_FORMS}.")
    if _UNIX.fullmatch(value):
        seconds = int(value)
        if seconds > MAX_TIMESTAMP:
            raise DateParamError(f"Unix time {value} is after the year 9999.")
        return seconds + 1 if is_end else seconds
    match = _ISO.fullmatch(value)
    if match is None:
        raise DateParamError(f"{value!r} is not a date; use {ACCEPTED_FORMS}.")
    moment, precision = _moment(match, value)
    if is_end:
        moment += precision
    whole = math.floor(moment.timestamp())
    # A fractional end (12:00:00.5) includes its whole second: floor, then +1 second.
    return whole if not is_end or moment.microsecond == 0 else whole + 1


def resolve_range(start_text: str | None, end_text: str | None, now: float) -> tuple[int, int]:
    """Both bounds of a request as ``[start, end)``; defaults: 0 and ``now + 1``.

    A start before 1970 is the chat's beginning (clamped to 0). Raises
    :class:`DateParamError` naming the faulty parameter, or ``start_date`` when the
    range is empty.
    """
    start = 0 if start_text is None else _parse_param(start_text, START_PARAM, is_end=False)
    end = int(now) + 1 if end_text is None else _parse_param(end_text, END_PARAM, is_end=True)
    start = max(start, 0)
    if start >= end:
        raise DateParamError(
            f"The range is empty: start_date ({format_date(start)} UTC) must be before "
            f"the end of end_date ({format_date(max(end, 0))} UTC, exclusive).",
            START_PARAM,
        )
    return start, end


def format_date(ts: int) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS`` in UTC (the message JSON's date format)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_param(text: str, parameter: str, *, is_end: bool) -> int:
    try:
        return parse_bound(text, is_end=is_end)
    except DateParamError as error:
        raise DateParamError(f"{parameter}: {error}", parameter) from None


def _moment(match: re.Match[str], value: str) -> tuple[datetime, timedelta]:
    """The datetime a match names and the length of what it names (day, minute, second)."""
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    tzinfo = _offset(parts["offset"], value)
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction or 0),
            tzinfo=tzinfo,
        )
    except ValueError as error:
        raise DateParamError(f"{value!r} is not a valid date: {error}.") from None
    if parts["hour"] is None:
        precision = timedelta(days=1)
    elif parts["second"] is None:
        precision = timedelta(minutes=1)
    else:
        precision = timedelta(seconds=1) if parts["fraction"] is None else timedelta(0)
    return moment, precision


def _offset(text: str | None, value: str) -> timezone:
    if text is None or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise DateParamError(f"{value!r} has an invalid UTC offset {text!r}.")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
