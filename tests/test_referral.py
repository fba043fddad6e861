"""P9 Referral to children's social care (R41, issue 13 item 5), driven through the task service: the
immediate-risk route acts at once without a manager; a referral without consent is a share without
consent on the register; the team's acknowledgement and decision are due within one working day, with a
reminder and an escalation moved by the test clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safeshare.core.errors import DomainRuleError, FormValidationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent, Disclosure, Notification, OpenTask, Referral
from safeshare.services import referrals
from tests.builders import Scenario
from workflows.timer_sweep import sweep_due_timers

REFER: dict[str, Any] = {
    "referral_concern": "Bruising on both arms; the child says she is scared to go home",
    "receiving_team": "Northfield Children's Services front door",
    "receiving_contact": "Sam Lee, duty social worker",
    "referral_method": "phone",
    "referral_consent": "not_sought",
    "referral_consent_note": "Asking the parents could put the child at greater risk tonight",
    "team_told_consent_status": True,
}
ACT_NOW = {"police_called": True, "duty_team_told": True, "actions_taken": "Called 999 at 09:05; duty team told"}


def start(scenario: Scenario, case_id: int, *, immediate: bool = False, who: str = "pat") -> int:
    with scenario.app.transaction() as s:
        return referrals.start_referral(scenario.app, s, scenario.user(s, who), case_id, immediate_risk=immediate).id


def refer(scenario: Scenario, instance: int, **changes: Any) -> None:
    made = scenario.app.clock.now().replace(tzinfo=None).isoformat(timespec="minutes")
    scenario.complete(instance, "make_referral", "pat", {**REFER, "referral_made_at": made, **changes})


def the_referral(scenario: Scenario, case_id: int) -> Referral:
    with scenario.app.db.read() as s:
        (row,) = s.scalars(select(Referral).where(Referral.case_id == case_id))
        return row


def test_r41_immediate_risk_says_act_now_and_no_manager_is_asked_first(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(9)
    instance = start(scenario, case_id, immediate=True)
    (first,) = scenario.open_tasks(instance)
    assert (first.task_spec, first.role) == ("act_now", "practitioner")
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(instance, "act_now", "pat", {**ACT_NOW, "police_called": False, "duty_team_told": False})
    assert "call the police on 999 or tell the duty team" in str(refused.value.field_errors)
    scenario.complete(instance, "act_now", "pat", {**ACT_NOW, "duty_team_told": False})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["make_referral"]
    refer(scenario, instance)
    with scenario.app.db.read() as s:
        roles = set(s.scalars(select(OpenTask.role).where(OpenTask.instance_id == instance)))
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "referral_immediate_action"))
    assert roles == {"practitioner"}  # nobody waits on a manager
    assert event.summary == "Immediate risk: police called on 999"
    referral = the_referral(scenario, case_id)
    assert referral.immediate_risk and referral.immediate_actions == {
        "police_called": True,
        "duty_team_told": False,
        "actions_taken": ACT_NOW["actions_taken"],
    }


def test_r41_immediate_action_step_refuses_when_nobody_was_contacted(scenario: Scenario) -> None:
    """The automated step checks the rule again, so a route round the form is refused too (R41)."""
    from tasks.automated.referrals import record_immediate_action

    with pytest.raises(DomainRuleError, match=r"999.*\(R41\)"):
        record_immediate_action(
            _Ctx(scenario), {"police_called": False, "duty_team_told": False, "actions_taken": "Nothing yet at all"}
        )


class _Ctx:
    """Enough of a service context for a handler that refuses before it touches the database."""

    def __init__(self, scenario: Scenario) -> None:
        self.actor = object()
        self.case_id = 1


def test_r41_r22_a_referral_without_consent_is_a_share_without_consent_on_the_register(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(9)
    instance = start(scenario, case_id)
    (first,) = scenario.open_tasks(instance)
    assert first.task_spec == "make_referral"  # no immediate risk: straight to the referral
    with pytest.raises(FormValidationError) as refused:
        refer(scenario, instance, team_told_consent_status=False, referral_consent_note="")
    assert set(refused.value.field_errors) == {"team_told_consent_status", "referral_consent_note"}
    refer(scenario, instance)
    referral = the_referral(scenario, case_id)
    with scenario.app.db.read() as s:
        disclosure = s.get(Disclosure, referral.disclosure_id)
        assert disclosure is not None
        assert (disclosure.basis, disclosure.grounds, disclosure.recipient_told_consent_status) == (
            "without_consent",
            ["harm_to_child"],
            True,
        )
        assert disclosure.recipient_agency == REFER["receiving_team"]
        assert disclosure.recipient_contact == REFER["receiving_contact"]
        assert disclosure.made_at == scenario.app.clock.now()
        assert [i.content for i in disclosure.items] == [REFER["referral_concern"]]
        assert "consent not sought" in (disclosure.decision_summary or "")
    assert referral.consent_status == "not_sought" and referral.consent_note == REFER["referral_consent_note"]


def test_r41_consent_given_needs_a_consent_in_force(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(9)
    instance = start(scenario, case_id)
    with pytest.raises(DomainRuleError, match=r"no consent in force"):
        refer(scenario, instance, referral_consent="given")
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["make_referral"]  # nothing half-written
    with scenario.app.db.read() as s:
        assert s.scalars(select(Referral)).all() == [] and s.scalars(select(Disclosure)).all() == []


def test_r41_the_team_acknowledges_and_decides_within_one_working_day(scenario: Scenario) -> None:
    app = scenario.app
    case_id, _ = scenario.open_case(9)
    instance = start(scenario, case_id)
    refer(scenario, instance)
    made = app.clock.now()  # Monday 23 November 2026, 09:00
    ack = scenario.task(instance, "record_acknowledgement")
    assert ack.due_at == made + timedelta(days=1)  # one working day
    with pytest.raises(DomainRuleError, match=r"before the referral"):
        scenario.complete(
            instance,
            "record_acknowledgement",
            "pat",
            {"acknowledged_at": (made - timedelta(hours=1)).isoformat(), "acknowledged_by": "Sam Lee"},
        )
    with pytest.raises(DomainRuleError, match=r"now or in the past"):
        scenario.complete(
            instance,
            "record_acknowledgement",
            "pat",
            {"acknowledged_at": (made + timedelta(hours=1)).isoformat(), "acknowledged_by": "Sam Lee"},
        )
    app.clock.advance(timedelta(hours=2))
    scenario.complete(
        instance,
        "record_acknowledgement",
        "pat",
        {"acknowledged_at": app.clock.now().isoformat(), "acknowledged_by": "Sam Lee, duty"},
    )
    assert scenario.task(instance, "record_referral_decision").due_at == made + timedelta(days=1)
    row = scenario.complete(
        instance,
        "record_referral_decision",
        "pat",
        {
            "referral_decision": "strategy_discussion",
            "decided_at": app.clock.now().isoformat(),
            "decided_by": "Sam Lee, duty social worker",
            "decision_note": "Strategy discussion today at 14:00",
        },
    )
    assert row.status == "completed"
    referral = the_referral(scenario, case_id)
    assert (referral.acknowledged_by, referral.decision, referral.decision_by) == (
        "Sam Lee, duty",
        "strategy_discussion",
        "Sam Lee, duty social worker",
    )
    assert referral.response_due_at == made + timedelta(days=1)


def _notes(scenario: Scenario, template: str) -> list[tuple[str, str]]:
    names = {v: k for k, v in scenario.users.items()}
    with scenario.app.db.read() as s:
        rows = s.scalars(select(Notification).where(Notification.template == template, Notification.channel == "email"))
        return sorted((names[n.recipient_user_id], n.context["task_title"]) for n in rows)


def test_r41_no_acknowledgement_is_reminded_then_escalated_to_the_managers(scenario: Scenario) -> None:
    app = scenario.app
    case_id, _ = scenario.open_case(9)
    instance = start(scenario, case_id)
    refer(scenario, instance)
    app.clock.advance(timedelta(hours=13))  # past the halfway reminder (21:00), before the deadline
    assert len(sweep_due_timers(app).fired) == 1
    title = "Record that children's social care acknowledged the referral"
    assert _notes(scenario, "task_reminder") == [("pat", title)]
    assert _notes(scenario, "deadline_missed") == []
    app.clock.advance(timedelta(hours=12))  # Tuesday 10:00: the working day has passed
    assert len(sweep_due_timers(app).fired) == 1
    assert _notes(scenario, "deadline_missed") == [("max", title), ("pat", title), ("sue", title)]
    assert sorted(t.task_spec for t in scenario.open_tasks(instance)) == [
        "follow_up_acknowledgement",  # a manager's task to chase the team
        "record_acknowledgement",  # the practitioner's stays open
    ]
    assert scenario.task(instance, "follow_up_acknowledgement").role == "manager"
    scenario.complete(
        instance,
        "follow_up_acknowledgement",
        "max",
        {"follow_up_action": "Rang the front-door team manager; referral found, being screened now"},
    )
    assert [f["by"] for f in the_referral(scenario, case_id).follow_ups] == ["Max Manager"]
    scenario.complete(
        instance,
        "record_acknowledgement",
        "pat",
        {"acknowledged_at": app.clock.now().isoformat(), "acknowledged_by": "Sam Lee"},
    )
    with app.db.read() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "referral_acknowledged"))
    assert event.summary == "Referral acknowledged by Sam Lee (late)"
    sweep_due_timers(app)  # the decision is late too: the managers are told at once, the stale reminder is not sent
    assert ("pat", "Record children's social care's decision") not in _notes(scenario, "task_reminder")
    assert ("max", "Record children's social care's decision") in _notes(scenario, "deadline_missed")
    assert "follow_up_decision" in [t.task_spec for t in scenario.open_tasks(instance)]


def test_r41_only_the_case_team_practitioners_refer(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(9)
    with pytest.raises(PermissionDeniedError):
        start(scenario, case_id, who="max")
    with pytest.raises(NotFoundError):
        start(scenario, case_id, who="olu")
