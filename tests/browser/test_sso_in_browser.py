"""Single sign-on through a real browser: Chromium follows the redirects to the test identity provider
(tests/oidc_provider.py), signs in there and comes back signed in to the service."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from safeshare.app import App
from tests.browser.conftest import free_port, shoot
from tests.builders import Scenario
from tests.oidc_provider import Provider, running_provider
from tests.test_sso import ACCOUNTS, settings_for
from web.app import create_app


@pytest.fixture
def served(app: App, scenario: Scenario) -> Iterator[tuple[str, Provider]]:
    with running_provider(ACCOUNTS) as provider:
        provider.now = lambda: app.clock.now().timestamp()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        provider.register_redirect(f"{base}/sign-in/sso/callback")
        web = create_app(app, key="browser-sso-" + "k" * 40, sso=settings_for(provider))
        server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield base, provider
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def test_a_practitioner_signs_in_through_the_identity_provider(served: tuple[str, Provider], browser: Browser) -> None:
    base, provider = served
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(f"{base}/tasks")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    shoot(page, "sso-01-sign-in")
    page.get_by_role("button", name="Sign in with your organisation account").click()
    page.wait_for_url(f"{provider.issuer}/authorize?**")
    expect(page.get_by_role("heading", name="Test identity provider: sign in")).to_be_visible()
    page.get_by_label("Account").select_option("casey.sso")
    shoot(page, "sso-02-identity-provider")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/tasks")
    expect(page.get_by_text("Casey Jones")).to_be_visible()
    shoot(page, "sso-03-signed-in")

    stranger = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    stranger.goto(f"{base}/sign-in")
    stranger.get_by_role("button", name="Sign in with your organisation account").click()
    stranger.get_by_label("Account").select_option("robin.sso")
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger.get_by_role("heading", name="You could not be signed in")).to_be_visible()
    expect(stranger.get_by_text("not in a group that may use this service")).to_be_visible()
    shoot(stranger, "sso-04-refused")
