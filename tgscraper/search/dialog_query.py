"""Filtering, ranking, sorting and paging an account's dialog list (no Telegram).

``select_dialogs(entries, folders, query)`` is the whole of GET /api/v3/search/dialogs
once the dialog list is known: it is pure and runs off the event loop (the fuzzy
scoring of thousands of dialogs takes a while).

Order: ``sort`` picks the key (``relevance`` needs a ``q``; it is the default when a
fuzzy ``q`` is given, ``last_message`` otherwise) and ``order`` its direction (default:
descending, ascending for ``title``). Dialogs without a value for the key (no last
message, no participant count) come last in both directions; ties keep the most recent
last message first, then the smaller id, so pages are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tgscraper.search.entries import SERVICE_NOTIFICATIONS_ID, DialogEntry, Folder, folder_ids_of
from tgscraper.search.fuzzy import DEFAULT_MIN_SCORE, EXACT_MATCH_MIN, Scorer, normalize

FUZZY = "fuzzy"
EXACT = "exact"
MATCH_MODES = (FUZZY, EXACT)
SORT_KEYS = ("relevance", "last_message", "title", "participants", "unread")
ORDERS = ("asc", "desc")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class DialogQuery:
    """A validated dialog search. Dates are Unix seconds: ``last_message_after`` is
    inclusive, ``last_message_before`` exclusive. ``None`` means "no filter"."""

    q: str | None = None
    match: str = FUZZY
    min_score: float | None = None
    types: frozenset[str] = frozenset()
    is_archived: bool | None = None
    folder: int | None = None
    has_username: bool | None = None
    is_verified: bool | None = None
    is_creator: bool | None = None
    min_participants: int | None = None
    max_participants: int | None = None
    last_message_after: int | None = None
    last_message_before: int | None = None
    sort: str | None = None
    order: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @property
    def sort_key(self) -> str:
        if self.sort is not None:
            return self.sort
        return "relevance" if self.q and self.match == FUZZY else "last_message"

    @property
    def descending(self) -> bool:
        if self.order is not None:
            return self.order == "desc"
        return self.sort_key != "title"

    @property
    def score_floor(self) -> float:
        """The lowest score a dialog needs to match ``q``."""
        if self.match == EXACT:
            return max(EXACT_MATCH_MIN, self.min_score or 0.0)
        return DEFAULT_MIN_SCORE if self.min_score is None else self.min_score


@dataclass(frozen=True, slots=True)
class DialogMatch:
    """A dialog that passed the filters, with its folders and relevance (None without q)."""

    entry: DialogEntry
    folder_ids: list[int]
    score: float | None

    def json_dict(self) -> dict[str, Any]:
        return self.entry.json_dict(self.folder_ids)


def select_dialogs(
    entries: Iterable[DialogEntry], folders: list[Folder], query: DialogQuery
) -> tuple[int, list[DialogMatch]]:
    """(number of dialogs matching, the requested page of them in order)."""
    matches = list(_matching(entries, folders, query))
    _sort(matches, query)
    return len(matches), matches[query.offset : query.offset + query.limit]


def _matching(
    entries: Iterable[DialogEntry], folders: list[Folder], query: DialogQuery
) -> Iterable[DialogMatch]:
    tests = _filters(query)
    scorer = Scorer(query.q) if query.q else None
    floor = query.score_floor
    for entry in entries:
        if entry.id == SERVICE_NOTIFICATIONS_ID or not all(test(entry) for test in tests):
            continue
        folder_ids = folder_ids_of(entry, folders)
        if query.folder is not None and query.folder not in folder_ids:
            continue
        score = None
        if scorer is not None:
            score = scorer.best([entry.title, entry.username, entry.full_name], floor=floor)
            if score < floor:
                continue
        yield DialogMatch(entry, folder_ids, score)


def _filters(query: DialogQuery) -> list[Callable[[DialogEntry], bool]]:
    tests: list[Callable[[DialogEntry], bool]] = []
    if query.types:
        tests.append(lambda e: e.type in query.types)
    for name, value in (
        ("is_archived", query.is_archived),
        ("is_verified", query.is_verified),
        ("is_creator", query.is_creator),
    ):
        if value is not None:
            tests.append(lambda e, name=name, value=value: getattr(e, name) == value)
    if query.has_username is not None:
        tests.append(lambda e: bool(e.username) == query.has_username)
    low, high = query.min_participants, query.max_participants
    if low is not None or high is not None:
        tests.append(lambda e: _within(e.participants_count, low, high, inclusive_high=True))
    after, before = query.last_message_after, query.last_message_before
    if after is not None or before is not None:
        tests.append(lambda e: _within(e.last_message_date, after, before, inclusive_high=False))
    return tests


def _within(value: int | None, low: int | None, high: int | None, *, inclusive_high: bool) -> bool:
    """A known value with low <= value and value <= high (or < high)."""
    if value is None:
        return False
    if low is not None and value < low:
        return False
    if high is None:
        return True
    return value <= high if inclusive_high else value < high


def _sort(matches: list[DialogMatch], query: DialogQuery) -> None:
    """Sort in place: ties by newest last message, then id; missing values last."""
    matches.sort(key=lambda m: (-(m.entry.last_message_date or -1), m.entry.id))
    key = _SORT_VALUES[query.sort_key]
    known = [m for m in matches if key(m) is not None]
    unknown = [m for m in matches if key(m) is None]
    known.sort(key=key, reverse=query.descending)
    matches[:] = known + unknown


_SORT_VALUES: dict[str, Callable[[DialogMatch], Any]] = {
    "relevance": lambda m: m.score,
    "last_message": lambda m: m.entry.last_message_date,
    "title": lambda m: normalize(m.entry.title) if m.entry.title else None,
    "participants": lambda m: m.entry.participants_count,
    "unread": lambda m: m.entry.unread_count,
}
