"""Browser fixtures: the web app served by uvicorn on a free loopback port against the test database,
and Debian's Chromium driven headless by Playwright (never a downloaded browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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


def shoot(page: Page, name: str, *, check: bool = True) -> None:
    """Save a full-page screenshot, then check the page as it stands: axe-core finds no WCAG 2.2 A/AA or
    best-practice violation, and at 320 px wide the page does not scroll sideways as a whole.

    ``check=False`` only for a page deliberately shown without its styles and scripts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if check:
        assert_accessible(page, name)
        assert_no_sideways_scroll(page, name)


def choose(page: Page, question: str, choice: str) -> None:
    """Pick one of a question's own choices by its words, as a person does: not a choice of a question that one
    of its answers reveals (a revealed question sits inside the group of the question that reveals it)."""
    own = page.get_by_role("group", name=question).locator(":scope > .govuk-radios > .govuk-radios__item")
    own.get_by_label(choice, exact=True).check()


def enter_date_and_time(page: Page, question: str, when: datetime) -> None:
    """Type a date and time as a person does: into the question's day, month, year, hour and minute boxes."""
    group = page.get_by_role("group", name=question)
    for box, value in (("Day", when.day), ("Month", when.month), ("Year", when.year), ("Hour", f"{when.hour:02d}"),
                       ("Minute", f"{when.minute:02d}")):
        group.get_by_label(box, exact=True).fill(str(value))


# -- accessibility (h/pages) ------------------------------------------------------------------------------

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practice.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
NARROWEST = 320  # px: WCAG 1.4.10 reflow, a page must not scroll in two directions


def _tolerated(rule: str, node: dict[str, Any]) -> bool:
    """Findings in GOV.UK Frontend's own markup we do not change, each with why.

    - ``aria-allowed-attr`` on a radio or checkbox that reveals a conditional question: GOV.UK Frontend sets
      ``aria-expanded`` on it (its Radios and Checkboxes components, by design, tested with screen readers).
    """
    if rule == "aria-allowed-attr":
        html = str(node.get("html", ""))
        classes = ("govuk-radios__input", "govuk-checkboxes__input")
        return any(c in html for c in classes) and "aria-controls" in html and "aria-expanded" in html
    return False


def assert_accessible(page: Page, name: str) -> None:
    """Run axe-core on the page (injected through the DevTools protocol, so the page's CSP does not block it)."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} is missing: run 'npm ci' (axe-core is a devDependency in package.json)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, help: v.help, "
        "nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary}))})) }",
        AXE_TAGS,
    )
    problems = []
    for violation in result:
        nodes = [n for n in violation["nodes"] if not _tolerated(violation["id"], n)]
        for node in nodes:
            problems.append(f"{violation['id']} ({violation['help']}): {node['target']} {node['html'][:160]}")
    assert not problems, f"axe found {len(problems)} problem(s) on {name} ({page.url}):\n" + "\n".join(problems)


def assert_no_sideways_scroll(page: Page, name: str) -> None:
    """At 320 px wide the page reflows: nothing makes the whole page scroll sideways (wide tables scroll
    in their own box). Names what sticks out when something does."""
    size = page.viewport_size or {"width": 1200, "height": 900}
    page.set_viewport_size({"width": NARROWEST, "height": size["height"]})
    try:
        page.wait_for_timeout(50)
        overflow = page.evaluate(
            """(limit) => {
                const root = document.documentElement
                if (root.scrollWidth <= root.clientWidth) return []
                const out = []
                for (const el of document.body.querySelectorAll('*')) {
                    const box = el.getBoundingClientRect()
                    if (box.right > limit + 1 && el.closest('.app-table-scroll') === null) {
                        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                                 (typeof el.className === 'string' && el.className
                                     ? '.' + el.className.split(' ').join('.') : '') +
                                 ' right=' + Math.round(box.right))
                    }
                }
                return out.length ? out.slice(0, 8) : ['(the page is wider than the window)']
            }""",
            NARROWEST,
        )
        if overflow:
            page.screenshot(path=str(SCREENSHOTS / f"{name}-320px.png"), full_page=True)
        assert not overflow, f"{name} ({page.url}) scrolls sideways at {NARROWEST} px: " + "; ".join(overflow)
    finally:
        page.set_viewport_size(size)


@pytest.fixture
def site(app: App, scenario: Scenario, browser: Browser) -> Iterator[Site]:
    with app.transaction() as s:
        for name in scenario.users:
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app, key="browser-tests-" + "k" * 40),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
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
