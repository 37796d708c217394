"""The search logic that needs no Telegram: fuzzy scores, folder rules, dialog selection
(filters, sort, paging), message-search cursors, the TTL cache of dialog lists."""

from __future__ import annotations

import asyncio

import pytest

from tgscraper.search.cursors import (
    DIALOG,
    GLOBAL,
    CursorError,
    DialogCursor,
    GlobalCursor,
    decode_cursor,
    encode_cursor,
)
from tgscraper.search.dialog_query import DialogQuery, select_dialogs
from tgscraper.search.entries import DialogEntry, Folder, preview_text
from tgscraper.search.fuzzy import DEFAULT_MIN_SCORE, Scorer, normalize
from tgscraper.telegram.dialogs_source import TtlCache


def entry(id: int, title: str, **kwargs) -> DialogEntry:
    kwargs.setdefault("type", "channel")
    return DialogEntry(id=id, title=title, **kwargs)


# -- fuzzy ---------------------------------------------------------------------------


def test_normalize_folds_case_accents_and_separators():
    assert normalize("  Crème_Brûlée -- CLUB ") == "creme brulee club"
    assert normalize("@crypto_traders") == "crypto traders"
    assert normalize("🚀🚀") == "🚀🚀"  # nothing but symbols: compared as written


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("crypt", 1.0, 1.0),  # equal
        ("Crypto Traders", 0.90, 0.95),  # starts with
        ("The Crypt", 0.80, 0.85),  # a word starts with
        ("Encrypted", 0.70, 0.75),  # inside
        ("Krypto", 0.0, 0.59),  # mere similarity
    ],
)
def test_score_bands(text, low, high):
    assert low <= Scorer("crypt").score(text) <= high


def test_substring_hit_outranks_similarity_and_shorter_text_wins_in_a_band():
    scorer = Scorer("crypt")
    assert scorer.score("Crypto Traders") > scorer.score("The Crypt") > scorer.score("Encrypted")
    assert scorer.score("Crypto") > scorer.score("Crypto Traders")
    assert scorer.score("Encrypted") > scorer.score("Krypto")


def test_all_words_in_any_order_and_typos():
    assert 0.60 <= Scorer("traders crypto").score("Crypto Traders") <= 0.65
    typo = Scorer("cyrpto traders").score("Crypto Traders")
    assert DEFAULT_MIN_SCORE <= typo < 0.6
    assert Scorer("cats").score("Crypto Traders") < DEFAULT_MIN_SCORE


def test_best_of_several_texts_skips_none():
    scorer = Scorer("petrov")
    assert scorer.best([None, "Some Title", "Ivan Petrov"]) > 0.8
    assert scorer.best([None, None]) == 0.0


# -- previews and folders ----------------------------------------------------------


def test_preview_is_one_line_of_at_most_120_characters():
    assert preview_text("a\n\n b\tc") == "a b c"
    long = preview_text("word " * 100)
    assert long is not None and len(long) == 120 and long.endswith("…")
    assert preview_text("") is None and preview_text(None) is None


def test_folder_rules():
    contact = entry(1, "Friend", type="user", is_contact=True)
    stranger = entry(2, "Stranger", type="user")
    bot = entry(3, "Bot", type="bot")
    group = entry(-4, "Group", type="group", unread_count=2)
    channel = entry(-1005, "Channel", type="channel", is_muted=True, unread_count=1)
    archived = entry(-1006, "Old", type="supergroup", is_archived=True)
    saved = entry(7, "Saved Messages", type="saved")
    everything = [contact, stranger, bot, group, channel, archived, saved]

    def members(folder: Folder) -> set[int]:
        return {e.id for e in everything if folder.contains(e)}

    assert members(Folder(1, "Contacts", contacts=True)) == {1, 7}
    assert members(Folder(1, "Others", non_contacts=True, bots=True)) == {2, 3}
    assert members(Folder(1, "Groups", groups=True, exclude_archived=True)) == {-4}
    assert members(Folder(1, "Unread", groups=True, broadcasts=True, exclude_read=True)) == {
        -4,
        -1005,
    }
    assert members(Folder(1, "Loud", broadcasts=True, exclude_muted=True)) == set()
    explicit = Folder(1, "Mine", groups=True, included=(-1005,), excluded=frozenset({-4}))
    assert members(explicit) == {-1005, -1006}  # inclusion beats the flags, exclusion too


# -- selection -----------------------------------------------------------------------


def sample() -> list[DialogEntry]:
    return [
        entry(-1001, "Crypto Traders", type="supergroup", participants_count=50,
              last_message_date=500, unread_count=1),
        entry(-1002, "Zoo", participants_count=10, last_message_date=700, unread_count=5),
        entry(-1003, "alpha", participants_count=None, last_message_date=None),
        entry(10, "Ivan Petrov", type="user", full_name="Ivan Petrov", last_message_date=600),
        entry(777000, "Telegram", type="user", last_message_date=900),
        entry(-1004, "Beta", participants_count=10, last_message_date=800, username="beta_b"),
    ]  # fmt: skip


def ids(query: DialogQuery, entries: list[DialogEntry] | None = None) -> list[int]:
    return [m.entry.id for m in select_dialogs(entries or sample(), [], query)[1]]


