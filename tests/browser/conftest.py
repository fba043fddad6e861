"""Browser fixtures: the web app served by uvicorn on a free loopback port against the test database,
and Debian's Chromium driven headless by Playwright (never a downloaded browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from safeshare.app import App
from safeshare.services import accounts
from tests.builders import Scenario
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "browser password 1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests, closed when they end: Playwright's sync API keeps an event loop
    running in this thread while it is open, which would break later tests that start their own."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Site:
    app: App
    scenario: Scenario
    base_url: str
    browser: Browser

    def page_as(self, user: str) -> Page:
        """A fresh browser context, signed in as ``user`` through the sign-in page."""
        page = self.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{self.base_url}/sign-in")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base_url}/tasks")
        return page


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def site(app: App, scenario: Scenario, browser: Browser) -> Iterator[Site]:
    with app.transaction() as s:
        for name in scenario.users:
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, key="browser-tests-" + "k" * 40), host="127.0.0.1", port=port,
                       log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Site(app, scenario, f"http://127.0.0.1:{port}", browser)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
