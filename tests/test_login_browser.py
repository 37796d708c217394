"""GET /login in real headless Chromium against fakegram: the test's "phone" accepts the
code the page shows. On a server with an API key a stranger gets no page, and a plain
account logs in with the key the browser asked for (or, should its calls be refused,
the key the page asks for); a 2FA account gets the password field with its hint, sees the
error of a wrong password and logs in with the right one. Only 127.0.0.1 is reachable
from the browser."""

from __future__ import annotations

import asyncio
import base64
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import needs_browser, start_chromium
from tests.fakegram.methods.login import accept_login_token, login_state
from tests.fakegram.rpc import RpcError
from tests.fakegram.world.builder import WorldBuilder
from tgscraper.accounts import session_path

WAIT_S = 30
PASSWORD = "open sesame"

pytestmark = needs_browser


class Page:
    """A headless Chromium on one page; every method blocks (call it in a thread)."""

    def __init__(self) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="tgsc-chromium-")
        self.driver = start_chromium(Path(self.profile.name))

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()

    def element(self, element_id: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def wait(self, condition, message: str):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_S, poll_frequency=0.1).until(
            lambda _: condition(), message
        )

    def visible_text(self, element_id: str) -> str:
        """Wait until the element is shown with some text; that text."""
        self.wait(
            lambda: self.element(element_id).is_displayed() and self.element(element_id).text,
            f"#{element_id} never showed text",
        )
        return self.element(element_id).text

    def type(self, element_id: str, text: str, *, submit: str | None = None) -> None:
        field = self.element(element_id)
        field.clear()
        field.send_keys(text)
        if submit:
            self.element(submit).click()

    def shown_code(self, previous: str | None = None) -> str:
        """The tg://login link of the QR image once it is displayed (and differs from
        `previous`)."""
        image = self.element("qr-image")

        def loaded():
            url = image.get_attribute("data-qr-url")
            complete = self.driver.execute_script(
                "const i = arguments[0]; return i.complete && i.naturalWidth > 0;", image
            )
            return url if url and url != previous and complete and image.is_displayed() else None

        return self.wait(loaded, "no QR code was shown")

    def resources(self) -> list[str]:
        return self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )


@pytest.fixture
async def page():
    opened = await asyncio.to_thread(Page)
    yield opened
    await asyncio.to_thread(opened.quit)


@pytest.fixture
def world():
    build = WorldBuilder()
    build.account("alice", "Alice")
    build.account("bob", "Bob", password=PASSWORD, hint="the usual")
    return build.world


@pytest.fixture
async def server(fakegram, world):
    return await fakegram(world)


def accept(server, qr_url: str, username: str) -> None:
    """The account's phone scans the code."""
    (token,) = parse_qs(urlparse(qr_url).query)["token"]
    user_id = server.world.account_by_username(username).id
    accept_login_token(server, base64.urlsafe_b64decode(token), user_id)


def with_credentials(url: str, user: str, password: str) -> str:
    """`url` carrying Basic credentials: loading it once stores them in the browser as
    typing them at its prompt does (headless Chromium shows no prompt)."""
    return url.replace("http://", f"http://{user}:{password}@", 1)


def has_login_form(page: Page) -> bool:
    from selenium.webdriver.common.by import By

    return bool(page.driver.find_elements(By.ID, "username"))


async def test_plain_account_logs_in_with_the_key_the_browser_asked_for(page, server, make_tgsc):
    app = await make_tgsc(
        telegram=server, api_keys=("s3cret",), telegram_dc=("127.0.0.1", server.port)
    )
    await asyncio.to_thread(page.driver.get, app.url("/login"))
    assert not await asyncio.to_thread(has_login_form, page)  # a stranger gets no page
    await asyncio.to_thread(page.driver.get, with_credentials(app.url("/login"), "me", "s3cret"))
    await asyncio.to_thread(page.driver.get, app.url("/login"))
    await asyncio.to_thread(page.type, "username", "newname", submit="start")
    qr_url = await asyncio.to_thread(page.shown_code)  # the page's calls carried the key
    assert qr_url.startswith("tg://login?token=")
    assert not await asyncio.to_thread(lambda: page.element("api-key-row").is_displayed())
    accept(server, qr_url, "alice")

    message = await asyncio.to_thread(page.visible_text, "success-message")
    assert "Logged in as Alice" in message
    curl = await asyncio.to_thread(page.visible_text, "curl")
    assert "X-Telegram-Username: newname" in curl and "X-API-Key: $TGSC_API_KEY" in curl
    assert app.url("/api/v3/me") in curl
    assert "s3cret" not in curl
    me = await app.json("GET", "/api/v3/me", account="newname")
    assert me["first_name"] == "Alice"
    base = app.url("/")
    resources = await asyncio.to_thread(page.resources)
    assert resources and all(name.startswith((base, "blob:")) for name in resources), resources


