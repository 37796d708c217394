"""The QR login API, /api/v3/me and DELETE /api/v3/auth/session: the real app against
fakegram, where the test's "phone" accepts the login token."""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pytest

from tests.fakegram.methods.login import accept_login_token, login_state
from tests.fakegram.world.builder import WorldBuilder
from tgscraper.accounts import session_path
from tgscraper.telegram.login.qr import QrPolicy, QrStatus
from tgscraper.telegram.login.session_files import read_user_id
from tgscraper.web.appkeys import SESSIONS
from tgscraper.web.auth import QR_LOGINS

PASSWORD = "open sesame"
POLL_S = 0.05


@pytest.fixture
def world():
    build = WorldBuilder()
    build.account("alice", "Alice", "Liddell", phone="+44 7700 900123", premium=True)
    build.account("bob", password=PASSWORD, hint="sesame")
    build.account("carol", dc_id=4)
    return build.world


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world)


@pytest.fixture
async def app(server, make_tgsc):
    """The app with a session for alice only; new logins dial the fake's DC 2."""
    alice = server.world.account_by_username("alice")
    return await make_tgsc(
        telegram=server, accounts={"alice": alice.id}, telegram_dc=("127.0.0.1", server.port)
    )


def token_of(qr_url: str) -> bytes:
    (token,) = parse_qs(urlparse(qr_url).query)["token"]
    return base64.urlsafe_b64decode(token)


async def start(app, username, status=200, **body):
    return await app.json(
        "POST", "/api/v3/auth/qr", json={"username": username, **body}, status=status
    )


async def poll(app, token, until):
    """GET the login's status until `until(answer)` holds."""
    async with asyncio.timeout(30):
        while True:
            answer = await app.json("GET", f"/api/v3/auth/qr/{token}")
            if until(answer):
                return answer
            await asyncio.sleep(POLL_S)


def scanned(server, started, username):
    accept_login_token(
        server, token_of(started["qr_url"]), server.world.account_by_username(username).id
    )


async def test_qr_login_then_the_account_works_at_once(app, server):
    started = await start(app, "newname")
    assert set(started) == {"token", "qr_url", "expires_in", "message"}
    assert len(started["token"]) >= 32 and started["qr_url"].startswith("tg://login?token=")
    assert 0 < started["expires_in"] <= 30
    pending = await app.json("GET", f"/api/v3/auth/qr/{started['token']}")
    assert pending["status"] == "pending" and pending["qr_url"] == started["qr_url"]
    assert pending["username"] == "newname" and pending["error"] is None

    scanned(server, started, "alice")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "success", done
    assert done["account"]["id"] == server.world.account_by_username("alice").id
    assert "X-Telegram-Username: newname" in done["message"]
    # a final status is reported once, then forgotten
    gone = await app.request("GET", f"/api/v3/auth/qr/{started['token']}")
    assert gone.status == 404 and gone.json()["error"] == "login_not_found"

    path = session_path(app.data_dir, "newname")
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_user_id(path) == done["account"]["id"]
    me = await app.json("GET", "/api/v3/me", account="newname")
    assert me == {
        "id": done["account"]["id"],
        "first_name": "Alice",
        "last_name": "Liddell",
        "username": "alice",
        "phone": "+44********23",
        "is_premium": True,
    }


async def test_qr_login_with_2fa_wrong_then_right(app, server):
    started = await start(app, "bob")
    token = started["token"]
    scanned(server, started, "bob")
    asking = await poll(app, token, lambda a: a["status"] != "pending")
    assert asking["status"] == "password_required" and asking["password_hint"] == "sesame"
    assert asking["qr_url"] is None and asking["password_tries_left"] == 5
    no_image = await app.request("GET", f"/api/v3/auth/qr/{token}/qr.svg")
    assert no_image.status == 409 and no_image.json()["error"] == "no_qr_code"

    wrong = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": "nope"})
    assert wrong.status == 400 and wrong.json()["error"] == "password_invalid"
    assert "4 tries left" in wrong.json()["detail"]
    still = await app.json("GET", f"/api/v3/auth/qr/{token}")
    assert still["status"] == "password_required" and still["password_tries_left"] == 4

    done = await app.json("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": PASSWORD})
    assert done["status"] == "success" and done["account"]["username"] == "bob"
    assert (await app.json("GET", "/api/v3/me", account="bob"))["username"] == "bob"


