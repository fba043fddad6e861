"""P10 Requests between agencies, inbound (R46, issue 13 item 6), through the task service: a request
names its purpose, lawful basis and deadline; an answer given is a disclosure on the register after every
check a share makes (R6, R10, R21); a declined request keeps its reason; the deadline is reminded and
escalated by the test clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safeshare.core.errors import DomainRuleError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AgencyRequest, Disclosure
from safeshare.services import referrals
from tests.builders import Scenario
from tests.test_disclosure import consent_given
from tests.test_referral import _notes
from workflows.timer_sweep import sweep_due_timers

ASK: dict[str, Any] = {
    "agency": "School nursing",
    "contact": "Oakfield school nurse",
    "purpose": "To plan a health assessment before the review meeting",
    "lawful_basis": "Consent held by us; Children Act 2004 section 11",
    "asked": "Attendance and any health concerns this term",
    "due": "2026-11-25",  # Wednesday: due at 17:00 UTC
}


def ask(scenario: Scenario, case_id: int, who: str = "pat", **changes: str) -> int:
    with scenario.app.transaction() as s:
        return referrals.start_agency_request(scenario.app, s, scenario.user(s, who), case_id, **{**ASK, **changes}).id


def answer(scenario: Scenario, instance: int, **changes: Any) -> None:
    now = scenario.app.clock.now().replace(tzinfo=None).isoformat(timespec="minutes")
    scenario.complete(
        instance,
        "answer_request",
        "pat",
        {
            "answer_decision": "answer",
            "answer_basis": "consent",
            "answer_text": "Attendance 71% this term",
            "answer_kind": "fact",
            "answer_information_kind": "education",
            "answer_purpose_kind": "plan_support",
            "answer_method": "secure_email",
            "answered_at": now,
            **changes,
        },
    )


def the_request(scenario: Scenario) -> AgencyRequest:
    with scenario.app.db.read() as s:
        (row,) = s.scalars(select(AgencyRequest))
        return row


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"purpose": ""}, "what the information is needed for"),
        ({"lawful_basis": " "}, "lawful basis"),
        ({"due": ""}, "deadline"),
        ({"due": "2026-11-20"}, "today or later"),
        ({"agency": ""}, "agency that is asking"),
    ],
)
def test_r46_a_request_names_its_purpose_lawful_basis_and_deadline(
    scenario: Scenario, changes: dict[str, str], words: str
) -> None:
    case_id, _ = scenario.open_case(12)
    with pytest.raises(DomainRuleError, match=words):
        ask(scenario, case_id, **changes)
    with scenario.app.db.read() as s:
        assert s.scalars(select(AgencyRequest)).all() == []


def test_r46_r21_an_answer_given_is_a_disclosure_on_the_register(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance = ask(scenario, case_id)
    request = the_request(scenario)
    assert request.due_at.isoformat() == "2026-11-25T17:00:00+00:00"
    assert scenario.task(instance, "answer_request").due_at == request.due_at
    with pytest.raises(DomainRuleError, match="no recorded decision to share without consent"):
        answer(scenario, instance, answer_basis="decision", recipient_told_consent_status=True)
    scenario.app.clock.advance(timedelta(hours=3))
    answer(scenario, instance)
    request = the_request(scenario)
    with scenario.app.db.read() as s:
        disclosure = s.get(Disclosure, request.disclosure_id)
        assert disclosure is not None
        assert (disclosure.basis, disclosure.recipient_agency, disclosure.recipient_contact, disclosure.method) == (
            "consent",
            "School nursing",
            "Oakfield school nurse",
            "secure_email",
        )
        assert disclosure.purpose == f"Answer to a request: {ASK['purpose']}"
        assert [(i.content, i.kind) for i in disclosure.items] == [("Attendance 71% this term", "fact")]
    assert request.outcome == "answered" and request.answered_at == scenario.app.clock.now()
    assert scenario.instance(instance).status == "completed"


def test_r46_r6_an_answer_to_an_agency_the_consent_does_not_name_is_refused(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance = ask(scenario, case_id, agency="Housing", contact="Sam at housing options")
    with pytest.raises(DomainRuleError, match="does not name Housing"):
        answer(scenario, instance)
    assert the_request(scenario).outcome is None  # nothing half-written
    scenario.complete(
        instance,
        "answer_request",
        "pat",
        {
            "answer_decision": "decline",
            "decline_reason": "The consent does not cover housing; told them so",
            "answered_at": scenario.app.clock.now().isoformat(),
        },
    )
    request = the_request(scenario)
    assert (request.outcome, request.disclosure_id) == ("declined", None)
    with scenario.app.db.read() as s:
        assert s.scalars(select(Disclosure)).all() == []


def test_r46_the_deadline_is_reminded_then_escalated_to_the_managers(scenario: Scenario) -> None:
    app = scenario.app
    case_id, _ = scenario.open_case(12)
    instance = ask(scenario, case_id)  # Monday 09:00, due Wednesday 17:00: reminder halfway, Tuesday 13:00
    app.clock.advance(timedelta(hours=29))
    assert len(sweep_due_timers(app).fired) == 1
    title = "Answer the request from another agency"
    assert _notes(scenario, "task_reminder") == [("pat", title)]
    app.clock.advance(timedelta(days=1, hours=4))  # Wednesday 18:00
    assert len(sweep_due_timers(app).fired) == 1
    assert _notes(scenario, "deadline_missed") == [("max", title), ("pat", title), ("sue", title)]
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["answer_request"]


def test_r46_only_the_case_team_practitioners_record_requests(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(12)
    with pytest.raises(PermissionDeniedError):
        ask(scenario, case_id, who="max")
    with pytest.raises(NotFoundError):
        ask(scenario, case_id, who="olu")