async def test_the_page_asks_for_the_key_when_its_calls_are_refused(page, server, make_tgsc):
    """Calls refused all the same (here the browser sends a wrong key with them, as if
    the server's keys had changed since the page was loaded): the page asks for the key
    and sends the one typed."""
    app = await make_tgsc(
        telegram=server, api_keys=("s3cret",), telegram_dc=("127.0.0.1", server.port)
    )
    cdp = page.driver.execute_cdp_cmd
    await asyncio.to_thread(page.driver.get, with_credentials(app.url("/login"), "me", "s3cret"))
    await asyncio.to_thread(page.driver.get, app.url("/login"))
    await asyncio.to_thread(cdp, "Network.enable", {})
    await asyncio.to_thread(cdp, "Network.setExtraHTTPHeaders", {"headers": {"X-API-Key": "old"}})
    await asyncio.to_thread(page.type, "username", "newname", submit="start")
    refused = await asyncio.to_thread(page.visible_text, "error")
    assert "Invalid API key" in refused and "Enter the API key" in refused
    await asyncio.to_thread(cdp, "Network.setExtraHTTPHeaders", {"headers": {}})
    await asyncio.to_thread(page.type, "api-key", "s3cret", submit="start")
    qr_url = await asyncio.to_thread(page.shown_code)
    accept(server, qr_url, "alice")
    curl = await asyncio.to_thread(page.visible_text, "curl")
    assert "X-API-Key: $TGSC_API_KEY" in curl and "s3cret" not in curl
    assert (await app.json("GET", "/api/v3/me", account="newname"))["first_name"] == "Alice"


async def test_2fa_account_wrong_then_right_password(page, server, make_tgsc):
    app = await make_tgsc(telegram=server, telegram_dc=("127.0.0.1", server.port))
    login_state(server).token_ttl = 1.5  # codes rotate about every second
    await asyncio.to_thread(page.driver.get, app.url("/login"))
    await asyncio.to_thread(page.type, "username", "bobby", submit="start")
    first = await asyncio.to_thread(page.shown_code)
    # the page shows the new code by itself
    qr_url = await asyncio.to_thread(page.shown_code, first)
    assert qr_url != first and qr_url.startswith("tg://login?token=")
    login_state(server).token_ttl = 30  # the next codes live long enough to be scanned
    while True:
        try:
            accept(server, qr_url, "bob")
            break
        except RpcError:  # that code had expired meanwhile: scan the next one shown
            qr_url = await asyncio.to_thread(page.shown_code, qr_url)

    hint = await asyncio.to_thread(page.visible_text, "password-hint")
    assert hint == "Hint: the usual"
    await asyncio.to_thread(page.type, "password", "not it", submit="send-password")
    error = await asyncio.to_thread(page.visible_text, "error")
    assert "wrong" in error and "4 tries left" in error
    assert await asyncio.to_thread(lambda: page.element("password-form").is_displayed())
    assert not session_path(app.data_dir, "bobby").exists()

    await asyncio.to_thread(page.type, "password", PASSWORD, submit="send-password")
    message = await asyncio.to_thread(page.visible_text, "success-message")
    assert "Logged in as Bob" in message
    assert not await asyncio.to_thread(lambda: page.element("error").is_displayed())
    assert (await app.json("GET", "/api/v3/me", account="bobby"))["first_name"] == "Bob"
