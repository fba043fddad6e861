"""The API fuzzed from its own OpenAPI document (Schemathesis): no 5xx answer, and a refused request changes nothing.

Schemathesis generates requests for every operation the OpenAPI document lists, valid and
invalid, and sends them in-process to the real app on the test database, signed in as a
practitioner (pat) who has a case with an open task, so some generated ids exist. After each
request: the status is below 500, and a 4xx answer left every table exactly as it was (row counts,
open tasks and their holders, instance versions). The one deliberate exception: a refused
sign-in on ``/api/auth/*`` records the attempt and an audit event (that is how attempts are limited).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.records import AuditEvent, Base, OpenTask, ProcessInstance
from tests.browser.conftest import free_port
from tests.builders import Scenario
from tests.webkit import make_webkit

SIGN_IN_PATHS = ("/api/auth/",)
EXAMPLES = 10  # per operation and mode


@pytest.fixture
def fuzz_web(app: App, scenario: Scenario) -> dict[str, Any]:
    kit = make_webkit(app, scenario)
    case_id, _ = scenario.open_case(12)
    scenario.start_episode(case_id)
    return {"app": app, "asgi": kit.client.app, "headers": kit.headers("pat")}


def fingerprint(app: App) -> tuple[Any, ...]:
    """Row counts of every table, who holds each open task and each instance's version, in one query.

    Not counted: ``access_refused`` audit events (and the chain head they move), which the API writes
    on purpose for every refused look at a case or task (need-to-know is audited).
    """
    counted = [t for t in Base.metadata.sorted_tables if t.name not in ("audit_event", "audit_chain_head")]
    columns = [select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in counted]
    columns.append(select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type != "access_refused")
                   .scalar_subquery().label("audit_event"))
    holders = select(func.count()).select_from(OpenTask).where(OpenTask.assignee_id.is_not(None))
    columns.append(holders.scalar_subquery().label("held_tasks"))
    columns.append(select(func.coalesce(func.sum(ProcessInstance.version), 0)).scalar_subquery().label("versions"))
    with app.db.read() as s:
        return tuple(s.execute(select(*columns)).one())


def fuzz_operation(operation: Any, mode: GenerationMode, fuzz_web: dict[str, Any]) -> None:
    app: App = fuzz_web["app"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])  # no shrinking: the failing request is printed as is
    def check(case: Any) -> None:
        before = fingerprint(app)
        response = case.call(headers=fuzz_web["headers"])
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
        )
        if 400 <= response.status_code < 500 and not case.formatted_path.startswith(SIGN_IN_PATHS):
            assert fingerprint(app) == before, (
                f"{case.method} {case.formatted_path} was refused ({response.status_code}) but changed data"
            )

    check()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_error_and_refusals_change_nothing(fuzz_web: dict[str, Any], mode: GenerationMode) -> None:
    """Every operation of the OpenAPI document, with data that fits its schema and data that does not."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_web["asgi"])
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10, [op.label for op in operations]
    failures: list[str] = []
    for operation in operations:
        try:
            fuzz_operation(operation, mode, fuzz_web)
        except Unsatisfiable:
            continue  # e.g. no way to make an operation without parameters invalid
        except AssertionError as failure:
            failures.append(f"{operation.label}: {str(failure).splitlines()[0][:400]}")
        except Exception as crash:  # the app raised instead of answering: a 500 in production
            failures.append(f"{operation.label}: the app raised {type(crash).__name__}: {str(crash)[:300]}")
    assert failures == [], "\n".join(failures)



ROOT = Path(__file__).resolve().parents[1]
ST = Path(sys.executable).parent / "st"


@pytest.fixture
def served(fuzz_web: dict[str, Any]) -> Iterator[str]:
    """The app on a free loopback port (Schemathesis's CLI sends real HTTP requests)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fuzz_web["asgi"], host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("signed_in", [True, False], ids=["with a token", "anonymous"])
def test_the_openapi_document_describes_the_api(
    served: str, fuzz_web: dict[str, Any], signed_in: bool, tmp_path: Path
) -> None:
    """``st run --checks all`` (examples, coverage, fuzzing and stateful phases, bounded): documented status
    codes, content types and headers (Allow on 405), answers that match their schemas, invalid data refused,
    valid data accepted (422 only from a rule of the procedure: the custom check in
    tests/schemathesis_hooks.py refuses a schema-valid request refused by the API's own request checks)."""
    auth = ["-H", f"Authorization: {fuzz_web['headers']['Authorization']}"] if signed_in else []
    run = subprocess.run(
        [str(ST), "run", f"{served}/api/openapi.json", "--checks", "all", "--max-examples", "5",
         "--workers", "1", "--seed", "20261204", "--no-color", *auth],
        cwd=ROOT, env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_the_document_declares_the_bearer_scheme_and_error_bodies(fuzz_web: dict[str, Any]) -> None:
    document = fuzz_web["asgi"].openapi()
    assert document["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http", "scheme": "bearer", "description": "An API token from POST /api/auth/token"}
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    unsecured = [f"{m.upper()} {p}" for p, m, op in operations if "security" not in op]
    assert unsecured == ["POST /api/auth/token"]
    without_model = [f"{m.upper()} {p}" for p, m, op in operations
                     if not any("schema" in c or c == {} for r in op["responses"].values()
                                for c in r.get("content", {}).values())]
    assert without_model == []
    assert all("403" in op["responses"] for p, m, op in operations if p != "/api/auth/token" and p != "/api/me")
