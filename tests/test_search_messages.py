"""GET /api/v3/search/messages (messages.searchGlobal) and
GET /api/v3/search/messages/{dialog} (messages.search) over real MTProto to fakegram:
paging through more than 500 results with next_offset, from_user, media filters, date
bounds with the whole-day rule, results stored in the cache without coverage, errors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.search_world import NEEDLE_POSTS, SearchWorld, build_search_world, ts
from tgscraper.web.appkeys import CACHE

GLOBAL = "/api/v3/search/messages"
_WORD = re.compile(r"\w+")


@dataclass
class Setup:
    sw: SearchWorld
    server: Any
    app: Any

    async def get(self, path: str, **params: Any) -> dict:
        return await self.app.json("GET", f"{path}?{urlencode(params)}")

    async def walk(self, path: str, **params: Any) -> tuple[list[dict], list[dict]]:
        """Every result through next_offset: (results, pages)."""
        pages, results = [], []
        offset = None
        while True:
            query = dict(params) | ({"offset": offset} if offset else {})
            page = await self.get(path, **query)
            pages.append(page)
            results += page["results"]
            offset = page.get("next_offset")
            if offset is None:
                return results, pages
            assert page["results"], "a page with a next_offset is never empty"

    def found(self, q: str, peers=None, start=0, end=2**31) -> list[tuple[int, int]]:
        """The oracle: (dialog_id, message_id) of alice's messages with a word starting
        with q, Telegram's global order (date, chat, id), newest first."""
        world, alice = self.sw.world, self.sw.alice.id
        hits = []
        for peer in peers or world.state(alice).dialogs:
            for m in world.history(alice, peer).messages:
                words = _WORD.findall(m.text.lower())
                if (
                    m.action is None
                    and start <= m.date < end
                    and any(w.startswith(q) for w in words)
                ):
                    hits.append((m.date, peer, m.id))
        hits.sort(reverse=True)
        return [(peer, message_id) for _, peer, message_id in hits]


def keys(results: list[dict]) -> list[tuple[int, int]]:
    return [(item["dialog_id"], item["message_id"]) for item in results]


def texts(results: list[dict]) -> list[str]:
    return [item["message"] for item in results]


@pytest.fixture
async def setup(fakegram, make_tgsc) -> Setup:
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(telegram=server, accounts={"alice": sw.alice.id})
    return Setup(sw, server, app)


async def test_global_search_pages_through_more_than_500_results(setup):
    expected = setup.found("needle")
    assert len(expected) > 700
    results, pages = await setup.walk(GLOBAL, q="needle", limit=500)
    assert keys(results) == expected  # no hole, no duplicate, Telegram's order
    assert [len(page["results"]) for page in pages] == [500, len(expected) - 500]
    assert all(page["total"] == len(expected) for page in pages)
    assert "next_offset" in pages[0] and "next_offset" not in pages[1]
    calls = setup.server.calls["messages.searchGlobal"]
    assert calls == -(-len(expected) // 100)  # 100 per request, no request wasted

    results, pages = await setup.walk(GLOBAL, q="needle", limit=137)  # odd page size
    assert keys(results) == expected
    assert all(len(page["results"]) == 137 for page in pages[:-1])


async def test_one_result_per_page(setup):
    expected = setup.found("report")
    assert len(expected) == 7
    results, pages = await setup.walk(GLOBAL, q="report", limit=1)
    assert keys(results) == expected and len(pages) == 7
    assert setup.server.calls["messages.searchGlobal"] == 7  # each asks 2: one says "more"


async def test_global_results_carry_their_chat(setup):
    sw = setup.sw
    results, _ = await setup.walk(GLOBAL, q="needle", limit=500)
    by_chat = {}
    for item in results:
        by_chat.setdefault(item["dialog_id"], item)
        assert item["message"].lower().count("needle")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["date"])
    assert set(by_chat) == set(sw.needle_counts)
    names = {k: (v["dialog_name"], v["dialog_type"]) for k, v in by_chat.items()}
    assert names[sw.chats["firehose"].peer] == ("Firehose", "channel")
    assert names[sw.chats["needle_super"].peer] == ("Needle Super", "supergroup")
    assert names[sw.chats["needle_basic"].peer] == ("Needle Basic", "group")
    assert names[sw.carol.id] == ("Carol White", "user")
    assert names[sw.alice.id] == ("Saved Messages", "saved")


