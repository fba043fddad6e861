"""The in-memory shortcut for loading instances (workflows/live_cache.py) never stands in for a stored state
it does not exactly match: not after a failed step, not after another process moved the instance."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.config import BPMN_DIR
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import ConsentRecord, ProcessInstance
from tasks.automated import HANDLERS
from tests.builders import EXPLAINED, Scenario
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry


def consent_form(person_id: int) -> dict[str, Any]:
    return {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": person_id,
        "recipients": [{"agency": "CAMHS"}],
    }


def test_consecutive_steps_reuse_the_live_workflow(scenario: Scenario, app: App) -> None:
    case_id, _ = scenario.open_case(13)
    instance = scenario.start_episode(case_id)
    hits = app.engine.live.hits
    judged = {"child_competent": True, "competence_reasons": "Clear grasp of sharing"}
    scenario.complete(instance, "judge_competence", "pat", judged)
    assert app.engine.live.hits == hits + 1


def test_a_refused_step_leaves_nothing_half_done_in_memory(scenario: Scenario, app: App) -> None:
    """The handler refuses (R2) after SpiffWorkflow already moved the in-memory workflow on: the rollback
    must also drop that object, so the next attempt starts from the stored state and succeeds."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    with pytest.raises(DomainRuleError, match="R2"):
        scenario.complete(instance, "seek_consent", "pat", consent_form(ids["parent1"]))
    assert len(app.engine.live) == 0  # taken out for the step, not put back after the rollback
    row = scenario.complete(instance, "seek_consent", "pat", consent_form(ids["child"]))
    assert (row.status, row.outcome) == ("completed", "consent_given")
    with app.db.read() as s:
        assert len(s.scalars(select(ConsentRecord)).all()) == 1


def test_a_step_taken_by_another_process_is_never_missed(scenario: Scenario, app: App) -> None:
    """Process B (its own engine and cache) completes a task on an instance process A has cached:
    A's next step must run from the state B stored, not A's stale copy."""
    case_id, ids = scenario.open_case(13)
    instance = scenario.start_episode(case_id)
    judged = {"child_competent": False, "competence_reasons": "Too young to weigh it up"}
    scenario.complete(instance, "judge_competence", "pat", judged)
    assert len(app.engine.live) == 1  # process A holds the instance after judging competence

    models = ModelRegistry(BPMN_DIR)
    other = App(app.settings, app.db, models, WorkflowEngine(models, HANDLERS), app.clock)
    scenario.app = other
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )

    scenario.app = app  # back in process A: its cached copy still waits on the manager's advice
    misses = app.engine.live.misses
    row = scenario.complete(instance, "seek_consent", "pat", consent_form(ids["parent1"]))
    assert app.engine.live.misses == misses + 1
    assert (row.status, row.outcome) == ("completed", "consent_given")


def test_the_cache_is_bounded(scenario: Scenario, app: App) -> None:
    app.engine.live.capacity = 2
    for _ in range(4):
        case_id, _ = scenario.open_case(16)
        scenario.start_episode(case_id)
    assert len(app.engine.live) == 2
    with app.db.read() as s:
        assert len(s.scalars(select(ProcessInstance)).all()) == 4