def test_default_order_is_last_message_and_service_chat_is_left_out():
    assert ids(DialogQuery()) == [-1004, -1002, 10, -1001, -1003]


def test_sorts_keep_missing_values_last_and_ties_by_last_message():
    assert ids(DialogQuery(sort="title")) == [-1003, -1004, -1001, 10, -1002]
    assert ids(DialogQuery(sort="title", order="desc")) == [-1002, 10, -1001, -1004, -1003]
    participants = ids(DialogQuery(sort="participants"))
    assert participants[:3] == [-1001, -1004, -1002]  # 50, then the two 10s by last message
    assert set(participants[3:]) == {10, -1003}  # unknown counts last
    assert ids(DialogQuery(sort="participants", order="asc"))[:3] == [-1004, -1002, -1001]
    assert ids(DialogQuery(sort="unread"))[:2] == [-1002, -1001]
    assert ids(DialogQuery(sort="last_message", order="asc")) == [-1001, 10, -1002, -1004, -1003]


def test_filters_and_paging():
    assert ids(DialogQuery(types=frozenset({"user"}))) == [10]
    assert ids(DialogQuery(has_username=True)) == [-1004]
    assert ids(DialogQuery(min_participants=10, max_participants=10)) == [-1004, -1002]
    assert ids(DialogQuery(last_message_after=600, last_message_before=800)) == [-1002, 10]
    total, page = select_dialogs(sample(), [], DialogQuery(limit=2, offset=1))
    assert total == 5 and [m.entry.id for m in page] == [-1002, 10]


def test_fuzzy_query_ranks_by_relevance_and_exact_needs_the_text():
    assert ids(DialogQuery(q="petrov")) == [10]
    assert ids(DialogQuery(q="crypt")) == [-1001]
    assert ids(DialogQuery(q="crpyto")) == [-1001]  # a typo
    assert ids(DialogQuery(q="crpyto", match="exact")) == []
    assert ids(DialogQuery(q="a", min_score=0.0))[0] == -1003  # "alpha" starts with it
    assert len(ids(DialogQuery(q="zzz", min_score=0.0))) == 5  # 0: keep everything


# -- cursors -------------------------------------------------------------------------


def test_cursors_round_trip_and_refuse_other_searches():
    cursor = GlobalCursor(1_700_000_000, -1001234567890, -(2**62), 42, 300)
    text = encode_cursor(cursor, "abc")
    assert text.isascii() and "=" not in text
    assert decode_cursor(text, "abc", GLOBAL) == cursor
    with pytest.raises(CursorError, match="another search"):
        decode_cursor(text, "xyz", GLOBAL)
    with pytest.raises(CursorError, match="kind"):
        decode_cursor(text, "abc", DIALOG)
    dialog = DialogCursor(17, 100)
    assert decode_cursor(encode_cursor(dialog, "abc"), "abc", DIALOG) == dialog
    for garbage in ("!!!", "bm9wZQ", "e30", "eyJrIjoiZCIsInYiOjEsImYiOiJhYmMifQ"):
        with pytest.raises(CursorError):
            decode_cursor(garbage, "abc", DIALOG)


# -- TTL cache ------------------------------------------------------------------------


async def test_ttl_cache_shares_a_load_keeps_it_and_refreshes():
    now = [0.0]
    cache: TtlCache[int] = TtlCache(clock=lambda: now[0])
    loads = []
    gate = asyncio.Event()

    async def load() -> int:
        loads.append(1)
        await gate.wait()
        return len(loads)

    first = asyncio.ensure_future(cache.get("a", load, ttl=60))
    second = asyncio.ensure_future(cache.get("a", load, ttl=60))
    await asyncio.sleep(0)
    gate.set()
    assert await first == await second == 1  # one load for concurrent callers
    assert await cache.get("a", load, ttl=60) == 1
    now[0] = 59.0
    assert await cache.get("a", load, ttl=60) == 1
    now[0] = 60.0
    assert await cache.get("a", load, ttl=60) == 2  # expired
    assert await cache.get("a", load, ttl=60, refresh=True) == 3
    assert await cache.get("a", load, ttl=0) == 4  # ttl 0: never kept


async def test_ttl_cache_does_not_keep_failures():
    cache: TtlCache[int] = TtlCache()
    calls = []

    async def load() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return 7

    with pytest.raises(RuntimeError):
        await cache.get("k", load, ttl=60)
    assert await cache.get("k", load, ttl=60) == 7


async def test_ttl_cache_keeps_the_newest_of_overlapping_loads():
    now = [0.0]
    cache: TtlCache[str] = TtlCache(clock=lambda: now[0])
    slow_gate = asyncio.Event()

    async def slow() -> str:
        await slow_gate.wait()
        return "old"

    async def fast() -> str:
        return "new"

    old = asyncio.ensure_future(cache.get("k", slow, ttl=60))
    await asyncio.sleep(0)
    now[0] = 1.0
    assert await cache.get("k", fast, ttl=60, refresh=True) == "new"
    slow_gate.set()
    assert await old == "old"  # its caller gets what it asked for
    assert await cache.get("k", slow, ttl=60) == "new"  # but the newer answer is kept