async def test_global_search_with_dates_and_media(setup):
    start, end = "2023-11-30 00:00:00", "2023-11-30 12:00"
    body = await setup.get(GLOBAL, q="needle", start_date=start, end_date=end, limit=500)
    expected = setup.found("needle", start=ts(start), end=ts("2023-11-30 12:01:00"))
    assert keys(body["results"]) == expected and body["total"] == len(expected)
    assert "next_offset" not in body
    photos = await setup.get(GLOBAL, q="report", media="photos")
    assert texts(photos["results"]) == ["report photo"]
    assert photos["results"][0]["media_type"] == "photos"


async def test_chat_search_from_user_media_and_paging(setup):
    room = f"/api/v3/search/messages/{setup.sw.chats['team_room'].peer}"
    everything = await setup.get(room, q="report")
    assert texts(everything["results"]) == [
        "report late", "report final", "report voice", "report document", "report photo",
        "report review", "report draft",
    ]  # fmt: skip
    assert everything["total"] == 7 and everything["query"] == "report"
    assert everything["limit"] == 50 and "next_offset" not in everything
    item = everything["results"][0]
    assert item["dialog_id"] == setup.sw.chats["team_room"].peer
    assert (item["dialog_name"], item["dialog_type"]) == ("Team Room", "supergroup")
    assert item["username"] == "bob" and item["sender_id"] == setup.sw.bob.id

    by_bob = await setup.get(room, q="report", from_user=str(setup.sw.bob.id))
    assert texts(by_bob["results"]) == ["report late", "report document", "report review"]
    by_carol = await setup.get(room, q="report", from_user="carol_w")
    assert texts(by_carol["results"]) == ["report voice", "report photo"]
    by_me = await setup.get(room, q="report", from_user=f"https://t.me/{'carol_w'}")
    assert texts(by_me["results"]) == texts(by_carol["results"])
    by_me = await setup.get(room, q="report", from_user=str(setup.sw.alice.id))
    assert texts(by_me["results"]) == ["report final", "report draft"]

    for media, text, kind in (
        ("photos", "report photo", "photos"),
        ("files", "report document", "files"),
        ("voice_messages", "report voice", "voice_messages"),
    ):
        body = await setup.get(room, q="report", media=media)
        assert texts(body["results"]) == [text], media
        assert body["results"][0]["media_type"] == kind and body["results"][0]["media_uuid"]
    assert (await setup.get(room, q="report", media="gifs"))["results"] == []
    assert (await setup.get(room, q="report", media="photos_videos"))["total"] == 1

    results, pages = await setup.walk(room, q="report", limit=2)
    assert texts(results) == texts(everything["results"])
    assert [len(page["results"]) for page in pages] == [2, 2, 2, 1]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"start_date": "2023-12-01"}, ["late", "final", "voice", "document", "photo", "review"]),
        ({"end_date": "2023-12-01"},
         ["final", "voice", "document", "photo", "review", "draft"]),  # the whole day
        ({"start_date": "2023-12-01", "end_date": "2023-12-01"},
         ["final", "voice", "document", "photo", "review"]),
        ({"start_date": "2023-12-01 00:00:01"}, ["late", "final", "voice", "document", "photo"]),
        ({"end_date": "2023-12-01 00:00:00"}, ["review", "draft"]),  # that second included
        ({"end_date": "2023-12-01 00:00"},
         ["voice", "document", "photo", "review", "draft"]),  # that minute
        ({"end_date": "2023-11-30"}, ["draft"]),
        ({"start_date": str(ts("2023-12-02 00:00:00"))}, ["late"]),
        ({"end_date": str(ts("2023-12-01 00:00:00"))}, ["review", "draft"]),
        ({"start_date": "2023-12-01T02:00:00+02:00", "end_date": "2023-12-01T00:00:02Z"},
         ["document", "photo", "review"]),  # offsets: 00:00:00 UTC .. 00:00:02 UTC
    ],
)  # fmt: skip
async def test_chat_search_date_bounds(setup, params, expected):
    room = f"/api/v3/search/messages/{setup.sw.chats['team_room'].peer}"
    body = await setup.get(room, q="report", **params)
    assert texts(body["results"]) == [f"report {word}" for word in expected]


