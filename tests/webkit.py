"""Helpers for the web tests: the FastAPI app on the test database, API tokens per scenario user,
and counts that prove a refused request changed nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.records import AuditEvent, CompletedTask, OpenTask
from safeshare.services import accounts
from tests.builders import Scenario
from web.app import create_app

TEST_KEY = "test-session-key-" + "x" * 40


#: The audit trail's records of somebody reading something (not a change of state).
READS = ("case_viewed", "scheme_application_viewed", "process_viewed", "chronology_viewed", "report_viewed")


@dataclass
class WebKit:
    app: App
    scenario: Scenario
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, name: str) -> dict[str, str]:
        """Bearer headers acting as scenario user ``name`` (token issued on first use)."""
        if name not in self.tokens:
            with self.app.transaction() as s:
                self.tokens[name] = accounts.issue_token(self.app, s, self.scenario.user(s, name), "tests")
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, name: str, url: str) -> Any:
        return self.client.get(url, headers=self.headers(name))

    def post(self, name: str, url: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self.headers(name) | kwargs.pop("headers", {}), json=json, **kwargs)

    def counts(self) -> tuple[int, int, int]:
        """(audit events other than reads, completed tasks, open tasks): equal before and after means nothing
        changed. A page that is shown again with its errors is read again, and that read is on the trail."""
        with self.app.db.read() as s:
            return (
                s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type.not_in(READS)))
                or 0,
                s.scalar(select(func.count()).select_from(CompletedTask)) or 0,
                s.scalar(select(func.count()).select_from(OpenTask)) or 0,
            )

    def events(self, event_type: str) -> list[AuditEvent]:
        with self.app.db.read() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)))


def make_webkit(app: App, scenario: Scenario) -> WebKit:
    """The kit, with a token already issued for every scenario user (so issuing one is not counted as a change)."""
    kit = WebKit(app, scenario, TestClient(create_app(app, key=TEST_KEY)))
    for name in scenario.users:
        kit.headers(name)
    return kit


def assert_error(response: Any, status: int, *words: str) -> dict[str, Any]:
    """A clear error body: what is wrong (naming ``words``) and what to do."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "hint", "fields"}, body
    assert body["error"] and body["hint"], body
    for word in words:
        assert word.lower() in (body["error"] + " " + str(body["fields"])).lower(), body
    return dict(body)