async def test_the_2fa_password_is_never_logged_or_stored(app, server, caplog):
    caplog.set_level(logging.DEBUG)  # every logger: ours, aiohttp's, pyrogram's
    wrong = "correct horse battery"
    started = await start(app, "bob")
    token = started["token"]
    scanned(server, started, "bob")
    await poll(app, token, lambda a: a["status"] == "password_required")
    refused = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": wrong})
    assert refused.status == 400 and wrong not in refused.text()
    done = await app.json("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": PASSWORD})
    assert done["status"] == "success" and PASSWORD not in str(done)

    assert any(r.name.startswith("pyrogram") and r.levelno == logging.DEBUG for r in caplog.records)
    for secret in (PASSWORD, wrong):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage(), record.name
    for path in app.data_dir.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


async def test_the_fifth_wrong_password_ends_the_login(app, server):
    bob = server.world.account_by_username("bob")
    started = await start(app, "bob")
    token = started["token"]
    scanned(server, started, "bob")
    await poll(app, token, lambda a: a["status"] == "password_required")
    entry = app.app[QR_LOGINS].get(token)
    for tries_left in (4, 3, 2, 1):
        wrong = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": "x"})
        assert wrong.status == 400 and wrong.json()["error"] == "password_invalid"
        assert f"({tries_left} tr" in wrong.json()["detail"]
    last = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": "x"})
    assert last.status == 400 and last.json()["error"] == "too_many_password_attempts"
    assert "wrong 5 times" in last.json()["detail"]
    # answered once the login had ended: final status, key logged out, client closed
    assert entry.flow.status is QrStatus.ERROR and entry.flow.finished
    assert entry.flow.error.code == "too_many_password_attempts"
    assert not entry.flow._client.is_connected
    assert all(key.user_id != bob.id for key in server.keys_on(2).values())
    # that answer was the final report: the login is forgotten, nothing was saved
    assert (await app.request("GET", f"/api/v3/auth/qr/{token}")).status == 404
    again = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": "x"})
    assert again.status == 404
    assert not session_path(app.data_dir, "bob").exists()


async def test_password_body_is_validated_and_a_pending_login_expects_none(app):
    started = await start(app, "bob")
    token = started["token"]
    empty = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": ""})
    assert empty.status == 422
    early = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": "x"})
    assert early.status == 409 and early.json()["error"] == "no_password_expected"


async def test_the_login_expires(app):
    # long enough for the first code to come even on a loaded machine (else the start
    # itself answers expired)
    app.app[QR_LOGINS].policy = replace(app.app[QR_LOGINS].policy, timeout_s=2.0)
    started = await start(app, "late")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "expired" and done["error"] == "expired"
    assert "expired" in done["message"]
    assert not session_path(app.data_dir, "late").exists()


async def test_an_unread_final_status_is_forgotten_after_a_while(app, server):
    registry = app.app[QR_LOGINS]
    registry.linger_s = 0
    started = await start(app, "newname")
    entry = registry.get(started["token"])
    scanned(server, started, "alice")
    assert await entry.flow.wait() is QrStatus.SUCCESS
    await entry.reaper  # nobody read it: forgotten once linger_s passed
    assert registry.get(started["token"]) is None
    assert (await app.request("GET", f"/api/v3/auth/qr/{started['token']}")).status == 404


async def test_the_app_rotates_codes_every_25_s_unless_configured(app):
    """The default policy is what the app uses (no 25 s wait: the policy is asserted)."""
    registry = app.app[QR_LOGINS]
    assert registry.policy == QrPolicy()
    assert (registry.policy.rotate_every_s, registry.policy.timeout_s) == (25.0, 300.0)
    started = await start(app, "newname")
    flow = registry.get(started["token"]).flow
    assert flow.policy.rotate_every_s == 25.0 and flow.policy.timeout_s == 300.0
    # fakegram's tokens live 30 s: 5/6 of that is 25 s, the configured bound
    assert 0 < flow.refresh_in <= 25.0 and 0 < started["expires_in"] <= 30


async def test_the_code_rotates_while_pending(app, server):
    login_state(server).token_ttl = 1.5
    started = await start(app, "newname")
    rotated = await poll(app, started["token"], lambda a: a["qr_url"] != started["qr_url"])
    assert rotated["status"] == "pending" and rotated["qr_url"].startswith("tg://login?token=")
    scanned(server, rotated, "alice")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "success"


async def test_a_login_telegram_stops_reports_error_once(app, server):
    """Telegram refusing a later code (here: the credentials) ends the login as error,
    with a machine code and a sentence; reported once, then forgotten."""
    login_state(server).token_ttl = 1.5
    started = await start(app, "newname")
    server.faults.fail("auth.exportLoginToken", 400, "API_ID_INVALID")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "error" and done["error"] == "api_id_invalid"
    assert "TELEGRAM_API_ID" in done["message"]
    assert done["qr_url"] is None and done["account"] is None
    assert (await app.request("GET", f"/api/v3/auth/qr/{started['token']}")).status == 404
    assert not session_path(app.data_dir, "newname").exists()


