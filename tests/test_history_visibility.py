"""A supergroup whose history starts later for one account (hidden pre-history): each
account is served what it sees, and neither one's fills spoil the other's cache
(fakegram's hidden_prehistory, real HTTP, exact ids)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fakegram.world.builder import WorldBuilder
from tests.history_support import DAY, JAN_1, history, world_ids
from tgscraper.dialogs import parse_dialog_ref
from tgscraper.telegram.access import resolve_dialog

END = "2024-12-31"


@pytest.fixture
async def env(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    bob = w.account("bob")
    team = w.supergroup("Team", members=[alice], hidden_prehistory=True)
    w.fill(team, 300, start=JAN_1, step=60)  # before bob joined
    w.join(team, bob)
    w.fill(team, 200, start=JAN_1 + 10 * DAY, step=60)  # after
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    return SimpleNamespace(
        w=w, app=app, team=team, alice=alice, bob=bob,
        everything=world_ids(w.world, alice.id, team.peer),
        bobs=world_ids(w.world, bob.id, team.peer),
    )  # fmt: skip


async def test_the_fake_hides_the_pre_history_from_who_joined_later(env):
    assert len(env.everything) == 500 and env.bobs == env.everything[300:]
    for account, hidden in (("alice", 0), ("bob", env.everything[299])):
        dialog = await resolve_dialog(env.app.app, account, parse_dialog_ref(str(env.team.peer)))
        assert (dialog.kind, dialog.hidden_up_to) == ("supergroup", hidden)


async def test_what_one_account_cached_is_served_to_the_other_only_as_far_as_it_sees(env):
    alice = await history(env.app, env.team.peer, end_date=END)
    assert alice.message_ids == env.everything
    bob = await history(env.app, env.team.peer, end_date=END, account="bob")
    assert bob.message_ids == env.bobs  # from alice's cache, without her older messages
    assert bob.done["total"] == 200
    refreshed = await history(env.app, env.team.peer, end_date=END, account="bob",
                              force_refresh=True)  # fmt: skip
    assert refreshed.message_ids == env.bobs
    again = await history(env.app, env.team.peer, end_date=END)  # bob's refresh kept hers
    assert again.message_ids == env.everything
    assert again.done["from_cache"] == 500


async def test_the_later_member_filling_first_claims_nothing_for_the_other(env):
    bob = await history(env.app, env.team.peer, end_date=END, account="bob")
    assert bob.message_ids == env.bobs
    for reverse in (True, False):
        alice = await history(env.app, env.team.peer, end_date=END, reverse=reverse)
        assert alice.message_ids == (env.everything if reverse else env.everything[::-1])
    bob_again = await history(env.app, env.team.peer, end_date=END, account="bob", reverse=False)
    assert bob_again.message_ids == env.bobs[::-1]
    assert bob_again.done["from_telegram"] == 0  # all from the cache now


async def test_the_cache_summary_shows_each_account_what_it_sees(fakegram, make_tgsc):
    w = WorldBuilder(now=JAN_1 + 400 * DAY)
    alice = w.account("alice")
    bob = w.account("bob")
    team = w.supergroup("Team", members=[alice], hidden_prehistory=True)
    w.fill(team, 40, start=JAN_1, step=60)  # before bob joined
    hidden_photos = [w.post(team, f"old photo {i}", media=w.photo(), date=JAN_1 + DAY + i)
                     for i in range(3)]  # fmt: skip
    w.join(team, bob)
    w.fill(team, 20, start=JAN_1 + 10 * DAY, step=60)  # after
    w.post(team, "new photo", media=w.photo(), date=JAN_1 + 11 * DAY)
    server = await fakegram(w.world)
    app = await make_tgsc(telegram=server)
    everything = world_ids(w.world, alice.id, team.peer)
    bobs = world_ids(w.world, bob.id, team.peer)
    assert len(everything) == 64 and len(bobs) == 21
    assert hidden_photos[-1].id == everything[-22]
    path = f"/api/v3/dialogs/{team.peer}/cache"

    # alice covers only what bob may not see (her pages may bring newer messages along)
    await history(app, team.peer, start_date="2024-01-01", end_date="2024-01-05")
    for_alice = await app.json("GET", path)
    assert [(c["start"], c["end"]) for c in for_alice["coverage"]] == [(JAN_1, JAN_1 + 5 * DAY)]
    assert for_alice["oldest_message"]["message_id"] == everything[0]
    assert for_alice["media"]["count"] >= 3
    for_bob = await app.json("GET", path, account="bob")
    assert for_bob["coverage"] == []  # nothing of his is covered
    assert 0 <= for_bob["message_count"] <= 21 and for_bob["media"]["count"] <= 1
    if for_bob["message_count"]:
        assert for_bob["oldest_message"]["message_id"] in bobs

    await history(app, team.peer, end_date=END)  # alice caches everything
    for_alice = await app.json("GET", path)
    assert for_alice["message_count"] == 64 and for_alice["media"]["count"] == 4
    assert for_alice["oldest_message"]["message_id"] == everything[0]
    for_bob = await app.json("GET", path, account="bob")
    assert for_bob["message_count"] == 21
    assert for_bob["oldest_message"]["message_id"] == bobs[0]
    assert for_bob["newest_message"]["message_id"] == bobs[-1]
    assert for_bob["media"]["count"] == 1
    assert sum(entry["count"] for entry in for_bob["media"]["by_status"].values()) == 1
    # covered from bob's first message on: nothing before it is his
    first_date = for_bob["oldest_message"]["timestamp"]
    assert first_date == JAN_1 + 10 * DAY
    assert for_bob["coverage"][0]["start"] == first_date
    assert [c["end"] for c in for_bob["coverage"]] == [c["end"] for c in for_alice["coverage"]]


async def test_last_event_id_of_a_message_hidden_from_the_account_is_400(env):
    await history(env.app, env.team.peer, end_date=END)  # alice caches everything
    hidden, first_visible = env.everything[299], env.bobs[0]
    answer = await env.app.request(
        "GET", f"/api/v3/history/{env.team.peer}", account="bob",
        headers={"Last-Event-ID": str(hidden)}, params={"end_date": END},
    )  # fmt: skip
    assert answer.status == 400 and "Last-Event-ID" in answer.json()["detail"]
    resumed = await history(env.app, env.team.peer, end_date=END, account="bob",
                            headers={"Last-Event-ID": str(first_visible)})  # fmt: skip
    assert resumed.message_ids == env.bobs[1:]