async def test_chat_search_in_every_kind_of_chat(setup):
    sw = setup.sw
    firehose = sw.chats["firehose"].peer
    results, pages = await setup.walk(f"/api/v3/search/messages/{firehose}", q="needle", limit=500)
    assert keys(results) == setup.found("needle", peers=[firehose])
    assert len(results) == NEEDLE_POSTS
    assert [len(page["results"]) for page in pages] == [500, NEEDLE_POSTS - 500]
    for peer in (sw.chats["needle_basic"].peer, sw.carol.id, sw.alice.id):
        body = await setup.get(f"/api/v3/search/messages/{peer}", q="needle", limit=500)
        assert keys(body["results"]) == setup.found("needle", peers=[peer]), peer
    saved = await setup.get(f"/api/v3/search/messages/{sw.alice.id}", q="needle")
    assert saved["results"][0]["dialog_type"] == "saved"
    by_username = await setup.get("/api/v3/search/messages/teamroom", q="report", limit=1)
    assert by_username["results"][0]["message"] == "report late"


async def test_results_are_cached_without_coverage(setup):
    sw = setup.sw
    room = sw.chats["team_room"].peer
    body = await setup.get(f"/api/v3/search/messages/{room}", q="report")
    cache = await setup.app.app[CACHE].dialog(room, "alice")
    assert await cache.coverage() == []
    assert (await cache.summary())["message_count"] == 7
    stored = [
        json.loads(blob)
        async for batch in cache.read_range(0, 2**31, newest_first=True)
        for blob in batch.json
    ]
    api = [
        {k: v for k, v in item.items() if not k.startswith("dialog_")} for item in body["results"]
    ]
    assert stored == api  # same JSON, media uuids included
    results, _ = await setup.walk(GLOBAL, q="needle", limit=500)
    for dialog_id, count in sw.needle_counts.items():
        cache = await setup.app.app[CACHE].dialog(dialog_id, "alice")
        assert await cache.coverage() == [], dialog_id
        found = [item for item in results if item["dialog_id"] == dialog_id]
        assert len(found) >= count
        assert (await cache.summary())["message_count"] == len(found), dialog_id
    again = await setup.get(f"/api/v3/search/messages/{room}", q="report")
    assert [i["media_uuid"] for i in again["results"] if "media_uuid" in i] == [
        i["media_uuid"] for i in body["results"] if "media_uuid" in i
    ]


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        (GLOBAL, {}, "q"),
        (GLOBAL, {"q": ""}, "q"),
        (GLOBAL, {"q": "   "}, "q"),
        (GLOBAL, {"q": "x", "limit": 0}, "limit"),
        (GLOBAL, {"q": "x", "limit": 501}, "limit"),
        (GLOBAL, {"q": "x", "limit": "ten"}, "limit"),
        (GLOBAL, {"q": "x", "media": "holograms"}, "media"),
        (GLOBAL, {"q": "x", "start_date": "last week"}, "start_date"),
        (GLOBAL, {"q": "x", "end_date": "2024-02-30"}, "end_date"),
        (GLOBAL, {"q": "x", "start_date": "2024-02-01", "end_date": "2024-01-31"}, "start_date"),
        (GLOBAL, {"q": "x", "start_date": "2024-01-31 10:00", "end_date": "2024-01-31 09:59"},
         "start_date"),
        (GLOBAL, {"q": "x", "offset": "garbage!"}, "offset"),
        (GLOBAL, {"q": "x", "offset": ""}, "offset"),
        (GLOBAL, {"q": "x", "from_user": "bob"}, "from_user"),  # per-chat only
        (GLOBAL, {"q": "x", "sort": "date"}, "sort"),
        ("/api/v3/search/messages/teamroom", {}, "q"),
        ("/api/v3/search/messages/teamroom", {"q": "x", "from_user": "no way"}, "from_user"),
        ("/api/v3/search/messages/teamroom", {"q": "x", "from_user": "nosuchuser99"},
         "from_user"),
        ("/api/v3/search/messages/teamroom", {"q": "x", "media": "photo"}, "media"),
        ("/api/v3/search/messages/teamroom", {"q": "x", "end_date": "soon"}, "end_date"),
        ("/api/v3/search/messages/not%20a%20chat", {"q": "x"}, "dialog"),
    ],
)  # fmt: skip
async def test_bad_parameters_answer_400_naming_them(setup, path, params, name):
    reply = await setup.app.request("GET", f"{path}?{urlencode(params)}")
    assert reply.status == 400, reply.text()
    assert reply.json()["error"] == "invalid_parameter"
    assert f"'{name}'" in reply.json()["detail"], reply.json()["detail"]


