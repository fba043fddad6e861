"""Load: many people completing tasks at once through the HTTP API, on PostgreSQL, with several API workers.

A real ``uvicorn --workers 3`` serves ``web.asgi:create`` on the test database (scaled mode:
the same code, only configuration differs). For a bounded time (``SAFESHARE_LOAD_SECONDS``,
default 15) practitioners and managers, each a client thread with its own API token, read their
inbox and complete what they find; practitioners with nothing to do start a new episode, one
attempt in ten sends an invalid form, and the managers race each other for the same advice
tasks. Afterwards every instance's stored workflow, its projection rows, the completed-task
history, the consent records and the audit chain must agree, and no answer may be a 5xx.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.audit import verify_chain
from safeshare.core.records import AuditEvent, CompletedTask, ConsentRecord, OpenTask, ProcessInstance, Role, User
from safeshare.services import accounts, cases, directory
from tests.builders import EXPLAINED, Scenario
from tests.conftest import backend
from workflows.engine import task_role

ROOT = Path(__file__).resolve().parent.parent
PRACTITIONERS = 8
MANAGERS = 4
WORKERS = 3

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="scaled mode (several API workers) is PostgreSQL")


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    completed: list[str] = field(default_factory=list)
    invalid_sent: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.errors.append(f"{response.request.method} {response.request.url.path}: {response.text[:300]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiServer:
    """``uvicorn --factory web.asgi:create --workers N`` on the test database, in its own process group."""

    def __init__(self, database_url: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SAFESHARE_DATABASE_URL": database_url, "SAFESHARE_SECRET_KEY": "load-test-" + "k" * 40}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.asgi:create", "--workers", str(workers),
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the API server exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            try:
                if httpx.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail("the API server did not start")

    def peak_rss_mb(self) -> dict[int, float]:
        """VmHWM (peak resident memory) of each process of the server's group, from /proc."""
        peaks: dict[int, float] = {}
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
                if os.getpgid(int(status.parent.name)) != self.proc.pid:
                    continue
            except (OSError, ValueError):
                continue
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[int(status.parent.name)] = round(int(line.split()[1]) / 1024, 1)
        return peaks

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


# -- the people -----------------------------------------------------------------------------------------


@dataclass
class Staff:
    tokens: dict[str, str]
    cases_of: dict[str, list[int]]
    parent_of_case: dict[int, int]


def hire(scenario: Scenario) -> Staff:
    app = scenario.app
    tokens: dict[str, str] = {}
    cases_of: dict[str, list[int]] = {}
    parent_of_case: dict[int, int] = {}
    with app.transaction() as s:
        north = scenario.user(s, "pat").team
        born = date(app.clock.now().year - 12, 1, 15)
        for n in range(PRACTITIONERS):
            user = directory.create_user(s, f"lp{n}", f"Load Practitioner {n}", [Role.PRACTITIONER], team=north)
            tokens[user.username] = accounts.issue_token(app, s, user, "load test")
            cases_of[user.username] = []
            for k in range(3):
                case = cases.open_case(app, s, user, reference=f"L-{n}-{k}", title="Load case",
                                       child_name="Load Child", child_date_of_birth=born)
                parent = cases.add_person(app, s, user, case.id, full_name="Load Parent",
                                          relationship_to_child="parent", has_parental_responsibility=True)
                cases_of[user.username].append(case.id)
                parent_of_case[case.id] = parent.id
                cases.start_episode(app, s, user, case.id, "Load episode")
        for n in range(MANAGERS):
            user = directory.create_user(s, f"lm{n}", f"Load Manager {n}", [Role.MANAGER], team=north)
            tokens[user.username] = accounts.issue_token(app, s, user, "load test")
    return Staff(tokens, cases_of, parent_of_case)


