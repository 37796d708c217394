"""/docs in a real headless browser: Swagger UI renders every operation from this
server's own files, with every name resolution outside 127.0.0.1 refused."""

from __future__ import annotations

import asyncio
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
)


def render_docs(url: str, operations: int) -> tuple[int, list[str], str]:
    """Open `url`, wait for `operations` operation blocks; (blocks, resource URLs, title)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(url)
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations
        )
        blocks = len(driver.find_elements(By.CSS_SELECTOR, ".opblock"))
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        return blocks, resources, driver.find_element(By.CSS_SELECTOR, ".title").text
    finally:
        driver.quit()


async def test_swagger_ui_renders_every_operation_offline(tgsc):
    document = await tgsc.json("GET", "/openapi.json")
    operations = sum(len(methods) for methods in document["paths"].values())
    base = tgsc.url("/")
    blocks, resources, title = await asyncio.to_thread(render_docs, tgsc.url("/docs"), operations)
    assert blocks == operations
    assert title.startswith("tgscraper")
    assert resources, "the page loaded no assets"
    assert all(name.startswith(base) for name in resources), resources
    assert tgsc.url("/openapi.json") in resources
