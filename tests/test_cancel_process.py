"""Cancelling a process no longer needed (issue 12): by its owner or a manager of the case's team, with a
reason; its open tasks close, its timers stop, the trail says who and why, and a refusal writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from safeshare.core.errors import ConflictError, FormValidationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent, OpenTask, ProcessInstance, WaitingTimer
from safeshare.services import sharing
from safeshare.services.cancellation import cancel_process, cancellations, may_cancel
from tests.builders import Scenario
from tests.test_disclosure import consent_given, start_p4

REASON = "The school refused to take the information"


def _counts(scenario: Scenario) -> tuple[int, int, int]:
    with scenario.app.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(OpenTask)) or 0,
            s.scalar(select(func.count()).select_from(WaitingTimer).where(WaitingTimer.fired_at.is_(None))) or 0,
        )


def _cancel(scenario: Scenario, who: str, instance_id: int, reason: str | None = REASON) -> ProcessInstance:
    with scenario.app.transaction() as s:
        return cancel_process(scenario.app, s, scenario.user(s, who), instance_id, reason)


def _consultation(scenario: Scenario, case_id: int) -> int:
    with scenario.app.transaction() as s:
        return sharing.start_manager_consultation(
            scenario.app, s, scenario.user(s, "pat"), case_id, urgency="standard", question="May I tell the school?"
        ).id


def test_a_refused_share_no_longer_leaves_record_the_disclosure_open_for_good(scenario: Scenario) -> None:
    """The dead end: the recipient refused, so "Record the disclosure" can never be done. Its owner cancels it."""
    case_id = consent_given(scenario)
    instance_id = start_p4(scenario, case_id)
    assert [t.title for t in scenario.open_tasks(instance_id)] == ["Record the disclosure"]
    row = _cancel(scenario, "pat", instance_id)
    assert (row.status, row.outcome) == ("completed", "cancelled")
    assert scenario.open_tasks(instance_id) == []
    with scenario.app.db.read() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)))
        found = cancellations(events)[instance_id]
        assert (found.by, found.reason) == ("Pat Practitioner", REASON)
        assert events[-1].summary == f"Disclosure record cancelled by Pat Practitioner: {REASON}"


def test_a_manager_of_the_team_cancels_and_the_timers_stop(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(10)
    instance_id = _consultation(scenario, case_id)
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(WaitingTimer).where(WaitingTimer.instance_id == instance_id))
    _cancel(scenario, "max", instance_id, "  Advice no longer needed: family moved  ")
    with scenario.app.db.read() as s:
        assert not s.scalars(select(WaitingTimer).where(WaitingTimer.instance_id == instance_id)).all()
        assert not s.scalars(select(OpenTask).where(OpenTask.instance_id == instance_id)).all()
        event = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "process_cancelled")).one()
        assert event.detail["reason"] == "Advice no longer needed: family moved"


@pytest.mark.parametrize(
    ("who", "error", "message"),
    [
        ("olu", NotFoundError, "No process"),  # another team's practitioner: the case does not exist for them
        ("mo", NotFoundError, "No process"),  # another team's manager
        ("pip", PermissionDeniedError, "Only the practitioner who started it or a manager"),  # same team, not owner
        ("priya", NotFoundError, "No process"),
        ("alex", NotFoundError, "No process"),
    ],
)
def test_who_may_not_cancel_is_refused_and_nothing_is_written(
    scenario: Scenario, who: str, error: type[Exception], message: str
) -> None:
    case_id = consent_given(scenario)
    instance_id = start_p4(scenario, case_id)
    before = _counts(scenario)
    with pytest.raises(error, match=message):
        _cancel(scenario, who, instance_id)
    assert _counts(scenario) == before
    assert scenario.instance(instance_id).status == "waiting"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (None, "Enter the reason for cancelling"),
        ("   ", "Enter the reason for cancelling"),
        ("Not now", "at least 10 characters"),
        ("x" * 1001, "1000 characters or fewer"),
    ],
)
def test_the_reason_is_required(scenario: Scenario, reason: str | None, message: str) -> None:
    case_id = consent_given(scenario)
    instance_id = start_p4(scenario, case_id)
    before = _counts(scenario)
    with pytest.raises(FormValidationError, match=message):
        _cancel(scenario, "pat", instance_id, reason)
    assert _counts(scenario) == before


def test_a_finished_process_cannot_be_cancelled_again(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance_id = start_p4(scenario, case_id)
    _cancel(scenario, "pat", instance_id)
    with pytest.raises(ConflictError, match="already finished"):
        _cancel(scenario, "pat", instance_id)


def test_the_rule_in_one_place_answers_the_page_too(scenario: Scenario) -> None:
    """The case opener may cancel a process a colleague started; a colleague may not cancel the opener's."""
    case_id = consent_given(scenario)  # opened and consent sought by pat
    with scenario.app.transaction() as s:
        started_by_pip = sharing.start_disclosure(scenario.app, s, scenario.user(s, "pip"), case_id).id
    with scenario.app.db.read() as s:
        row = s.get(ProcessInstance, started_by_pip)
        assert row is not None and row.case is not None
        assert may_cancel(scenario.user(s, "pat"), row.case, row)  # opened the case
        assert may_cancel(scenario.user(s, "pip"), row.case, row)  # started it
        assert may_cancel(scenario.user(s, "sue"), row.case, row)  # senior manager of the team
        assert not may_cancel(scenario.user(s, "olu"), row.case, row)
        assert not may_cancel(scenario.user(s, "mo"), row.case, row)
