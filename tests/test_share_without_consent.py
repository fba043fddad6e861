"""Manager consultation (P3) and sharing without consent (P2) through the real engine and task service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safeshare.errors import DomainRuleError, FormValidationError
from safeshare.records import (
    AuditEvent,
    Disclosure,
    ManagerAdvice,
    Notification,
    ProcessInstance,
    ShareDecision,
    WaitingTimer,
)
from safeshare.services import sharing
from tests.builders import EXPLAINED, Scenario

ADVICE = {"advice_decision": "share", "advice_reasons": "Risk of significant harm outweighs the refusal"}


def count(scenario: Scenario, model: type) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def start_consultation(scenario: Scenario, case_id: int, urgency: str = "urgent") -> int:
    with scenario.app.transaction() as s:
        user = scenario.user(s, "pat")
        return sharing.start_manager_consultation(
            scenario.app, s, user, case_id, urgency=urgency, question="May I tell the school nurse about the bruises?"
        ).id


def fire_timers(scenario: Scenario, instance_id: int) -> None:
    with scenario.app.transaction() as s:
        row = s.get(ProcessInstance, instance_id)
        assert row is not None
        scenario.app.engine.fire_due_timers(s, scenario.app.clock, row)


def notices(scenario: Scenario, template: str) -> list[str]:
    """Names of the people sent an in-app message of ``template``."""
    with scenario.app.db.read() as s:
        rows = s.scalars(
            select(Notification).where(Notification.template == template, Notification.channel == "in_app")
        )
        return sorted(n.context["recipient"]["name"] for n in rows)


def test_r18_manager_advice_answered_in_time_is_recorded(scenario: Scenario) -> None:
    """R16, R18: the manager's task is due by the urgency's deadline; the advice and reasons are recorded."""
    case_id, _ = scenario.open_case(14)
    instance = start_consultation(scenario, case_id)
    task = scenario.task(instance, "give_advice")
    assert task.role == "manager" and task.due_at is not None  # R16: due by the urgency's deadline
    assert task.due_at == scenario.app.clock.now() + timedelta(days=1)  # urgent: one working day (a Monday)
    row = scenario.complete(instance, "give_advice", "max", ADVICE)
    assert (row.status, row.outcome) == ("completed", "advice_recorded")
    with scenario.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
        assert (advice.decision, advice.escalated, advice.within_deadline) == ("share", False, True)
        assert advice.reasons == ADVICE["advice_reasons"] and advice.case_id == case_id
        assert advice.advised_by_id == scenario.users["max"] and advice.advised_role == "manager"
        assert s.scalar(select(func.count()).select_from(WaitingTimer).where(WaitingTimer.fired_at.is_(None))) == 0
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "manager_advice_recorded")).one()
    assert notices(scenario, "task_reminder") == []


def test_r17_reminder_then_escalation_then_senior_advice(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_consultation(scenario, case_id, urgency="immediate_risk")  # 2 hours, reminder at 1 hour
    scenario.app.clock.advance(timedelta(minutes=61))
    fire_timers(scenario, instance)
    assert notices(scenario, "task_reminder") == ["Max Manager", "Sue Senior"]  # both hold the manager role
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["give_advice"]  # a reminder leaves it open
    scenario.app.clock.advance(timedelta(minutes=60))
    fire_timers(scenario, instance)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["give_escalated_advice"]
    assert scenario.task(instance, "give_escalated_advice").role == "senior_manager"
    assert notices(scenario, "consultation_escalated") == ["Pat Practitioner", "Sue Senior"]  # told (R17)
    row = scenario.complete(instance, "give_escalated_advice", "sue", ADVICE)
    assert row.outcome == "advice_recorded"
    with scenario.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
        assert (advice.escalated, advice.within_deadline, advice.advised_role) == (True, True, "senior_manager")


def test_r17_a_late_senior_manager_is_chased_again_and_nothing_waits_silently(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_consultation(scenario, case_id, urgency="immediate_risk")
    scenario.app.clock.advance(timedelta(hours=2, minutes=1))
    fire_timers(scenario, instance)
    first_due = scenario.task(instance, "give_escalated_advice").due_at
    scenario.app.clock.advance(timedelta(minutes=31))  # halfway through the senior manager's hour: a reminder
    fire_timers(scenario, instance)
    assert notices(scenario, "task_reminder") == ["Sue Senior"]
    scenario.app.clock.advance(timedelta(minutes=30))  # the senior manager's hour passes too
    fire_timers(scenario, instance)
    task = scenario.task(instance, "give_escalated_advice")
    assert first_due is not None and task.due_at is not None and task.due_at > first_due  # reissued, fresh deadline
    assert notices(scenario, "consultation_escalated").count("Pat Practitioner") == 2
    assert scenario.instance(instance).status == "waiting"


def test_r18_a_manager_cannot_record_advice_without_reasons(scenario: Scenario) -> None:
    """R18: no advice without reasons; R16: no consultation without a known urgency (so no deadline)."""
    case_id, _ = scenario.open_case(14)
    instance = start_consultation(scenario, case_id)
    before = count(scenario, AuditEvent)
    with pytest.raises(FormValidationError, match="advice_reasons"):
        scenario.complete(instance, "give_advice", "max", {"advice_decision": "share"})
    assert count(scenario, ManagerAdvice) == 0 and count(scenario, AuditEvent) == before
    with pytest.raises(DomainRuleError, match="R16"), scenario.app.transaction() as s:
        sharing.start_manager_consultation(
            scenario.app, s, scenario.user(s, "pat"), case_id, urgency="whenever", question="A long question"
        )


# ---------------------------------------------------------------- P2 sharing without consent

DECISION = {
    "share_recipients": [{"agency": "School nursing", "contact": "Oakfield school nurse"}],
    "what_to_share": "Bruising seen on the child's arms on two visits",
    "decision_reasons": "Unexplained injuries to a 14-year-old: a concern about significant harm",
    "in_doubt": False,
}
DISCLOSED = {
    "recipient_agency": "School nursing",
    "recipient_contact": "Oakfield school nurse",
    "disclosure_method": "secure_email",
    "disclosure_purpose": "So the school nurse can check on the child",
    "disclosed_items": [
        {"content": "Bruising seen on both arms on 20 and 23 November", "kind": "fact"},
        {"content": "The bruising looks like grip marks", "kind": "opinion"},
    ],
    "recipient_told_consent_status": True,
}


def start_p2(scenario: Scenario, case_id: int) -> int:
    with scenario.app.transaction() as s:
        return sharing.start_share_without_consent(scenario.app, s, scenario.user(s, "pat"), case_id).id


def decision(scenario: Scenario) -> ShareDecision:
    with scenario.app.db.read() as s:
        return s.scalars(select(ShareDecision)).one()


def refuse_consent(scenario: Scenario) -> tuple[int, int]:
    """A competent 15-year-old refuses consent; returns (case id, consent-seeking instance id)."""
    case_id, ids = scenario.open_case(15)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "Explained it all back clearly"},
    )
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "refused",
            "consenting_person_id": ids["child"],
        },
    )
    return case_id, instance


def test_r12_refusal_then_share_on_ground_a_and_disclosure_recorded(scenario: Scenario) -> None:
    """R12, R10: a refusal does not stop a share where the child may be harmed; P2 runs inside consent seeking."""
    case_id, instance = refuse_consent(scenario)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["a"]})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "consent_refused")
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.consent_status) == ("share", ["a"], "refused")
    assert made.recipients == DECISION["share_recipients"] and made.consent_record_id is not None
    with scenario.app.db.read() as s:
        register = s.scalars(select(Disclosure)).one()
        assert (register.basis, register.share_decision_id, register.grounds) == ("without_consent", made.id, ["a"])
        assert register.recipient_told_consent_status is True  # R22
        assert [(i.kind, i.position) for i in register.items] == [("fact", 1), ("opinion", 2)]  # R20


def test_r13_in_doubt_a_manager_is_consulted_then_the_share_goes_ahead(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["a"], "in_doubt": True, "urgency": "urgent", "question": "Is ground (a) enough here?"},
    )
    assert scenario.task(instance, "give_advice").role == "manager"  # the call activity's task (P3)
    scenario.complete(instance, "give_advice", "max", ADVICE)
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    row = scenario.instance(instance)
    assert (row.status, row.outcome) == ("completed", "shared_without_consent")
    made = decision(scenario)
    with scenario.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
    assert (made.outcome, made.manager_advice_id, advice.case_id) == ("share", advice.id, case_id)


@pytest.mark.parametrize(
    ("advice", "end"), [("do_not_share", "not_shared_on_advice"), ("seek_consent_first", "seek_consent_first")]
)
def test_r18_the_managers_advice_not_to_share_ends_the_process(scenario: Scenario, advice: str, end: str) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["a"], "in_doubt": True, "urgency": "standard", "question": "Should I share this?"},
    )
    row = scenario.complete(
        instance, "give_advice", "max", {"advice_decision": advice, "advice_reasons": "Talk to the family first"}
    )
    assert (row.status, row.outcome) == ("completed", end)
    made = decision(scenario)
    assert made.outcome == end and "Talk to the family first" in made.reasons and made.recipients == []
    assert count(scenario, Disclosure) == 0


def test_r14_r15_court_order_must_share_and_informing_withheld_for_an_investigation(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["g"], "in_doubt": True, "urgency": "urgent", "question": "Must I really share this?"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]  # no consultation (R14)
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    with pytest.raises(FormValidationError, match="inform_note"):
        scenario.complete(instance, "inform_individual", "pat", {"inform_outcome": "not_informed_crime_prejudice"})
    row = scenario.complete(
        instance,
        "inform_individual",
        "pat",
        {"inform_outcome": "not_informed_crime_prejudice", "inform_note": "Police advise it would alert the suspect"},
    )
    assert (row.status, row.outcome) == ("completed", "shared_under_duty")
    made = decision(scenario)
    assert (made.outcome, made.informed_outcome) == ("must_share", "not_informed_crime_prejudice")
    assert made.informed_note == "Police advise it would alert the suspect"


def test_r11_public_interest_judgement_supports_a_share(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    judgement = {
        "if_shared": "The school can watch for further injuries",
        "if_not_shared": "Further harm may go unnoticed for weeks",
        "proportionate": True,
        "judgement": "Sharing two facts with the school nurse is proportionate to the risk",
    }
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": [], "public_interest": judgement})
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert scenario.instance(instance).outcome == "shared_without_consent"
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.public_interest) == ("share", [], judgement)


def test_r10_no_ground_and_no_public_interest_case_blocks_the_share(scenario: Scenario) -> None:
    """R10, R11: share without a ground: blocked, and the reason is recorded; nothing is disclosed."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    row = scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": []})
    assert (row.status, row.outcome) == ("completed", "share_blocked")
    made = decision(scenario)
    assert made.outcome == "blocked" and "no ground" in made.reasons.lower() and made.recipients == []
    assert count(scenario, Disclosure) == 0
    # ... and the blocked decision cannot be used to disclose (R10): refused, nothing written.
    before = count(scenario, AuditEvent)
    with pytest.raises(DomainRuleError, match=r"does not allow sharing \(R10\)"), scenario.app.transaction() as s:
        sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id, share_decision_id=made.id)
    assert count(scenario, AuditEvent) == before and count(scenario, Disclosure) == 0