async def test_cancel_removes_the_login_and_writes_nothing(app, server):
    started = await start(app, "newname")
    cancelled = await app.json("DELETE", f"/api/v3/auth/qr/{started['token']}")
    assert cancelled["status"] == "cancelled"
    assert (await app.request("GET", f"/api/v3/auth/qr/{started['token']}")).status == 404
    assert (await app.request("DELETE", f"/api/v3/auth/qr/{started['token']}")).status == 404
    scanned(server, started, "alice")  # too late: nobody waits for this code any more
    assert (await app.json("GET", "/api/v3/auth/qr/" + "A" * 32, status=404))["error"]
    assert not session_path(app.data_dir, "newname").exists()
    assert list(session_path(app.data_dir, "x").parent.iterdir()) == [
        session_path(app.data_dir, "alice")
    ]


async def test_cancel_while_the_password_is_asked_leaves_no_session(app, server):
    bob = server.world.account_by_username("bob")
    started = await start(app, "bob")
    token = started["token"]
    flow = app.app[QR_LOGINS].get(token).flow
    scanned(server, started, "bob")
    await poll(app, token, lambda a: a["status"] == "password_required")
    cancelled = await app.json("DELETE", f"/api/v3/auth/qr/{token}")
    assert cancelled["status"] == "cancelled" and cancelled["error"] == "cancelled"
    assert flow.finished and not flow._client.is_connected
    late = await app.request("POST", f"/api/v3/auth/qr/{token}/2fa", json={"password": PASSWORD})
    assert late.status == 404 and late.json()["error"] == "login_not_found"
    assert not session_path(app.data_dir, "bob").exists()
    assert all(key.user_id != bob.id for key in server.keys_on(2).values())
    assert (await app.request("GET", "/api/v3/me", account="bob")).status == 401


async def test_an_existing_session_needs_force_which_evicts_the_old_client(app, server):
    sessions = app.app[SESSIONS]
    alice = server.world.account_by_username("alice")
    assert (await app.json("GET", "/api/v3/me"))["id"] == alice.id
    old_client = await sessions.get("alice")
    old_key = await old_client.storage.auth_key()

    refused = await app.request("POST", "/api/v3/auth/qr", json={"username": "alice"})
    assert refused.status == 409 and refused.json()["error"] == "session_exists"
    assert sessions.is_started("alice")

    started = await start(app, "alice", force=True)
    assert not sessions.is_started("alice")
    scanned(server, started, "alice")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "success"

    assert (await app.json("GET", "/api/v3/me"))["id"] == alice.id
    new_client = await sessions.get("alice")
    assert new_client is not old_client
    new_key = await new_client.storage.auth_key()
    assert new_key != old_key
    (registered,) = [k for k in server.keys_on(2).values() if k.key == new_key]
    assert registered.user_id == alice.id


async def test_a_session_telegram_ended_works_again_at_once_after_a_qr_login(app, server):
    alice = server.world.account_by_username("alice")
    assert (await app.json("GET", "/api/v3/me"))["id"] == alice.id
    server.log_out(alice.id)  # e.g. ended from the phone's list of devices
    refused = await app.request("GET", "/api/v3/me")
    assert refused.status == 401 and refused.json()["error"] == "session_rejected"
    assert (await app.request("GET", "/api/v3/me")).status == 401  # kept refusing
    started = await start(app, "alice", force=True)
    scanned(server, started, "alice")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "success", done
    assert (await app.json("GET", "/api/v3/me"))["id"] == alice.id


async def test_account_on_another_dc_migrates(app, server):
    started = await start(app, "carol")
    scanned(server, started, "carol")
    done = await poll(app, started["token"], lambda a: a["status"] != "pending")
    assert done["status"] == "success", done
    me = await app.json("GET", "/api/v3/me", account="carol")
    assert me["id"] == server.world.account_by_username("carol").id


async def test_qr_images(app):
    started = await start(app, "newname")
    token = started["token"]
    svg = await app.request("GET", f"/api/v3/auth/qr/{token}/qr.svg")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    assert svg.body.startswith(b"<svg") and b"<path" in svg.body
    png = await app.request("GET", f"/api/v3/auth/qr/{token}/qr.png")
    assert png.status == 200 and png.content_type == "image/png"
    assert png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["Cache-Control"] == "no-store"
    unknown = await app.request("GET", "/api/v3/auth/qr/" + "A" * 32 + "/qr.png")
    assert unknown.status == 404
    bad = await app.request("GET", "/api/v3/auth/qr/no!/qr.png")
    assert bad.status in (400, 404)


