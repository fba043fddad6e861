"""P10 Requests between agencies, outbound (R46, issue 13 item 6): we ask another agency about a child; the
process waits at a receive task for the BPMN message ``agency_answer``; recording their answer delivers it
to the one instance waiting under the request's reference (SpiffWorkflow's message correlation); an answer
for an unknown or closed request is refused with a clear error; the deadline is reminded and escalated by
the test clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safeshare.core.errors import ConflictError, FormValidationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AgencyRequest, AuditEvent, OpenTask, WaitingTimer
from safeshare.services import referrals
from tests.builders import Scenario
from tests.test_agency_request import ASK
from tests.test_referral import _notes
from workflows.timer_sweep import sweep_due_timers

TITLE = "Get the answer to our request from another agency"


def send(scenario: Scenario, case_id: int, who: str = "pat", **changes: str) -> int:
    with scenario.app.transaction() as s:
        user = scenario.user(s, who)
        return referrals.start_agency_request(
            scenario.app, s, user, case_id, direction="outbound", **{**ASK, **changes}
        ).id


def the_request(scenario: Scenario, instance: int) -> AgencyRequest:
    with scenario.app.db.read() as s:
        row = s.scalars(select(AgencyRequest).where(AgencyRequest.instance_id == instance)).one()
        s.expunge(row)
        return row


def record_answer(scenario: Scenario, reference: str, who: str = "pip", **changes: Any) -> AgencyRequest:
    answer: dict[str, Any] = {
        "outcome": "answered",
        "text": "Attended 71% this term; seen by the school nurse twice",
        "answered_by": "Jo Patel, Oakfield school nurse",
        **changes,
    }
    with scenario.app.transaction() as s:
        return referrals.record_agency_answer(scenario.app, s, scenario.user(s, who), reference, **answer)


def test_r46_a_request_we_send_waits_for_its_answer_under_its_reference(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(12)
    instance = send(scenario, case_id)
    request = the_request(scenario, instance)
    assert request.direction == "outbound" and request.reference and request.reference.startswith("REQ-")
    assert scenario.open_tasks(instance) == []  # nobody has a task: the process waits for a message
    with scenario.app.db.read() as s:
        waiting = s.scalars(select(WaitingTimer).where(WaitingTimer.instance_id == instance))
        timers = sorted(t.event_name for t in waiting)
    assert timers == ["Deadline passed", "Reminder time"]
    assert scenario.instance(instance).status == "waiting"


def test_r46_the_answer_is_delivered_to_the_right_request_by_its_reference(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(12)
    first = send(scenario, case_id)
    second = send(scenario, case_id, agency="Housing", contact="Sam at housing options")
    scenario.app.clock.advance(timedelta(hours=2))
    reference = the_request(scenario, second).reference
    assert reference is not None
    record_answer(scenario, reference.lower(), text="No housing record for the family", answered_by="Sam")
    answered, waiting = the_request(scenario, second), the_request(scenario, first)
    assert (answered.outcome, answered.answer_text, answered.answered_by) == (
        "answered",
        "No housing record for the family",
        "Sam",
    )
    assert answered.answered_at == scenario.app.clock.now()
    assert answered.answer_recorded_by_id == scenario.users["pip"]
    assert scenario.instance(second).status == "completed" and scenario.instance(second).outcome == "answer_received"
    assert waiting.outcome is None and scenario.instance(first).status == "waiting"
    with scenario.app.db.read() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "agency_request_answer_received"))
        assert event.summary == f"Housing answered our request (reference {reference})"


def test_r46_the_engine_refuses_a_message_whose_correlation_does_not_match(scenario: Scenario) -> None:
    """SpiffWorkflow's correlation, not only our lookup: a message quoting another reference is not caught."""
    case_id, _ = scenario.open_case(12)
    instance = send(scenario, case_id)
    app = scenario.app
    with app.transaction() as s:
        row = scenario.instance(instance)
        row = s.merge(row)
        with pytest.raises(ConflictError, match="not waiting for that message"):
            app.engine.deliver_message(
                s, app.clock, row, "agency_answer", {"reference": "REQ-00000000", "outcome": "answered"}, None
            )
    assert the_request(scenario, instance).outcome is None
    assert scenario.instance(instance).status == "waiting"


def test_r46_an_answer_for_an_unknown_or_closed_request_is_refused(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(12)
    instance = send(scenario, case_id)
    reference = the_request(scenario, instance).reference
    assert reference is not None
    with pytest.raises(NotFoundError, match="no request we sent with the reference REQ-NOPE"):
        record_answer(scenario, "REQ-NOPE")
    with pytest.raises(NotFoundError):  # another team cannot even learn that the reference exists
        record_answer(scenario, reference, who="olu")
    with pytest.raises(PermissionDeniedError):
        record_answer(scenario, reference, who="max")
    with pytest.raises(FormValidationError) as bad:
        record_answer(scenario, reference, text="", answered_by=" ")
    assert set(bad.value.field_errors) == {"text", "answered_by"}
    assert the_request(scenario, instance).outcome is None
    record_answer(scenario, reference, outcome="declined", text="They need the parents' consent first")
    assert the_request(scenario, instance).outcome == "declined"
    with pytest.raises(ConflictError, match="already declined"):
        record_answer(scenario, reference)
    # a request whose process was cancelled is closed too
    other = send(scenario, case_id, agency="Housing")
    other_reference = the_request(scenario, other).reference
    assert other_reference is not None
    with scenario.app.transaction() as s:
        row = s.merge(scenario.instance(other))
        scenario.app.engine.cancel(s, scenario.app.clock, row, "cancelled")
    with pytest.raises(ConflictError, match="is closed"):
        record_answer(scenario, other_reference)


def test_r46_no_answer_by_the_deadline_is_reminded_then_escalated(scenario: Scenario) -> None:
    app = scenario.app
    case_id, _ = scenario.open_case(12)
    instance = send(scenario, case_id)  # Monday 09:00, due Wednesday 17:00: reminder halfway, Tuesday 13:00
    app.clock.advance(timedelta(hours=29))
    assert len(sweep_due_timers(app).fired) == 1
    assert _notes(scenario, "task_reminder") == [("pat", TITLE)]
    app.clock.advance(timedelta(days=1, hours=4))  # Wednesday 18:00
    assert len(sweep_due_timers(app).fired) == 1
    assert _notes(scenario, "deadline_missed") == [("max", TITLE), ("pat", TITLE), ("sue", TITLE)]
    assert scenario.instance(instance).status == "waiting"  # still waiting for the answer
    reference = the_request(scenario, instance).reference
    assert reference is not None
    record_answer(scenario, reference)
    with app.db.read() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "agency_request_answer_received"))
        assert event.summary.endswith("after the deadline")
        assert s.scalars(select(OpenTask).where(OpenTask.instance_id == instance)).all() == []
