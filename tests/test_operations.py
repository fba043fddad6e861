"""What operators watch: health checks, Prometheus metrics from the database, a request id on every answer,
every JSON log line and every error page."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from safeshare.app import App
from safeshare.records import OpenTask
from tests.builders import Scenario
from tests.webkit import WebKit, make_webkit
from web.observability import JsonLogFormatter, current_request_id, json_log_config


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def scrape(web: WebKit) -> dict[str, float]:
    text = web.client.get("/metrics").text
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_healthz_and_readyz_answer(web: WebKit) -> None:
    assert web.client.get("/healthz").json() == {"status": "ok"}
    ready = web.client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "problems": []}


def test_readyz_is_503_when_the_database_does_not_answer(web: WebKit, app: App) -> None:
    app.db.dispose()
    original = app.db.read

    def broken() -> object:
        raise ConnectionError("down")

    app.db.read = broken  # type: ignore[method-assign]
    try:
        ready = web.client.get("/readyz")
    finally:
        app.db.read = original  # type: ignore[method-assign]
    assert ready.status_code == 503
    assert ready.json()["problems"] == ["The database does not answer: ConnectionError"]


def test_metrics_count_open_and_overdue_tasks_from_the_database(web: WebKit, app: App, scenario: Scenario) -> None:
    before = scrape(web)
    assert before["safeshare_open_tasks"] == 0 and before["safeshare_overdue_tasks"] == 0
    case_id, _ = scenario.open_case(12)
    scenario.start_episode(case_id)
    opened = scrape(web)
    assert opened["safeshare_open_tasks"] == 1 and opened["safeshare_overdue_tasks"] == 0
    with app.transaction() as s:
        s.execute(update(OpenTask).values(due_at=app.clock.now() - timedelta(hours=1)))
    assert scrape(web)["safeshare_overdue_tasks"] == 1
    assert scrape(web)["safeshare_outbox_messages{status=pending}"] >= 0
    assert scrape(web)["safeshare_sweep_lag_seconds"] == 0


def test_request_latency_is_recorded_by_route_template(web: WebKit) -> None:
    web.get("pat", "/api/tasks")
    web.client.get("/api/cases/12345", headers=web.headers("pat"))
    samples = scrape(web)
    count = "safeshare_http_request_duration_seconds_count"
    assert samples[f"{count}{{method=GET,route=/api/tasks,status=200}}"] == 1
    assert samples[f"{count}{{method=GET,route=/api/cases/{{case_id}},status=404}}"] == 1


def test_every_answer_carries_a_request_id_and_a_sane_given_one_is_kept(web: WebKit) -> None:
    fresh = web.client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32 and fresh != web.client.get("/healthz").headers["X-Request-ID"]
    assert web.client.get("/healthz", headers={"X-Request-ID": "proxy-1234abcd"}).headers["X-Request-ID"] == (
        "proxy-1234abcd")
    forged = web.client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert forged != "<script>" and len(forged) == 32


def test_an_error_page_shows_the_request_id_to_quote(web: WebKit) -> None:
    page = web.client.get("/no-such-page", headers={"X-Request-ID": "support-ref-42"})
    assert page.status_code == 404
    assert 'data-testid="request-id">support-ref-42<' in page.text


def test_log_lines_are_json_with_the_request_id(web: WebKit) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    log = logging.getLogger("safeshare.web")
    log.addHandler(handler)
    try:
        token = current_request_id.set("abcdef123456")
        log.warning("a thing happened")
        current_request_id.reset(token)
        log.warning("outside a request")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "a thing happened" and first["request_id"] == "abcdef123456"
    assert first["level"] == "WARNING" and first["logger"] == "safeshare.web"
    assert "request_id" not in second
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logging.config.dictConfig(json_log_config())  # the server's configuration is valid and uses the formatter
        assert isinstance(root.handlers[-1].formatter, JsonLogFormatter)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