async def test_one_pending_login_per_username(app):
    first = await start(app, "newname")
    second = await start(app, "newname")
    assert first["token"] != second["token"]
    assert (await app.request("GET", f"/api/v3/auth/qr/{first['token']}")).status == 404
    assert (await app.json("GET", f"/api/v3/auth/qr/{second['token']}"))["status"] == "pending"
    assert len(app.app[QR_LOGINS]) == 1


async def test_concurrent_starts_leave_one_pending_login(app):
    """Starts for one username take turns: each replaces the one before, and a start
    whose login was replaced before it showed a code says so at once (409)."""
    first = await start(app, "newname")
    answers = await asyncio.gather(
        *(app.request("POST", "/api/v3/auth/qr", json={"username": "newname"}) for _ in range(3))
    )
    for answer in answers:
        assert answer.status == 200 or (
            answer.status == 409 and answer.json()["error"] == "login_replaced"
        ), (answer.status, answer.json())
    registry = app.app[QR_LOGINS]
    assert len(registry) == 1
    pending = registry.pending("newname")
    assert pending.token in [a.json()["token"] for a in answers if a.status == 200]
    assert (await app.json("GET", f"/api/v3/auth/qr/{pending.token}"))["status"] == "pending"
    assert (await app.request("GET", f"/api/v3/auth/qr/{first['token']}")).status == 404


async def test_starts_are_rate_limited_per_username(app):
    app.app[QR_LOGINS].max_starts = 2
    await start(app, "newname")
    await start(app, "newname")
    limited = await app.request("POST", "/api/v3/auth/qr", json={"username": "newname"})
    assert limited.status == 429 and limited.json()["error"] == "too_many_logins"
    assert int(limited.headers["Retry-After"]) > 0
    await start(app, "othername")  # another username is not affected


async def test_another_sites_page_cannot_start_a_login(app):
    """Even without API keys: a browser marks what another site's page makes it send."""
    await app.json("GET", "/api/v3/me")  # alice's client runs
    for site in ("cross-site", "Cross-Site"):
        refused = await app.request(
            "POST",
            "/api/v3/auth/qr",
            headers={"Sec-Fetch-Site": site, "Content-Type": "text/plain"},
            data='{"username": "alice", "force": true}',
        )
        assert refused.status == 403 and refused.json()["error"] == "cross_site_request"
    assert app.app[SESSIONS].is_started("alice")  # not evicted
    assert len(app.app[QR_LOGINS]) == 0  # no login started
    for site in ("same-origin", "same-site", "none"):
        started = await app.request(
            "POST", "/api/v3/auth/qr", headers={"Sec-Fetch-Site": site}, json={"username": site}
        )
        assert started.status == 200, site


async def test_start_body_is_validated(app):
    bad = await app.request("POST", "/api/v3/auth/qr", json={"username": "../x"})
    assert bad.status == 422 and "username" in bad.json()["detail"]
    bad = await app.request("POST", "/api/v3/auth/qr", json={"username": "x", "force": "yes"})
    assert bad.status == 422 and "force" in bad.json()["detail"]
    missing = await app.request("POST", "/api/v3/auth/qr", json={})
    assert missing.status == 422


async def test_unreachable_telegram_answers_502(make_tgsc, unused_tcp_port):
    app = await make_tgsc(telegram_dc=("127.0.0.1", unused_tcp_port))
    failed = await app.request("POST", "/api/v3/auth/qr", json={"username": "newname"})
    assert failed.status == 502 and failed.json()["error"] == "telegram_unavailable"
    assert len(app.app[QR_LOGINS]) == 0


