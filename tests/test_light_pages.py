"""Light pages: assets and API answers are gzipped, assets carry a cache header, pages are not compressed
(they carry the CSRF token beside what a person typed: see web/compression.py)."""

from __future__ import annotations

import pytest

from safeshare.app import App
from tests.builders import Scenario
from tests.webkit import WebKit, make_webkit

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture()
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def test_assets_are_gzipped_and_cached(web: WebKit) -> None:
    css = web.client.get("/static/govuk/govuk-frontend.min.css", headers=GZIP)
    assert css.status_code == 200
    assert css.headers["content-encoding"] == "gzip"
    assert css.headers["cache-control"] == "public, max-age=604800"
    with web.client.stream("GET", "/static/govuk/govuk-frontend.min.css", headers=GZIP) as streamed:
        on_the_wire = sum(len(chunk) for chunk in streamed.iter_raw())
    assert on_the_wire < len(css.content) / 3  # a third or less of the stylesheet
    ours = web.client.get("/static/app/safeshare.css", headers=GZIP)
    assert ours.headers["cache-control"] == "public, max-age=3600" and "etag" in ours.headers
    again = web.client.get("/static/app/safeshare.css", headers=GZIP | {"If-None-Match": ours.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=3600"


def test_api_answers_are_gzipped_but_pages_are_not(web: WebKit) -> None:
    spec = web.client.get("/api/openapi.json", headers=GZIP)
    assert spec.headers["content-encoding"] == "gzip" and spec.json()["openapi"]
    page = web.client.get("/sign-in", headers=GZIP)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "content-encoding" not in page.headers and page.headers["cache-control"] == "no-store"


def test_without_accept_encoding_nothing_is_compressed(web: WebKit) -> None:
    css = web.client.get("/static/govuk/govuk-frontend.min.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in css.headers and css.headers["cache-control"].startswith("public")
