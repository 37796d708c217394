"""/docs in a real headless browser: Swagger UI renders every operation from this
server's own files, with every name resolution outside 127.0.0.1 refused."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from tests.browser import needs_browser, start_chromium

pytestmark = needs_browser


def render_docs(url: str, operations: int) -> tuple[int, list[str], str]:
    """Open `url`, wait for `operations` operation blocks; (blocks, resource URLs, title)."""
    with tempfile.TemporaryDirectory(prefix="tgsc-chromium-") as profile:
        driver = start_chromium(Path(profile))
        try:
            return _render(driver, url, operations)
        finally:
            driver.quit()


def _render(driver, url: str, operations: int) -> tuple[int, list[str], str]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations
    )
    blocks = len(driver.find_elements(By.CSS_SELECTOR, ".opblock"))
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return blocks, resources, driver.find_element(By.CSS_SELECTOR, ".title").text


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