def basic(user: str, password: str) -> dict[str, str]:
    """What a browser sends once a person typed `password` at its prompt."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_api_key_guards_the_login_api_and_page(server, make_tgsc):
    """Without the key a stranger gets neither /login nor a login. The page's 401 makes a
    browser ask for the key (Basic: any user name, the key as password); the page served
    then carries it for its API calls, which take no Basic credentials (a browser would
    send those with other sites' requests too)."""
    odd = 'k"<&>2'
    app = await make_tgsc(
        telegram=server, api_keys=("k1", odd), telegram_dc=("127.0.0.1", server.port)
    )
    api_routes = (
        ("POST", "/api/v3/auth/qr"),
        ("GET", "/api/v3/auth/qr/" + "A" * 32),
        ("POST", "/api/v3/auth/qr/" + "A" * 32 + "/2fa"),
        ("DELETE", "/api/v3/auth/qr/" + "A" * 32),
        ("GET", "/api/v3/auth/qr/" + "A" * 32 + "/qr.svg"),
        ("GET", "/api/v3/auth/qr/" + "A" * 32 + "/qr.png"),
        ("GET", "/api/v3/me"),
        ("DELETE", "/api/v3/auth/session"),
    )
    for method, path in (("GET", "/login"), *api_routes):
        refused = await app.request(method, path, api_key=None, json={"username": "x"})
        assert refused.status == 401 and refused.json()["error"] == "api_key_required", path
        wrong = await app.request(method, path, api_key=None, headers={"X-API-Key": "k3"})
        assert wrong.status == 401 and wrong.json()["error"] == "invalid_api_key", path
    for method, path in api_routes:
        basic_key = await app.request(method, path, api_key=None, headers=basic("x", "k1"))
        assert basic_key.status == 401, path
        assert basic_key.json()["error"] == "api_key_required", path
        assert basic_key.headers["WWW-Authenticate"].startswith("Bearer "), path

    page = await app.request("GET", "/login", api_key=None, account=None)
    assert page.headers["WWW-Authenticate"] == 'Basic realm="tgscraper", charset="UTF-8"'
    assert "the key as password" in page.json()["detail"]
    wrong = await app.request("GET", "/login", api_key=None, headers=basic("me", "k3"))
    assert wrong.status == 401 and wrong.json()["error"] == "invalid_api_key"
    assert wrong.headers["WWW-Authenticate"].startswith("Basic ")
    for headers, shown in (
        (basic("anyone", "k1"), "k1"),
        (basic("", odd), "k&quot;&lt;&amp;&gt;2"),
        ({"X-API-Key": "k1"}, "k1"),
    ):
        page = await app.request("GET", "/login", api_key=None, account=None, headers=headers)
        assert page.status == 200 and 'id="api-key"' in page.text(), headers
        assert f'<html lang="en" data-api-key="{shown}">' in page.text()
        assert page.headers["Cache-Control"] == "no-store"
    for name in ("login.js", "login.css", "icon.svg"):  # no data: public like /docs'
        asset = await app.request("GET", f"/login/assets/{name}", api_key=None, account=None)
        assert asset.status == 200
    assert (await app.request("POST", "/api/v3/auth/qr", json={"username": "y"})).status == 200


async def test_logout_ends_the_session_everywhere(app, server):
    alice = server.world.account_by_username("alice")
    assert (await app.json("GET", "/api/v3/me"))["id"] == alice.id
    (key,) = server.keys_on(2).values()
    answer = await app.json("DELETE", "/api/v3/auth/session")
    assert answer["logged_out"] and answer["telegram_session_ended"]
    assert answer["username"] == "alice"
    assert key.user_id is None  # auth.logOut reached Telegram
    assert not session_path(app.data_dir, "alice").exists()
    assert not app.app[SESSIONS].is_started("alice")
    after = await app.request("GET", "/api/v3/me")
    assert after.status == 401 and after.json()["error"] == "not_authenticated"


async def test_logout_of_a_session_telegram_already_ended(app, server):
    server.log_out(server.world.account_by_username("alice").id)
    answer = await app.json("DELETE", "/api/v3/auth/session")
    assert answer["logged_out"] and answer["telegram_session_ended"] is False
    assert not session_path(app.data_dir, "alice").exists()


async def test_shutdown_cancels_running_logins(app):
    started = await start(app, "newname")
    flow = app.app[QR_LOGINS].get(started["token"]).flow
    await app.close()
    assert flow.status is QrStatus.CANCELLED
    assert not flow._client.is_connected


async def test_the_page_is_served_with_its_assets_and_a_strict_policy(tgsc):
    page = await tgsc.request("GET", "/login", account=None)
    assert page.status == 200 and page.content_type == "text/html"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert 'src="/login/assets/login.js"' in page.text()
    assert "data-api-key" not in page.text()  # no key: the curl line needs none
    assert "http" not in page.text().replace("http-equiv", "")  # no external assets
    script = await tgsc.request("GET", "/login/assets/login.js", account=None)
    assert script.status == 200 and script.content_type == "text/javascript"
    style = await tgsc.request("GET", "/login/assets/login.css", account=None)
    assert style.status == 200 and style.content_type == "text/css"
    icon = await tgsc.request("GET", "/login/assets/icon.svg", account=None)
    assert icon.status == 200 and icon.content_type == "image/svg+xml"
    assert 'href="/login/assets/icon.svg"' in page.text()  # no /favicon.ico request
    missing = await tgsc.request("GET", "/login/assets/other.js", account=None)
    assert missing.status == 404