def form_for(step: str, case_id: int, staff: Staff) -> dict[str, Any]:
    if step == "judge_competence":
        return {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"}
    if step == "advise_on_competence":
        return {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    return {**EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given",
            "consenting_person_id": staff.parent_of_case[case_id], "recipients": [{"agency": "School nursing"}]}


def work(server: ApiServer, staff: Staff, username: str, until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {staff.tokens[username]}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            inbox = client.get("/api/tasks")
            tally.note(inbox)
            tasks = inbox.json()["tasks"] if inbox.status_code == 200 else []
            if not tasks:
                if username in staff.cases_of:
                    started = client.post(f"/api/cases/{rng.choice(staff.cases_of[username])}/episodes",
                                          json={"purpose": "Another episode of work"})
                    tally.note(started)
                else:
                    time.sleep(0.02)
                continue
            task = rng.choice(tasks[:5]) if username not in staff.cases_of else tasks[0]
            form = form_for(task["step"], task["case_id"], staff)
            invalid = rng.random() < 0.1
            if invalid:
                form = {**form, "not_a_field": True}
            done = client.post(f"/api/tasks/{task['id']}/complete", json=form)
            tally.note(done)
            with tally.lock:
                tally.invalid_sent += invalid
                if done.status_code == 200:
                    assert not invalid, f"an invalid form was accepted: {form}"
                    tally.completed.append(task["id"])


# -- the checks -------------------------------------------------------------------------------------------


def check_every_instance(app: App) -> dict[str, int]:
    """Each instance's workflow, projections, history and records agree; returns what was checked."""
    checked = Counter[str]()
    with app.db.read() as s:
        for row in s.scalars(select(ProcessInstance).order_by(ProcessInstance.id)):
            workflow = app.engine.load(s, row)
            ready = {(str(t.id), t.task_spec.bpmn_id, task_role(t)) for t in app.engine.ready_user_tasks(workflow)}
            projected = set(s.execute(select(OpenTask.task_id, OpenTask.task_spec, OpenTask.role)
                                      .where(OpenTask.instance_id == row.id)).all())
            assert projected == ready, f"instance {row.id}: open_task {projected} but workflow {ready}"
            assert (row.status == "completed") == workflow.is_completed(), f"instance {row.id} status {row.status}"
            history = s.execute(select(CompletedTask.task_id, CompletedTask.task_spec)
                                .where(CompletedTask.instance_id == row.id)).all()
            done_in_workflow = {str(t.id): t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                                if t.task_spec.manual}
            assert dict(history) == done_in_workflow, f"instance {row.id}: history and workflow disagree"
            consents = s.scalar(select(func.count()).select_from(ConsentRecord)
                                .where(ConsentRecord.instance_id == row.id))
            assert consents == (1 if row.status == "completed" else 0), f"instance {row.id}: {consents} consents"
            checked["instances"] += 1
            checked["completed"] += row.status == "completed"
        report = verify_chain(s)
        assert report.ok, report
        checked["audit_events"] = report.events_checked
    return dict(checked)


def test_many_people_completing_tasks_through_the_api_keep_everything_consistent(
    scenario: Scenario, app: App, database_url: str
) -> None:
    staff = hire(scenario)
    with app.db.read() as s:
        completed_before = s.scalar(select(func.count()).select_from(CompletedTask)) or 0
        audit_completions_before = s.scalar(select(func.count()).select_from(AuditEvent)
                                            .where(AuditEvent.event_type == "task_completed")) or 0
    seconds = float(os.environ.get("SAFESHARE_LOAD_SECONDS", "15"))
    server = ApiServer(database_url, WORKERS)
    tally = Tally()
    try:
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=work, args=(server, staff, name, until, tally, n))
                   for n, name in enumerate(staff.tokens)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 120)
        assert not any(t.is_alive() for t in threads)
        peaks = server.peak_rss_mb()
    finally:
        server.stop()

    print(f"\nload: {len(staff.tokens)} users, {WORKERS} API workers, {seconds:.0f} s: "
          f"{sum(tally.statuses.values())} requests {dict(tally.statuses)}, {len(tally.completed)} tasks completed, "
          f"peak RSS per server process {peaks} MB")
    assert tally.errors == [], tally.errors[:5]
    assert len(tally.completed) > 0 and tally.invalid_sent > 0
    assert len(set(tally.completed)) == len(tally.completed), "a task was completed twice"
    with app.db.read() as s:
        new_rows = set(s.scalars(select(CompletedTask.task_id)))
        assert len(new_rows) - completed_before == len(tally.completed)
        assert set(tally.completed) <= new_rows
        audit_completions = s.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.event_type == "task_completed")) or 0
        assert audit_completions - audit_completions_before == len(tally.completed)
        assert all(u.is_active for u in s.scalars(select(User)))
    checked = check_every_instance(app)
    assert checked["completed"] > 0
