"""GET /api/v3/search/dialogs against a fakegram world of about 200 dialogs of every type
(tests/search_world.py): every filter and sort, paging, fuzzy ranking, the per-account
dialog-list cache, and a 400 naming each bad parameter."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.search_world import SearchWorld, build_search_world, ts
from tgscraper.dates import format_date
from tgscraper.search.entries import SERVICE_NOTIFICATIONS_ID

PATH = "/api/v3/search/dialogs"


@dataclass
class Setup:
    sw: SearchWorld
    server: Any
    app: Any

    async def search(self, **params: Any) -> dict:
        return await self.app.json("GET", f"{PATH}?{urlencode(params, doseq=True)}")

    async def all_ids(self, **params: Any) -> list[int]:
        body = await self.search(limit=500, **params)
        assert body["total"] == len(body["results"])
        return [item["id"] for item in body["results"]]

    def expected(self, keep=lambda d: True) -> list[Any]:
        return [d for d in self.sw.dialogs.values() if d.id != SERVICE_NOTIFICATIONS_ID and keep(d)]


@pytest.fixture
async def setup(fakegram, make_tgsc) -> Setup:
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(telegram=server, accounts={"alice": sw.alice.id})
    return Setup(sw, server, app)


def newest_first(dialogs) -> list[int]:
    return [d.id for d in sorted(dialogs, key=lambda d: (-d.last_message_date, d.id))]


async def test_no_parameter_lists_every_dialog_once_newest_first(setup):
    default = await setup.search()
    assert default["limit"] == 50 and len(default["results"]) == 50 and default["offset"] == 0
    body = await setup.search(limit=500)
    expected = setup.expected()
    assert len(expected) >= 195
    assert body["total"] == len(expected) and body["offset"] == 0 and body["limit"] == 500
    assert [item["id"] for item in body["results"]] == newest_first(expected)
    assert SERVICE_NOTIFICATIONS_ID not in {item["id"] for item in body["results"]}
    assert {item["type"] for item in body["results"]} == {
        "user", "bot", "group", "supergroup", "channel", "saved"
    }  # fmt: skip


async def test_each_result_has_the_issue_shape_and_true_values(setup):
    body = await setup.search(limit=500)
    for item in body["results"]:
        want = setup.sw.dialogs[item["id"]]
        assert list(item) == [
            "id", "type", "title", "username", "is_verified", "is_creator", "is_archived",
            "folder_ids", "unread_count", "participants_count", "last_message_date",
            "last_message_preview", "message_count",
        ]  # fmt: skip
        assert item["type"] == want.type and item["title"] == want.title, item
        assert item["username"] == want.username
        assert item["is_verified"] == want.is_verified and item["is_creator"] == want.is_creator
        assert item["is_archived"] == want.is_archived
        assert item["folder_ids"] == want.folder_ids, item
        assert item["unread_count"] == want.unread_count, item
        assert item["participants_count"] == want.participants_count
        assert item["last_message_date"] == format_date(want.last_message_date)
        assert item["message_count"] is None  # not cheap in a list
    by_id = {item["id"]: item for item in body["results"]}
    long_talk = by_id[setup.sw.chats["long_talk"].peer]["last_message_preview"]
    assert len(long_talk) == 120 and long_talk.startswith("word word") and "\n" not in long_talk
    assert by_id[setup.sw.chats["photo_dump"].peer]["last_message_preview"] == "[photo]"


async def test_pages_concatenated_equal_the_full_list(setup):
    for params in ({}, {"sort": "title"}, {"type": "channel", "sort": "participants"}):
        full = await setup.all_ids(**params)
        pages: list[int] = []
        offset = 0
        while True:
            body = await setup.search(limit=37, offset=offset, **params)
            assert body["total"] == len(full) and body["offset"] == offset
            pages += [item["id"] for item in body["results"]]
            if len(body["results"]) < 37:
                break
            offset += 37
        assert pages == full and len(set(pages)) == len(pages)
    assert (await setup.search(offset=10_000))["results"] == []


async def test_the_dialog_list_is_fetched_once_per_ttl(setup):
    await setup.search()
    fetches = setup.server.calls["messages.getDialogs"]
    assert fetches == 2  # about 200 dialogs: two pages of 100
    for offset in (50, 100, 150):
        await setup.search(offset=offset, q="channel")
    await setup.app.json("GET", "/api/v3/folders?include_dialogs=true")
    assert setup.server.calls["messages.getDialogs"] == fetches
    assert setup.server.calls["messages.getDialogFilters"] == 1
    await setup.search(refresh="true")
    assert setup.server.calls["messages.getDialogs"] == 2 * fetches
    assert setup.server.calls["messages.getDialogFilters"] == 2


async def test_each_account_has_its_own_dialog_list(fakegram, make_tgsc):
    """The kept list is per account: bob's search never sees alice's copy (or hers his)."""
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(telegram=server, accounts={"alice": sw.alice.id, "bob": sw.bob.id})
    alice = await app.json("GET", f"{PATH}?limit=500")
    bob = await app.json("GET", f"{PATH}?limit=500", account="bob")
    alice_ids = {item["id"] for item in alice["results"]}
    bob_ids = {item["id"] for item in bob["results"]}
    expected = set(sw.world.state(sw.bob.id).dialogs) - {SERVICE_NOTIFICATIONS_ID}
    assert bob_ids == expected and bob["total"] == len(expected)
    assert sw.chats["hidden"].peer in bob_ids and sw.chats["hidden"].peer not in alice_ids
    assert {item["type"] for item in bob["results"] if item["id"] == sw.alice.id} == {"user"}
    fetched = server.calls["messages.getDialogs"]
    assert fetched == 3  # alice's two pages, bob's one
    again = await app.json("GET", f"{PATH}?limit=500&offset=1", account="bob")
    assert [item["id"] for item in again["results"]] == [item["id"] for item in bob["results"]][1:]
    assert (await app.json("GET", f"{PATH}?limit=500"))["total"] == alice["total"]
    assert server.calls["messages.getDialogs"] == fetched  # both kept, each its own


async def test_a_ttl_of_zero_fetches_every_time(fakegram, make_tgsc):
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(
        telegram=server, accounts={"alice": sw.alice.id}, settings={"dialogs_cache_ttl_s": 0}
    )
    await app.json("GET", PATH)
    await app.json("GET", PATH)
    assert server.calls["messages.getDialogs"] == 4


async def test_a_new_dialog_shows_after_refresh(setup):
    before = await setup.all_ids()
    news = setup.sw.builder.channel("Fresh News", members=[setup.sw.alice])
    setup.sw.builder.post(news, "hello", date=ts("2024-06-01 00:00:00"))
    assert await setup.all_ids() == before  # the kept copy
    assert (await setup.all_ids(refresh="true"))[0] == news.peer


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"type": "channel"}, lambda d: d.type == "channel"),
        ({"type": ["user", "bot"]}, lambda d: d.type in ("user", "bot")),
        ({"type": "me"}, lambda d: d.type == "saved"),
        ({"type": ["saved", "group"]}, lambda d: d.type in ("saved", "group")),
        ({"type": "supergroup"}, lambda d: d.type == "supergroup"),
        ({"is_archived": "true"}, lambda d: d.is_archived),
        ({"is_archived": "false"}, lambda d: not d.is_archived),
        ({"has_username": "true"}, lambda d: bool(d.username)),
        ({"has_username": "false"}, lambda d: not d.username),
        ({"is_verified": "true"}, lambda d: d.is_verified),
        ({"is_creator": "true"}, lambda d: d.is_creator),
        ({"is_creator": "false"}, lambda d: not d.is_creator),
        ({"min_participants": 20}, lambda d: (d.participants_count or -1) >= 20),
        ({"max_participants": 5}, lambda d: d.participants_count is not None
                                             and d.participants_count <= 5),
        (
            {"min_participants": 10, "max_participants": 10, "type": "channel"},
            lambda d: d.type == "channel" and d.participants_count == 10,
        ),
        (
            {"last_message_after": "2023-11-20", "last_message_before": "2023-11-22 12:00"},
            lambda d: ts("2023-11-20 00:00:00") <= d.last_message_date
                      < ts("2023-11-22 12:00:00"),
        ),
        (
            {"last_message_before": str(ts("2023-11-18 00:00:00"))},
            lambda d: d.last_message_date < ts("2023-11-18 00:00:00"),
        ),
        (
            {"type": "channel", "is_archived": "false", "has_username": "true"},
            lambda d: d.type == "channel" and not d.is_archived and bool(d.username),
        ),
    ],
)  # fmt: skip
async def test_filters(setup, params, keep):
    expected = setup.expected(keep)
    assert expected, "the world has dialogs for this filter"
    assert len(expected) < len(setup.expected()), "and the filter leaves some out"
    assert await setup.all_ids(**params) == newest_first(expected)


async def test_folder_filter(setup):
    for name, folder_id in setup.sw.folders.items():
        expected = setup.expected(lambda d, f=folder_id: f in d.folder_ids)
        assert expected, name
        assert await setup.all_ids(folder=folder_id) == newest_first(expected), name


@pytest.mark.parametrize(
    ("sort", "order", "key", "reverse"),
    [
        ("title", None, lambda d: d.title.casefold(), False),
        ("title", "desc", lambda d: d.title.casefold(), True),
        ("last_message", "asc", lambda d: d.last_message_date, False),
        ("unread", None, lambda d: d.unread_count, True),
        ("unread", "asc", lambda d: d.unread_count, False),
    ],
)
async def test_sorts(setup, sort, order, key, reverse):
    params = {"sort": sort} | ({"order": order} if order else {})
    ids = await setup.all_ids(**params)
    dialogs = [setup.sw.dialogs[i] for i in ids]
    assert [key(d) for d in dialogs] == sorted((key(d) for d in dialogs), reverse=reverse)
    assert len(ids) == len(setup.expected())
    for a, b in itertools.pairwise(dialogs):  # ties: newest last message first
        if key(a) == key(b):
            assert a.last_message_date >= b.last_message_date


async def test_participants_sort_puts_private_chats_last(setup):
    ids = await setup.all_ids(sort="participants")
    counts = [setup.sw.dialogs[i].participants_count for i in ids]
    known = [c for c in counts if c is not None]
    assert counts[: len(known)] == sorted(known, reverse=True)
    assert all(c is None for c in counts[len(known) :]) and len(known) < len(counts)
    ascending = await setup.all_ids(sort="participants", order="asc")
    asc_counts = [setup.sw.dialogs[i].participants_count for i in ascending]
    assert asc_counts[: len(known)] == sorted(known)


async def test_fuzzy_ranking(setup):
    chats = setup.sw.chats
    body = await setup.search(q="crypt")
    titles = [item["title"] for item in body["results"]]
    assert titles == ["Crypto Traders", "The Crypt", "Daily Crypto News", "Encrypted Chat"]
    loose = await setup.search(q="crypt", min_score=0.3)
    assert [item["title"] for item in loose["results"]][:4] == titles
    assert chats["krypto"].peer in {item["id"] for item in loose["results"]}  # similar
    typo = await setup.search(q="cryptp traders")
    assert typo["results"][0]["id"] == chats["crypto_traders"].peer
    by_username = await setup.search(q="@dailycryptonews")
    assert by_username["results"][0]["id"] == chats["crypto_news"].peer
    by_name = await setup.search(q="petrov")
    assert by_name["results"][0]["title"] == "Ivan Petrov"
    assert (await setup.search(q="ivan_petrov"))["results"][0]["title"] == "Ivan Petrov"


async def test_exact_match_and_sort_override(setup):
    body = await setup.search(q="crypt", match="exact", limit=500)
    titles = {item["title"] for item in body["results"]}
    assert titles == {"Crypto Traders", "The Crypt", "Daily Crypto News", "Encrypted Chat"}
    assert (await setup.search(q="cryptp", match="exact"))["total"] == 0
    by_title = await setup.search(q="crypt", sort="title")
    assert [item["title"] for item in by_title["results"]] == [
        "Crypto Traders", "Daily Crypto News", "Encrypted Chat", "The Crypt"
    ]  # fmt: skip
    relevance = await setup.search(q="crypt", match="exact", sort="relevance")
    assert relevance["results"][0]["title"] == "Crypto Traders"


async def test_fuzzy_with_filters_and_no_hit(setup):
    body = await setup.search(q="crypt", type="channel")
    assert [item["title"] for item in body["results"]] == ["The Crypt", "Daily Crypto News"]
    assert (await setup.search(q="qqqqqqqq"))["total"] == 0


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"q": "  "}, "q"),
        ({"match": "regex"}, "match"),
        ({"min_score": "1.5"}, "min_score"),
        ({"min_score": "x"}, "min_score"),
        ({"type": "robot"}, "type"),
        ({"is_archived": "perhaps"}, "is_archived"),
        ({"folder": "work"}, "folder"),
        ({"folder": 99}, "folder"),
        ({"has_username": "2"}, "has_username"),
        ({"is_verified": "maybe"}, "is_verified"),
        ({"is_creator": "yes please"}, "is_creator"),
        ({"min_participants": -1}, "min_participants"),
        ({"max_participants": "many"}, "max_participants"),
        ({"min_participants": 9, "max_participants": 3}, "min_participants"),
        ({"last_message_after": "yesterday"}, "last_message_after"),
        ({"last_message_before": "2024-13-01"}, "last_message_before"),
        ({"last_message_after": "2024-02-01", "last_message_before": "2024-01-01"},
         "last_message_after"),
        ({"sort": "size"}, "sort"),
        ({"sort": "relevance"}, "sort"),
        ({"order": "up"}, "order"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"refresh": "sometimes"}, "refresh"),
        ({"colour": "blue"}, "colour"),
    ],
)  # fmt: skip
async def test_bad_parameters_answer_400_naming_them(setup, params, name):
    reply = await setup.app.request("GET", f"{PATH}?{urlencode(params, doseq=True)}")
    assert reply.status == 400, reply.text()
    body = reply.json()
    assert body["error"] == "invalid_parameter"
    assert f"'{name}'" in body["detail"], body["detail"]


async def test_flood_wait_answers_429_with_retry_after(fakegram, make_tgsc):
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(
        telegram=server, accounts={"alice": sw.alice.id}, settings={"max_flood_wait_s": 5}
    )
    server.faults.fail("messages.getDialogs", 420, "FLOOD_WAIT_30")
    reply = await app.request("GET", PATH)
    assert reply.status == 429 and reply.headers["Retry-After"] == "30"
    assert reply.json()["error"] == "flood_wait"
    assert (await app.json("GET", PATH))["total"] > 190  # nothing half-fetched was kept
