"""start_date / end_date parsing: every accepted form, the whole-day rule, offsets, errors."""

from datetime import UTC, datetime

import pytest

from tgscraper.dates import DateParamError, format_date, parse_bound, resolve_range


def ts(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # A date names a whole day.
        ("2024-01-31", ts(2024, 1, 31), ts(2024, 2, 1)),
        ("2024-02-29", ts(2024, 2, 29), ts(2024, 3, 1)),
        ("2023-12-31", ts(2023, 12, 31), ts(2024, 1, 1)),
        # A time with seconds names one second.
        ("2024-01-31 12:30:15", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        ("2024-01-31T12:30:15", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        ("2024-01-31t12:30:15z", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        ("2024-01-31T12:30:15Z", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        # A time without seconds names one minute.
        ("2024-01-31 12:30", ts(2024, 1, 31, 12, 30), ts(2024, 1, 31, 12, 31)),
        # Fractions: the start floors, the end includes the whole second.
        ("2024-01-31T12:30:15.250", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        ("2024-01-31T12:30:15,5Z", ts(2024, 1, 31, 12, 30, 15), ts(2024, 1, 31, 12, 30, 16)),
        # Offsets convert to UTC.
        ("2024-01-31T12:00:00+02:00", ts(2024, 1, 31, 10), ts(2024, 1, 31, 10, 0, 1)),
        ("2024-01-31T12:00:00-0530", ts(2024, 1, 31, 17, 30), ts(2024, 1, 31, 17, 30, 1)),
        ("2024-01-31T00:30:00+01", ts(2024, 1, 30, 23, 30), ts(2024, 1, 30, 23, 30, 1)),
        ("2024-01-31 23:00:00-02:00", ts(2024, 2, 1, 1), ts(2024, 2, 1, 1, 0, 1)),
        # Unix seconds name one second.
        ("1700000000", 1700000000, 1700000001),
        ("0", 0, 1),
        # Digits only are Unix seconds, never a compact date.
        ("20240101", 20240101, 20240102),
        ("  2024-01-31  ", ts(2024, 1, 31), ts(2024, 2, 1)),
    ],
)
def test_bounds(text, start, end):
    assert parse_bound(text, is_end=False) == start
    assert parse_bound(text, is_end=True) == end


def test_whole_january():
    assert resolve_range("2024-01-01", "2024-01-31", now=ts(2025, 1, 1)) == (
        ts(2024, 1, 1),
        ts(2024, 2, 1),
    )


def test_same_day_is_one_day():
    assert resolve_range("2024-05-05", "2024-05-05", now=0 + ts(2025, 1, 1)) == (
        ts(2024, 5, 5),
        ts(2024, 5, 6),
    )


def test_defaults_are_beginning_and_now_inclusive():
    now = ts(2024, 6, 1, 12) + 0.75
    assert resolve_range(None, None, now) == (0, ts(2024, 6, 1, 12) + 1)
    assert resolve_range("2024-06-01", None, now) == (ts(2024, 6, 1), ts(2024, 6, 1, 12) + 1)
    assert resolve_range(None, "2024-01-01", now) == (0, ts(2024, 1, 2))


def test_start_before_1970_is_the_beginning():
    assert resolve_range("1960-01-01", "1970-01-02", now=0) == (0, 86400 * 2)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-02-01", "2024-01-31"),
        ("2024-02-01 00:00:00", "2024-01-31"),  # end of Jan 31 == start: empty
        ("1700000001", "1700000000"),
        ("1960-01-01", "1969-12-31"),
    ],
)
def test_empty_range_names_start_date(start, end):
    with pytest.raises(DateParamError) as caught:
        resolve_range(start, end, now=ts(2025, 1, 1))
    assert caught.value.parameter == "start_date"
    assert "before" in str(caught.value)


def test_touching_bounds_are_one_second():
    assert resolve_range("1700000000", "1700000000", now=0) == (1700000000, 1700000001)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday",
        "2024-13-01",
        "2024-02-30",
        "2024-1-5",
        "24-01-05",
        "2024-01-05 25:00:00",
        "2024-01-05 10:60",
        "2024-01-05 10:00:61",
        "2024-01-05T10:00:00+24:00",
        "2024-01-05T10:00:00+02:75",
        "2024-01-05Z",
        "2024-01-05T",
        "-5",
        "1.5",
        "1e9",
        "999999999999999",
        "2024-01-05 10:00:00 UTC",
    ],
)
def test_bad_values(text):
    with pytest.raises(ValueError) as caught:
        parse_bound(text, is_end=False)
    message = str(caught.value)
    assert message.endswith(".")
    assert len(message) > 20


@pytest.mark.parametrize("which", ["start_date", "end_date"])
def test_errors_name_the_parameter(which):
    args = {"start_text": None, "end_text": None}
    args["start_text" if which == "start_date" else "end_text"] = "2024-99-99"
    with pytest.raises(DateParamError) as caught:
        resolve_range(args["start_text"], args["end_text"], now=ts(2025, 1, 1))
    assert caught.value.parameter == which
    assert str(caught.value).startswith(which)
    assert "2024-99-99" in str(caught.value)


def test_format_date_is_utc_seconds():
    assert format_date(0) == "1970-01-01 00:00:00"
    assert format_date(ts(2024, 2, 29, 23, 59, 59)) == "2024-02-29 23:59:59"


def test_format_round_trips_through_parse():
    for value in (0, 1, 1700000000, ts(2030, 12, 31, 23, 59, 59)):
        assert parse_bound(format_date(value), is_end=False) == value
        assert parse_bound(format_date(value), is_end=True) == value + 1