async def test_an_offset_only_fits_its_own_search(setup):
    first = await setup.get(GLOBAL, q="needle", limit=10)
    offset = first["next_offset"]
    for path, params in (
        (GLOBAL, {"q": "needles"}),
        (GLOBAL, {"q": "needle", "media": "photos"}),
        (GLOBAL, {"q": "needle", "start_date": "2023-01-01"}),
        (f"/api/v3/search/messages/{setup.sw.chats['firehose'].peer}", {"q": "needle"}),
    ):
        reply = await setup.app.request("GET", f"{path}?{urlencode(params | {'offset': offset})}")
        assert reply.status == 400 and "'offset'" in reply.json()["detail"], (path, params)
    second = await setup.get(GLOBAL, q="needle", limit=10, offset=offset)
    assert set(keys(first["results"])).isdisjoint(keys(second["results"]))


async def test_no_access_and_unknown_chats(setup):
    sw, w = setup.sw, setup.sw.builder
    hidden, group = sw.chats["hidden"], sw.chats["bobs_group"]
    w.join(hidden, sw.alice)
    w.join(group, sw.alice)
    listed = await setup.app.json("GET", "/api/v3/search/dialogs?limit=500")
    assert {hidden.peer, group.peer} <= {item["id"] for item in listed["results"]}
    w.leave(hidden, sw.alice)  # removed from a private channel and a group: the account
    w.leave(group, sw.alice)  # still knows them, Telegram no longer shows them
    for chat in (hidden, group):
        reply = await setup.app.request("GET", f"/api/v3/search/messages/{chat.peer}?q=x")
        assert reply.status == 403, reply.text()
        assert reply.json()["error"] == "no_access"
    reply = await setup.app.request("GET", "/api/v3/search/messages/nosuchchat42?q=x")
    assert reply.status == 404 and reply.json()["error"] == "not_found"
    never_seen = sw.builder.channel("Never Seen", members=[sw.bob])
    reply = await setup.app.request("GET", f"/api/v3/search/messages/{never_seen.peer}?q=x")
    assert reply.status == 404 and reply.json()["error"] == "not_found"
    assert setup.server.calls["messages.search"] == 0


async def test_flood_wait_answers_429_with_retry_after(fakegram, make_tgsc):
    sw = build_search_world()
    server = await fakegram(sw.world)
    app = await make_tgsc(
        telegram=server, accounts={"alice": sw.alice.id}, settings={"max_flood_wait_s": 3}
    )
    server.faults.fail("messages.searchGlobal", 420, "FLOOD_WAIT_120")
    reply = await app.request("GET", f"{GLOBAL}?q=needle")
    assert reply.status == 429 and reply.headers["Retry-After"] == "120"
    assert reply.json()["error"] == "flood_wait"
    room = sw.chats["team_room"].peer
    server.faults.fail("messages.search", 420, "FLOOD_WAIT_60")
    reply = await app.request("GET", f"/api/v3/search/messages/{room}?q=report")
    assert reply.status == 429 and reply.headers["Retry-After"] == "60"
    assert (await app.json("GET", f"{GLOBAL}?q=report"))["total"] == 7
