"""What operators watch: health checks, Prometheus metrics from the database, a request id on every answer,
every JSON log line and every error page."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text, update

from safeshare.app import App
from safeshare.core.errors import ConfigurationError
from safeshare.core.records import Case, OpenTask
from tests.builders import Scenario
from tests.webkit import TEST_KEY, WebKit, assert_error, make_webkit
from web.app import create_app
from web.observability import JsonLogFormatter, current_request_id, json_log_config, metrics_allow_list


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def scrape(web: WebKit) -> dict[str, float]:
    answer = web.get("alex", "/metrics")  # an administrator's token, as the monitoring system would send
    assert answer.status_code == 200, answer.text
    text = answer.text
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


def test_readyz_is_503_when_the_schema_is_not_migrated_or_no_models_are_loaded(
    web: WebKit, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.db.engine.begin() as connection:
        applied = list(connection.scalars(text("SELECT version_num FROM alembic_version")))
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001_initial')"))
    try:
        behind = web.client.get("/readyz")
    finally:
        with app.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
            for revision in applied:
                connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
    assert behind.status_code == 503 and behind.json()["problems"] == [
        "The database is not at the version this release of safeshare needs: "
        "run 'safeshare db upgrade' (the migration job)"
    ]
    assert web.client.get("/readyz").status_code == 200
    monkeypatch.setattr(type(app.models), "process_ids", property(lambda _self: []))
    empty = web.client.get("/readyz")
    assert empty.status_code == 503 and empty.json() == {
        "status": "not ready",
        "problems": ["No process models are loaded"],
    }


def test_readyz_is_503_on_a_database_nobody_has_set_up(app: App, tmp_path: Path) -> None:
    from safeshare.app import App as SafeshareApp
    from safeshare.core.db import Database

    bare = SafeshareApp(app.settings, Database(f"sqlite:///{tmp_path / 'empty.db'}"), app.models, app.engine, app.clock)
    answer = TestClient(create_app(bare, key=TEST_KEY)).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["problems"] == [
        "The database has no safeshare tables yet: run 'safeshare db upgrade' (the migration job)"
    ]


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
        "proxy-1234abcd"
    )
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


def test_metrics_are_refused_without_an_administrator_token_and_the_refusal_is_audited(web: WebKit) -> None:
    anonymous = web.client.get("/metrics")
    assert_error(anonymous, 401, "monitoring system")
    assert "SAFESHARE_METRICS_ALLOW" in anonymous.json()["hint"] and "safeshare_open_tasks" not in anonymous.text
    forged = web.client.get("/metrics", headers={"Authorization": "Bearer ss_not-a-token"})
    assert forged.status_code == 401 and "not valid" in forged.json()["error"]
    before = len(web.events("access_refused"))
    practitioner = web.get("pat", "/metrics")
    assert practitioner.status_code == 403 and "Only an administrator can read the metrics" in practitioner.text
    assert "safeshare_open_tasks" not in practitioner.text
    refused = web.events("access_refused")
    assert len(refused) == before + 1 and refused[-1].detail["path"] == "/metrics"


def test_an_address_on_the_allow_list_reads_the_metrics_without_a_token(app: App, scenario: Scenario) -> None:
    allowed = metrics_allow_list({"SAFESHARE_METRICS_ALLOW": " 10.20.0.0/16, 127.0.0.1 ,"})
    web = create_app(app, key=TEST_KEY)
    web.state.metrics_allow = allowed
    inside = TestClient(web, client=("10.20.3.4", 40000)).get("/metrics")
    assert inside.status_code == 200 and "safeshare_open_tasks" in inside.text
    outside = TestClient(web, client=("10.21.3.4", 40000)).get("/metrics")
    assert outside.status_code == 401


def test_a_wrong_allow_list_stops_the_server_with_a_clear_message() -> None:
    assert metrics_allow_list({}) == ()
    with pytest.raises(ConfigurationError) as refused:
        metrics_allow_list({"SAFESHARE_METRICS_ALLOW": "10.0.0.0/8,monitoring.internal"})
    assert "'monitoring.internal', which is not an address or a network" in refused.value.message


def test_no_case_reference_or_number_reaches_a_metric_label(web: WebKit, scenario: Scenario, app: App) -> None:
    case_id, _ = scenario.open_case(9)
    with app.db.read() as s:
        reference = s.scalar(select(Case.reference).where(Case.id == case_id))
    assert reference
    assert web.get("pat", f"/api/cases/{case_id}").status_code == 200
    assert web.get("pat", f"/cases/{case_id}").status_code == 200
    pasted = web.get("pat", f"/cases/{reference}")  # a person pasting the reference into the address
    text = web.get("alex", "/metrics").text
    assert 'route="/api/cases/{case_id}",status="200"' in text and 'route="/cases/{case_id}",status="200"' in text
    assert f'route="/cases/{{case_id}}",status="{pasted.status_code}"' in text
    assert reference not in text and f"/{case_id}" not in text


def _with_a_broken_route(web: WebKit) -> FastAPI:
    fastapi_app: FastAPI = web.client.app  # type: ignore[assignment]

    def broken() -> None:
        raise RuntimeError("a bug nobody caught")

    fastapi_app.add_api_route("/broken-page", broken)
    fastapi_app.add_api_route("/api/broken", broken)
    return fastapi_app


def _capture_logs() -> tuple[io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logging.getLogger("safeshare.web").addHandler(handler)
    return stream, handler


def test_an_unexpected_error_gives_a_page_and_a_log_line_with_the_same_reference(web: WebKit) -> None:
    _with_a_broken_route(web)
    stream, handler = _capture_logs()
    try:
        page = web.get("pat", "/broken-page")
        api = web.get("pat", "/api/broken")
    finally:
        logging.getLogger("safeshare.web").removeHandler(handler)
    assert page.status_code == 500 and "Sorry, there is a problem with the service" in page.text
    reference = page.headers["X-Request-ID"]
    assert f'data-testid="request-id">{reference}<' in page.text
    assert "a bug nobody caught" not in page.text  # the cause is for the log, not the person
    assert "content-security-policy" in page.headers and page.headers["cache-control"] == "no-store"
    body = assert_error(api, 500, "problem with the service")
    assert api.headers["X-Request-ID"] in body["hint"] and "a bug nobody caught" not in api.text
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    logged = {line["request_id"]: line for line in lines if line["level"] == "ERROR"}
    assert "a bug nobody caught" in logged[reference]["error"]
    assert logged[reference]["message"] == "Unexpected error answering GET /broken-page"
    assert api.headers["X-Request-ID"] in logged
    latency = scrape(web)
    assert latency["safeshare_http_request_duration_seconds_count{method=GET,route=/broken-page,status=500}"] == 1


WORKER = """
import sys
from fastapi.testclient import TestClient
from safeshare.app import App
from safeshare.core.config import Settings
from web.app import create_app

web = create_app(App.create(Settings.from_env(), migrate=False), key="k" * 40)
client = TestClient(web, client=("127.0.0.1", 50000))
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
if sys.argv[2] == "scrape":
    print(client.get("/metrics").text)
"""


def test_latency_figures_of_several_worker_processes_are_added_up(app: App, database_url: str, tmp_path: Path) -> None:
    """As under ``uvicorn --workers N`` in compose.yaml: two processes answer, either one's scrape counts both."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = os.environ | {
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SAFESHARE_DATABASE_URL": database_url,
        "SAFESHARE_METRICS_ALLOW": "127.0.0.1",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    for requests, then in ((3, "stop"), (2, "scrape")):
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(requests), then],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0 and not done.stdout.startswith("<"), done.stderr[-3000:]
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(done.stdout)
        for sample in family.samples
    }
    labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert samples[("safeshare_http_request_duration_seconds_count", labels)] == 5
    assert ("safeshare_open_tasks", ()) in samples
