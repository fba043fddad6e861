"""Property-based tests (Hypothesis) of the engine's invariants under random sequences of attempts.

Each example opens a fresh case, starts a consent episode and then tries a random list
of completions: the right or wrong task, by the right or wrong person, with valid,
subtly invalid or arbitrary form data, on open, already-completed or unknown tasks.
After every attempt:

* a refused attempt raised a :class:`SafeshareError` and changed nothing at all;
* an accepted one wrote exactly one ``completed_task`` row, by someone holding the task's role,
  and completing the same task again is refused ("already completed") with nothing written;
* the projections always match the stored workflow once deserialized: ``open_task`` rows are
  exactly its ready human tasks (id, step, role), ``waiting_timer`` rows its waiting timers, and the
  instance's status says completed exactly when the workflow is;
* the audit hash chain verifies.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.audit import verify_chain
from safeshare.core.errors import ConflictError, SafeshareError
from safeshare.core.records import (
    AuditEvent,
    CompletedTask,
    ConsentRecord,
    Document,
    Notification,
    OpenTask,
    ProcessInstance,
    User,
    WaitingTimer,
)
from tasks import service
from tests.builders import EXPLAINED, Scenario
from workflows.engine import task_role, timer_due_at

PEOPLE = ["pat", "pip", "max", "sue", "olu", "mo", "priya", "alex"]
SPECS = ["judge_competence", "advise_on_competence", "seek_consent"]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=30))
junk = st.dictionaries(
    st.sampled_from(["child_competent", "competence_reasons", "consent_outcome", "recipients", "x", ""]) | st.text(),
    st.recursive(
        json_scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    ),
    max_size=5,
)


def valid_form(spec: str, draw: st.DrawFn) -> dict[str, Any]:
    if spec == "judge_competence":
        return {"child_competent": draw(st.booleans()), "competence_reasons": "Talked it through at length"}
    if spec == "advise_on_competence":
        return {"manager_agrees_competence": draw(st.booleans()), "competence_advice": "Agreed with reasons"}
    outcome = draw(st.sampled_from(["given", "refused", "given_with_restrictions", "not_sought"]))
    if outcome == "not_sought":
        return {"consent_outcome": "not_sought", "not_sought_reason": "Would put the child at risk now",
                "not_sought_ground": draw(st.sampled_from(["immediate_risk", "crime", "nonsense"]))}
    form: dict[str, Any] = {**EXPLAINED, "understanding_confirmed": True, "consent_outcome": outcome,
                            "consenting_person_id": draw(st.sampled_from(["child", "child", "parent1", "bogus"]))}
    if outcome.startswith("given"):
        form["recipients"] = [{"agency": "School nursing"}]
    if outcome == "given_with_restrictions":
        form["restrictions"] = ["Not to the school"]
    return form


@st.composite
def forms(draw: st.DrawFn, spec: str) -> dict[str, Any]:
    """A form for ``spec`` (or for another step): valid, nearly valid (one thing wrong), or arbitrary JSON."""
    kind = draw(st.integers(0, 9))  # 0-7: this step's form (7: with one thing wrong), 8: another step's, 9: junk
    if kind == 9:
        return draw(junk)
    form = valid_form(spec if kind <= 7 else draw(st.sampled_from(SPECS)), draw)
    if kind == 7:
        key = draw(st.sampled_from(sorted(form)))
        if draw(st.booleans()):
            del form[key]
        else:
            form[key] = draw(json_scalars)
    return form


# Who tries: usually the person whose job the step is, sometimes anyone at all.
RIGHT_PERSON = {"practitioner": "pat", "manager": "max", "senior_manager": "sue"}
TARGETS = ["any_open"] * 6 + ["spec", "completed", "unknown"]  # mostly an open task, sometimes a stale one
attempt = st.tuples(
    st.sampled_from(TARGETS).flatmap(lambda t: st.sampled_from(SPECS) if t == "spec" else st.just(t)),
    st.integers(0, 9).flatmap(lambda n: st.just("right") if n < 6 else st.sampled_from(PEOPLE)),
    st.data(),
)
attempts = st.lists(attempt, min_size=2, max_size=8)


# -- reading the database -------------------------------------------------------------------------


def snapshot(app: App, instance_id: int) -> dict[str, Any]:
    """Everything an attempt on this instance could change."""
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance_id)
        assert row is not None
        counts = {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in
                  (AuditEvent, CompletedTask, ConsentRecord, Document, Notification, WaitingTimer)}
        open_rows = sorted(s.execute(select(OpenTask.task_id, OpenTask.assignee_id, OpenTask.due_at)
                                     .where(OpenTask.instance_id == instance_id)).all())
        return {"counts": counts, "open": open_rows, "version": row.version, "status": row.status,
                "state": hashlib.sha256(row.state_json.encode()).hexdigest()}


def assert_projections_match(app: App, instance_id: int) -> None:
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance_id)
        assert row is not None
        workflow = app.engine.load(s, row)
        ready = {(str(t.id), t.task_spec.bpmn_id, task_role(t)) for t in app.engine.ready_user_tasks(workflow)}
        projected = set(s.execute(select(OpenTask.task_id, OpenTask.task_spec, OpenTask.role)
                                  .where(OpenTask.instance_id == instance_id)).all())
        assert projected == ready
        waiting = {(str(t.id), timer_due_at(t)) for t in workflow.get_tasks(state=TaskState.WAITING)
                   if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)}
        timers = set(s.execute(select(WaitingTimer.task_id, WaitingTimer.due_at)
                               .where(WaitingTimer.instance_id == instance_id, WaitingTimer.fired_at.is_(None))).all())
        assert timers == waiting
        assert (row.status == "completed") == workflow.is_completed()
        if workflow.is_completed():
            assert projected == set() and row.completed_at is not None


def pick_task(app: App, instance_id: int, target: str) -> str:
    with app.db.read() as s:
        if target == "unknown":
            return str(uuid.uuid4())
        if target == "completed":
            done = s.scalar(select(CompletedTask.task_id).where(CompletedTask.instance_id == instance_id).limit(1))
            return done or str(uuid.uuid4())
        query = select(OpenTask.task_id).where(OpenTask.instance_id == instance_id).order_by(OpenTask.task_id)
        if target != "any_open":
            query = query.where(OpenTask.task_spec == target)
        return s.scalar(query.limit(1)) or str(uuid.uuid4())


def resolve(form: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    person = form.get("consenting_person_id")
    if isinstance(person, str) and person in ("child", "parent1"):
        return {**form, "consenting_person_id": ids[person]}
    if person == "bogus":
        return {**form, "consenting_person_id": 999_999}
    return form


# -- the property ----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(age=st.sampled_from([12, 15, 16]), steps=attempts)
def test_random_completions_keep_every_invariant(scenario: Scenario, age: int, steps: list[Any]) -> None:
    app = scenario.app
    case_id, ids = scenario.open_case(age)
    instance_id = scenario.start_episode(case_id)
    assert_projections_match(app, instance_id)
    for target, chosen, data in steps:
        task_id = pick_task(app, instance_id, target)
        with app.db.read() as s:
            open_row = s.get(OpenTask, task_id)
        spec = open_row.task_spec if open_row else data.draw(st.sampled_from(SPECS))
        who = RIGHT_PERSON.get(open_row.role if open_row else "", "pat") if chosen == "right" else chosen
        form = resolve(data.draw(forms(spec)), ids)
        before = snapshot(app, instance_id)
        try:
            with app.transaction() as s:
                actor = scenario.user(s, who)
                service.complete_task(app, s, actor, task_id, form)
        except SafeshareError as refused:
            event(f"refused: {type(refused).__name__}")
            assert snapshot(app, instance_id) == before, f"refused ({refused}) but something changed"
        else:
            event(f"accepted: {open_row.task_spec if open_row else '?'}")
            assert open_row is not None, "completed a task that was not open"
            with app.db.read() as s:
                acting = s.get(User, scenario.users[who])
                assert acting is not None
                assert open_row.role in {r.value for r in acting.roles}
                assert open_row.assignee_id in (None, acting.id)
                assert s.scalar(select(func.count()).select_from(CompletedTask)
                                .where(CompletedTask.task_id == task_id)) == 1
            after = snapshot(app, instance_id)
            assert after["counts"]["CompletedTask"] == before["counts"]["CompletedTask"] + 1
            assert after["version"] > before["version"]
            # A task completes once: the same completion again is refused and writes nothing.
            with pytest.raises(ConflictError, match="already completed"), app.transaction() as s:
                service.complete_task(app, s, scenario.user(s, who), task_id, form)
            assert snapshot(app, instance_id) == after
        assert_projections_match(app, instance_id)
    with app.db.read() as s:
        assert verify_chain(s).ok


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=junk)
def test_arbitrary_form_data_is_refused_with_nothing_written(scenario: Scenario, form: dict[str, Any]) -> None:
    """Any JSON that is not a valid judgement is refused cleanly (never a crash, never a half write)."""
    app = scenario.app
    case_id, _ = scenario.open_case(12)
    instance_id = scenario.start_episode(case_id)
    task_id = pick_task(app, instance_id, "judge_competence")
    before = snapshot(app, instance_id)
    valid = isinstance(form.get("child_competent"), bool) and isinstance(form.get("competence_reasons"), str) and len(
        form["competence_reasons"]) >= 10 and set(form) == {"child_competent", "competence_reasons"}
    try:
        with app.transaction() as s:
            service.complete_task(app, s, scenario.user(s, "pat"), task_id, form)
    except SafeshareError:
        assert not valid and snapshot(app, instance_id) == before
    else:
        assert valid
    assert_projections_match(app, instance_id)

