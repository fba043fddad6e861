"""R4: a manager who does not agree with the practitioner's judgement of a child's understanding sends it
back: the practitioner reconsiders it, and either judges again (the manager is asked again) or stands by
it with reasons (the judgement is theirs, informed by advice). The advice has a deadline, reminded and
escalated by the test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.core.errors import FormValidationError, PermissionDeniedError
from safeshare.core.records import ConsentRecord, WaitingTimer
from safeshare.services import consent
from tests.builders import EXPLAINED, Scenario
from tests.test_referral import _notes
from workflows.timer_sweep import sweep_due_timers


def test_r4_a_manager_who_disagrees_sends_the_judgement_back_to_the_practitioner(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "She explained it back in her own words"},
    )
    scenario.complete(
        instance,
        "advise_on_competence",
        "max",
        {
            "manager_agrees_competence": False,
            "competence_advice": "She is 12 and was upset at the visit: check again on a calmer day",
        },
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["reconsider_competence"]  # back to them
    scenario.complete(instance, "reconsider_competence", "pat", {"competence_response": "change"})
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": False, "competence_reasons": "On a second visit she could not say why"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["advise_on_competence"]  # asked again
    scenario.complete(
        instance,
        "advise_on_competence",
        "max",
        {"manager_agrees_competence": True, "competence_advice": "Agreed after the second visit"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["parent1"],
            "recipients": [{"agency": "School nursing"}],
        },
    )
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
    assert record.consent_from == "person_with_pr"
    assert record.competence is not None
    assert (record.competence["child_competent"], record.competence["manager_agrees"]) == (False, True)


def _disagreed(scenario: Scenario) -> tuple[int, dict[str, int], int]:
    case_id, ids = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "She explained it back in her own words"},
    )
    scenario.complete(
        instance,
        "advise_on_competence",
        "max",
        {"manager_agrees_competence": False, "competence_advice": "She is 12: check again on a calmer day"},
    )
    return case_id, ids, instance


def test_r4_the_practitioner_may_stand_by_their_judgement_with_reasons(scenario: Scenario) -> None:
    case_id, ids, instance = _disagreed(scenario)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["reconsider_competence"]
    with pytest.raises(FormValidationError) as no_reasons:
        scenario.complete(instance, "reconsider_competence", "pat", {"competence_response": "stand_by"})
    assert "competence_stand_by_reasons" in no_reasons.value.field_errors
    with pytest.raises(PermissionDeniedError):  # the judgement is the practitioner's, not the adviser's
        scenario.complete(instance, "reconsider_competence", "max", {"competence_response": "change"})
    scenario.complete(
        instance,
        "reconsider_competence",
        "pat",
        {
            "competence_response": "stand_by",
            "competence_stand_by_reasons": "I saw her twice; she was calm and explained the choices both times",
        },
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]  # the loop ends
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "School nursing"}],
        },
    )
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
    assert record.consent_from == "child"  # consent sought on the practitioner's judgement
    assert record.competence == {
        "child_competent": True,
        "reasons": "She explained it back in her own words",
        "manager_agrees": False,
        "manager_advice": "She is 12: check again on a calmer day",
        "stood_by": True,
        "stand_by_reasons": "I saw her twice; she was calm and explained the choices both times",
    }
    with scenario.app.db.read() as s:
        user = scenario.user(s, "pat")
        words = [(step.who, step.what, step.why) for step in consent.competence_history(s, user, case_id)]
    assert words == [
        ("Pat Practitioner", "Judged that the child understands enough to decide for themselves",
         "She explained it back in her own words"),
        ("Max Manager", "Did not agree with the judgement", "She is 12: check again on a calmer day"),
        ("Pat Practitioner", "Stood by their judgement after the advice",
         "I saw her twice; she was calm and explained the choices both times"),
    ]


def test_r4_the_practitioner_may_change_their_judgement_and_advice_is_asked_again(scenario: Scenario) -> None:
    _, _, instance = _disagreed(scenario)
    scenario.complete(instance, "reconsider_competence", "pat", {"competence_response": "change"})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["judge_competence"]
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": False, "competence_reasons": "On a second visit she could not say why"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["advise_on_competence"]


def test_r4_advice_on_competence_has_a_deadline_reminded_then_escalated(scenario: Scenario) -> None:
    """Monday 09:00: advice due in two working days (Wednesday 09:00), reminded a working day before."""
    app = scenario.app
    case_id, _ = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"},
    )
    task = scenario.task(instance, "advise_on_competence")
    assert task.due_at == app.clock.now() + timedelta(days=2)
    app.clock.advance(timedelta(hours=23))
    assert sweep_due_timers(app).fired == []
    app.clock.advance(timedelta(hours=1, minutes=1))  # Tuesday 09:01: a working day before
    assert len(sweep_due_timers(app).fired) == 1
    title = "Advise on competence judgement"
    assert _notes(scenario, "task_reminder") == [("max", title), ("sue", title)]
    app.clock.advance(timedelta(days=1))  # Wednesday 09:01: the deadline passed
    assert len(sweep_due_timers(app).fired) == 1
    assert _notes(scenario, "deadline_missed") == [("pat", title), ("sue", title)]
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["advise_on_competence"]  # still open
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    with app.db.read() as s:
        waiting = select(WaitingTimer).where(WaitingTimer.instance_id == instance, WaitingTimer.fired_at.is_(None))
        assert s.scalars(waiting).all() == []
