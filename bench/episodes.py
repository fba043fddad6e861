"""Throughput of whole consent episodes: through the task service on a database, and bare SpiffWorkflow.

One episode is the under-16 path of ``bpmn/consent_seeking.bpmn``: start, judge
competence (practitioner), advise on competence (manager), seek consent (given,
with a recipient), then the DMN decision and the two service tasks run to the end.

*safeshare* runs it as people do: ``cases.start_episode`` and three
``tasks.service.complete_task`` calls, each in its own transaction on a real
database (inbox row lock, form validation, restore from JSON, handlers writing the
consent record and the rendered consent form, projections, audit chain, commit).

*bare* parses the same ``bpmn/`` folder once (``consent_seeking`` calls other processes), then per
episode: a new ``BpmnWorkflow``,
``do_engine_steps``, and for each of the three user tasks ``task.data.update`` with
the same form data, ``task.run()`` and ``do_engine_steps``; service tasks return a
constant, and after the start and after each task the workflow is serialized with
the stock ``BpmnWorkflowSerializer`` (spec embedded), as a fair stand-in for saving.
It keeps the workflow in memory between tasks (no restore) and writes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, func, select

from bench.world import Partnership, make_app, open_cases
from safeshare.app import App
from safeshare.core.config import BPMN_DIR
from safeshare.core.records import OpenTask, ProcessInstance
from safeshare.services import cases, directory
from tasks import service

EXPLAINED = {
    "explained_what": "School attendance and health notes",
    "explained_how": "Secure email",
    "explained_why": "To plan support together",
    "explained_with_whom": "The school nursing service",
    "explained_when": "During this episode of work",
}
JUDGE = {"child_competent": False, "competence_reasons": "Talked it through at length"}
ADVISE = {"manager_agrees_competence": True, "competence_advice": "Agreed"}


def seek_form(parent_id: int) -> dict[str, Any]:
    return {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": parent_id,
        "recipients": [{"agency": "School nursing"}],
        "consent_signature": "verbal_with_witness",
        "witness_name": "A colleague from the school nursing service",
        "copy_given": "in_person",
        "information_covered": ["education", "health"],  # what the consent covers (R19)
        "purposes_covered": ["plan_support", "health_care"],
    }


# -- safeshare --------------------------------------------------------------------------


def _complete(app: App, user_id: int, instance_id: int, spec: str, data: dict[str, Any]) -> ProcessInstance:
    with app.transaction() as s:
        task_id = s.scalar(
            select(OpenTask.task_id).where(OpenTask.instance_id == instance_id, OpenTask.task_spec == spec)
        )
        assert task_id is not None, f"no open {spec} on instance {instance_id}"
        user = directory.acting_user(s, user_id)
        assert user is not None
        return service.complete_task(app, s, user, task_id, data)


def run_safeshare_episode(app: App, people: Partnership, case_id: int, parent_id: int) -> ProcessInstance:
    with app.transaction() as s:
        user = directory.acting_user(s, people.practitioner_id)
        assert user is not None
        instance_id = cases.start_episode(app, s, user, case_id, "Benchmark").id
    _complete(app, people.practitioner_id, instance_id, "judge_competence", JUDGE)
    _complete(app, people.manager_id, instance_id, "advise_on_competence", ADVISE)
    row = _complete(app, people.practitioner_id, instance_id, "seek_consent", seek_form(parent_id))
    assert (row.status, row.outcome) == ("completed", "consent_given"), (row.status, row.outcome)
    return row


def safeshare_throughput(url: str, episodes: int, warmup: int = 3) -> dict[str, Any]:
    """Episodes per second through the task service, plus the stored size of each finished instance."""
    app = make_app(url)
    try:
        people = Partnership.create(app)
        case_rows = open_cases(app, people.practitioner_id, episodes + warmup, 12, "tp")
        for case_id, _child, parent in case_rows[:warmup]:
            run_safeshare_episode(app, people, case_id, parent)
        statements = StatementCounter(app)
        started = time.perf_counter()
        with statements:
            for case_id, _child, parent in case_rows[warmup:]:
                run_safeshare_episode(app, people, case_id, parent)
        elapsed = time.perf_counter() - started
        cpu = statements.cpu_seconds
        with app.db.read() as s:
            sizes = [
                len(state.encode())
                for state in s.scalars(select(ProcessInstance.state_json).where(ProcessInstance.status == "completed"))
            ]
            count = s.scalar(select(func.count()).select_from(ProcessInstance)) or 0
        return {
            "episodes": episodes,
            "seconds": round(elapsed, 3),
            "episodes_per_second": round(episodes / elapsed, 2),
            "sql_statements_per_episode": round(statements.count / episodes, 1),
            "python_cpu_ms_per_episode": round(1000 * cpu / episodes, 2),
            "instances": count,
            "state_bytes_per_finished_instance": {
                "mean": round(sum(sizes) / len(sizes)),
                "max": max(sizes),
            },
        }
    finally:
        app.close()


class StatementCounter:
    """Counts SQL statements sent and this process's CPU time while active: figures that, unlike wall
    time, do not move when other work shares the machine."""

    def __init__(self, app: App) -> None:
        self.engine = app.db.engine
        self.count = 0
        self.cpu_seconds = 0.0
        self._cpu0 = 0.0

    def _on_execute(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        self._cpu0 = time.process_time()
        return self

    def __exit__(self, *_: Any) -> None:
        self.cpu_seconds = time.process_time() - self._cpu0
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


# -- bare SpiffWorkflow -----------------------------------------------------------------


class _ConstantServices(PythonScriptEngine):
    """Service tasks do nothing and return 1 (bare has no records to write); a deadline is a time far ahead,
    so the timers it sets (the competence advice's, R4) wait as ours do and never fire."""

    def call_service(self, task: Any = None, operation_name: str = "", **kwargs: Any) -> str:  # type: ignore[override]
        if operation_name == "compute_deadline":
            return json.dumps("2999-01-01T00:00:00+00:00")
        return json.dumps(1)


def bare_throughput(episodes: int, warmup: int = 3) -> dict[str, Any]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_files([str(p) for p in sorted(BPMN_DIR.glob("*.dmn"))])  # what the registry parses, too
    parser.add_bpmn_files([str(p) for p in sorted(BPMN_DIR.glob("*.bpmn"))])
    spec = parser.get_spec("consent_seeking")
    subs = parser.get_subprocess_specs("consent_seeking")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    script_engine = _ConstantServices()
    sizes: list[int] = []

    def one(n: int) -> None:
        start = {
            "case_id": n, "episode_id": n, "child_person_id": 2 * n, "child_age": 12, "child_competent": None,
            "pr_holder_ids": [2 * n + 1], "practitioner_user_id": 1, "fresh_consent_reason": None,
        }
        workflow = BpmnWorkflow(spec, subs, script_engine=script_engine)
        workflow.data.update(start)
        first = workflow.get_next_task(state=TaskState.READY)
        assert first is not None
        first.data.update(start)
        workflow.do_engine_steps()
        saved = serializer.serialize_json(workflow)
        for form in (JUDGE, ADVISE, seek_form(2 * n + 1)):
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update(form)
            task.run()
            workflow.do_engine_steps()
            saved = serializer.serialize_json(workflow)
        assert workflow.is_completed()
        sizes.append(len(saved.encode()))

    for n in range(warmup):
        one(n)
    sizes.clear()
    started, cpu0 = time.perf_counter(), time.process_time()
    for n in range(episodes):
        one(n + warmup)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
    return {
        "episodes": episodes,
        "seconds": round(elapsed, 3),
        "episodes_per_second": round(episodes / elapsed, 2),
        "python_cpu_ms_per_episode": round(1000 * cpu / episodes, 2),
        "state_bytes_per_finished_instance": {"mean": round(sum(sizes) / len(sizes)), "max": max(sizes)},
    }