def test_r10_disclosure_without_consent_or_decision_is_refused(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    before = (count(scenario, AuditEvent), count(scenario, ProcessInstance))
    refused = pytest.raises(DomainRuleError, match="no active consent and no recorded decision")
    with refused, scenario.app.transaction() as s:
        sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id)
    assert (count(scenario, AuditEvent), count(scenario, ProcessInstance)) == before


def test_r19_r22_a_share_without_consent_only_to_covered_recipients_who_are_told(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["c"]})
    before = count(scenario, AuditEvent)
    with pytest.raises(DomainRuleError, match=r"does not cover Housing .*\(R19\)"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_agency": "Housing"})
    with pytest.raises(DomainRuleError, match=r"R22"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_told_consent_status": False})
    assert count(scenario, Disclosure) == 0 and count(scenario, AuditEvent) == before
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]


def test_r15_consent_not_sought_then_the_share_decision_ends_consent_seeking(scenario: Scenario) -> None:
    """R15, R10: consent not sought (crime investigation); P2 runs inside consent seeking, which then ends."""
    case_id, _ = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "consent_outcome": "not_sought",
            "not_sought_ground": "crime_investigation",
            "not_sought_reason": "Police advise that asking would alert the suspect",
        },
    )
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["d"]})
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "consent_not_sought")
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.consent_status) == ("share", ["d"], "not_sought")
