"""Manager consultation (P3) and sharing without consent (P2) through the real engine and task service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rules.sharing import decided_by_the_practitioner, in_doubt_consults, lawful_basis_for_sharing_without_consent
from safeshare.core.errors import DomainRuleError, FormValidationError, PermissionDeniedError
from safeshare.core.records import (
    AuditEvent,
    ConsentRecord,
    Disclosure,
    ManagerAdvice,
    Notification,
    ProcessInstance,
    ShareDecision,
    WaitingTimer,
)
from safeshare.services import chronology, sharing
from tasks.automated.sharing import _share_outcome
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

WEIGHED = {
    "if_shared": "The school nurse can check on him and the family may feel let down",
    "if_not_shared": "Further injuries may go unnoticed for weeks",
    "proportionate": True,
}
DECISION = {
    "in_doubt": False,
    "practitioner_decision": "share",
    "weighing": WEIGHED,
    "share_recipients": [{"agency": "School nursing", "contact": "Oakfield school nurse"}],
    "what_to_share": "Bruising seen on the child's arms on two visits",
    "share_information": ["concerns_about_harm", "health"],
    "share_purposes": ["protect_from_harm"],
    "decision_reasons": "Unexplained injuries to a 14-year-old: a concern about significant harm",
}
IN_DOUBT = {
    "in_doubt": True,
    "urgency": "urgent",
    "question": "Is the risk of harm enough to share against the refusal?",
    "decision_reasons": "Unexplained injuries, but the family are engaging well",
}
COURT_ORDER = {
    "kind": "court_order",
    "reference": "ZW26C00412",
    "court": "Family Court at Leeds",
    "made_on": "2026-11-20",
}
MADE_AT = "2026-11-23T09:00"  # the test clock's start: not after now, not before the decision
DISCLOSED = {
    "made_at": MADE_AT,
    "recipient_agency": "School nursing",
    "recipient_contact": "Oakfield school nurse",
    "disclosure_method": "secure_email",
    "disclosure_purpose": "So the school nurse can check on the child",
    "disclosure_purpose_kind": "protect_from_harm",
    "disclosed_items": [
        {"content": "Bruising seen on both arms on 20 and 23 November", "kind": "fact",
         "information_kind": "concerns_about_harm"},
        {"content": "The bruising looks like grip marks", "kind": "opinion", "information_kind": "concerns_about_harm"},
    ],
    "recipient_told_consent_status": True,
}
NOT_SOUGHT = {
    "not_sought_ground": "immediate_risk_to_child",
    "not_sought_reason": "Asking the father would put the child at risk",
}


def start_p2(scenario: Scenario, case_id: int, **reason: str) -> int:
    """P2 started on its own, with the reason consent is not being sought (consent is the first option)."""
    with scenario.app.transaction() as s:
        return sharing.start_share_without_consent(
            scenario.app, s, scenario.user(s, "pat"), case_id, **(reason or NOT_SOUGHT)
        ).id


def decision(scenario: Scenario) -> ShareDecision:
    with scenario.app.db.read() as s:
        return s.scalars(select(ShareDecision)).one()


def form_errors(scenario: Scenario, instance: int, spec: str, who: str, data: dict[str, object]) -> dict[str, str]:
    """The field errors a form is refused with; nothing is written."""
    before = count(scenario, AuditEvent)
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(instance, spec, who, data)
    assert count(scenario, AuditEvent) == before
    return refused.value.field_errors


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


def test_r12_refusal_then_share_on_a_ground_and_disclosure_recorded(scenario: Scenario) -> None:
    """R12, R10: a refusal does not stop a share where the child may be harmed; P2 runs inside consent seeking."""
    case_id, instance = refuse_consent(scenario)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["harm_to_child"]})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "consent_refused")
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.consent_status) == ("share", ["harm_to_child"], "refused")
    assert made.recipients == DECISION["share_recipients"] and made.consent_record_id is not None
    with scenario.app.db.read() as s:
        register = s.scalars(select(Disclosure)).one()
        assert (register.basis, register.share_decision_id) == ("without_consent", made.id)
        assert register.grounds == ["harm_to_child"]
        assert register.recipient_told_consent_status is True  # R22
        assert [(i.kind, i.position) for i in register.items] == [("fact", 1), ("opinion", 2)]  # R20


def test_r11_a_share_with_no_ground_and_no_public_interest_judgement_is_refused(scenario: Scenario) -> None:
    """R11: "none is possible with neither": the form asks for a judgement when no ground is chosen, and the
    decision step refuses it again; nothing is decided or shared."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    errors = form_errors(scenario, instance, "decide_grounds", "pat", {**DECISION, "grounds": []})
    assert errors == {"public_interest": "Complete “Public-interest judgement”"}
    assert lawful_basis_for_sharing_without_consent([], None, WEIGHED)[0].field == "grounds"
    assert count(scenario, ShareDecision) == 0 and count(scenario, Disclosure) == 0
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_grounds"]


def test_r11_a_decision_recorded_as_blocked_before_the_end_was_removed_still_reads_in_words(
    scenario: Scenario,
) -> None:
    """The process no longer has a 'share blocked' end (the form refuses a share with no basis before the decision
    table is reached), and the step that records a decision refuses that route; decisions recorded as blocked
    before still read in words on the case's line of time, never as a code."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    with scenario.app.transaction() as s:
        s.add(
            ShareDecision(
                case_id=case_id, instance_id=instance, consent_status="not_sought", outcome="blocked",
                reasons="No reason to share applied", decided_by_id=scenario.users["pat"],
                decided_at=scenario.app.clock.now(),
            )
        )
    with scenario.app.db.read() as s:
        _, found = chronology.entries(s, scenario.user(s, "pat"), case_id)
    assert [(e.kind, e.details) for e in found if "blocked" in e.kind] == [
        ("Share blocked: no lawful basis", "No reason to share applied")
    ]
    with pytest.raises(DomainRuleError, match="could not be worked out from your answers"):
        _share_outcome({"share_route": "blocked"})


def test_r11_proportionality_and_the_risk_of_not_sharing_are_asked_even_with_a_ground(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    with_ground = {**DECISION, "grounds": ["harm_to_child"]}
    unweighed = {k: v for k, v in with_ground.items() if k != "weighing"}
    unweighed_errors = form_errors(scenario, instance, "decide_grounds", "pat", unweighed)
    assert unweighed_errors == {"weighing": "Complete “Weighing it up”"}
    out_of_proportion = {**with_ground, "weighing": {**WEIGHED, "proportionate": False}}
    errors = form_errors(scenario, instance, "decide_grounds", "pat", out_of_proportion)
    assert errors["weighing"].startswith("Information can be shared without consent only if sharing is in proportion")
    scenario.complete(instance, "decide_grounds", "pat", with_ground)
    made = decision(scenario)
    assert (made.outcome, made.weighing) == ("share", WEIGHED)
    assert made.weighing is not None and made.weighing["if_not_shared"] == WEIGHED["if_not_shared"]


def test_r11_public_interest_judgement_supports_a_share(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    judgement = {
        "interests": ["protect_from_harm", "promote_welfare"],
        "judgement": "Sharing two facts with the school nurse is proportionate to the risk",
    }
    errors = form_errors(
        scenario, instance, "decide_grounds", "pat", {**DECISION, "public_interest": {"judgement": "Too short"}}
    )
    assert set(errors) == {"public_interest.interests", "public_interest.judgement"}
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "public_interest": judgement})
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert scenario.instance(instance).outcome == "shared_without_consent"
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.public_interest, made.weighing) == ("share", [], judgement, WEIGHED)


def test_r14_a_court_order_is_named_by_reference_court_and_date(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    statutory = {**DECISION, "grounds": ["statutory_duty_or_court_order"]}
    assert form_errors(scenario, instance, "decide_grounds", "pat", statutory) == {
        "legal_basis": "Complete “The statutory duty or court order”"
    }
    vague = {**statutory, "legal_basis": {"kind": "court_order", "reference": "ZW26C00412"}}
    assert set(form_errors(scenario, instance, "decide_grounds", "pat", vague)) == {
        "legal_basis.court",
        "legal_basis.made_on",
    }
    future = {**statutory, "legal_basis": {**COURT_ORDER, "made_on": "2026-12-25"}}
    errors = form_errors(scenario, instance, "decide_grounds", "pat", future)
    assert errors == {"legal_basis": "The date of the order must be today or in the past"}
    scenario.complete(instance, "decide_grounds", "pat", {**statutory, "legal_basis": COURT_ORDER})
    made = decision(scenario)
    assert (made.outcome, made.legal_basis) == ("must_share", COURT_ORDER)


def test_r14_the_person_is_told_before_the_share_under_a_court_order(scenario: Scenario) -> None:
    """R14: the person is told what will be shared, why and with whom before the disclosure, not after;
    a disclosure on the decision is refused until that is recorded."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["statutory_duty_or_court_order"], "legal_basis": COURT_ORDER},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["inform_individual"]  # before the share
    made = decision(scenario)
    with scenario.app.transaction() as s:  # another route to the register: refused until the person is told
        other = sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id, share_decision_id=made.id)
    with pytest.raises(DomainRuleError, match=r"Tell the person what will be shared, why and with whom .*\(R14\)"):
        scenario.complete(other.id, "enter_disclosure", "pat", DISCLOSED)
    assert count(scenario, Disclosure) == 0
    scenario.complete(
        instance, "inform_individual", "pat", {"inform_outcome": "told", "inform_note": "Told his mother by phone"}
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "shared_under_duty")
    made = decision(scenario)
    assert made.informed_outcome == "told" and made.informed_recorded_at is not None


def test_r14_r15_not_told_because_it_would_prejudice_a_crime_investigation(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["statutory_duty_or_court_order"], "legal_basis": COURT_ORDER},
    )
    errors = form_errors(
        scenario, instance, "inform_individual", "pat", {"inform_outcome": "not_told_crime_investigation"}
    )
    assert set(errors) == {"inform_note"}
    scenario.complete(
        instance,
        "inform_individual",
        "pat",
        {"inform_outcome": "not_told_crime_investigation", "inform_note": "Police advise it would alert the suspect"},
    )
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "shared_under_duty")
    made = decision(scenario)
    assert (made.outcome, made.informed_outcome) == ("must_share", "not_told_crime_investigation")
    assert made.informed_note == "Police advise it would alert the suspect"


def test_r13_in_doubt_a_manager_is_consulted_even_under_a_court_order(scenario: Scenario) -> None:
    """R13: "in doubt" always consults: a statutory duty does not skip the manager's advice."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**IN_DOUBT, "grounds": ["statutory_duty_or_court_order"], "legal_basis": COURT_ORDER},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["give_advice"]
    assert count(scenario, ShareDecision) == 0  # nothing decided while in doubt
    assert in_doubt_consults(True)[0].rule_id == "R13"


def test_r22_the_practitioner_decides_after_the_managers_advice(scenario: Scenario) -> None:
    """R22: the manager advises, the practitioner decides; the decision is credited to the practitioner."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**IN_DOUBT, "grounds": ["harm_to_child"]})
    scenario.complete(instance, "give_advice", "max", ADVICE)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_grounds"]  # back to the practitioner
    assert scenario.task(instance, "decide_grounds").role == "practitioner"
    with pytest.raises(PermissionDeniedError):  # the manager cannot take the decision
        scenario.complete(instance, "decide_grounds", "max", {**DECISION, "grounds": ["harm_to_child"]})
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["harm_to_child"]})
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert scenario.instance(instance).outcome == "shared_without_consent"
    made = decision(scenario)
    with scenario.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
    assert (made.decided_by_id, advice.advised_by_id) == (scenario.users["pat"], scenario.users["max"])
    assert (made.outcome, made.manager_advice_id) == ("share", advice.id)
    assert decided_by_the_practitioner({"manager"}, scenario.users["max"], scenario.users["max"])


@pytest.mark.parametrize(
    ("choice", "end"), [("do_not_share", "not_shared"), ("seek_consent_first", "seek_consent_first")]
)
def test_r22_the_practitioner_may_decide_not_to_share_after_advice(scenario: Scenario, choice: str, end: str) -> None:
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**IN_DOUBT, "grounds": ["harm_to_child"]})
    scenario.complete(
        instance, "give_advice", "max", {"advice_decision": "do_not_share", "advice_reasons": "Talk to the family"}
    )
    row = scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {"in_doubt": False, "practitioner_decision": choice, "decision_reasons": "As advised: talk to the family"},
    )
    assert (row.status, row.outcome) == ("completed", end)
    made = decision(scenario)
    assert (made.outcome, made.decided_by_id, made.recipients) == (end, scenario.users["pat"], [])
    assert count(scenario, Disclosure) == 0


def test_r1_no_decision_without_consent_sought_or_a_reason_for_not_seeking_it(scenario: Scenario) -> None:
    """R1: consent is the first option: P2 does not start on a case where consent was never sought and no
    reason is given; R15: the reason (a crime investigation) can be given from the share decision itself."""
    case_id, _ = scenario.open_case(14)
    before = (count(scenario, AuditEvent), count(scenario, ProcessInstance))
    not_first = pytest.raises(DomainRuleError, match=r"Seek consent first, or say why consent is not .*\(R1\)")
    with not_first, scenario.app.transaction() as s:
        sharing.start_share_without_consent(scenario.app, s, scenario.user(s, "pat"), case_id)
    with pytest.raises(DomainRuleError, match=r"R15"), scenario.app.transaction() as s:
        sharing.start_share_without_consent(
            scenario.app, s, scenario.user(s, "pat"), case_id, not_sought_reason="Police are investigating"
        )
    assert (count(scenario, AuditEvent), count(scenario, ProcessInstance)) == before
    instance = start_p2(
        scenario,
        case_id,
        not_sought_ground="crime_investigation",
        not_sought_reason="Police advise that asking the father would alert him",
    )
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["crime_undetected"]})
    made = decision(scenario)
    assert (made.consent_status, made.not_sought_ground) == ("not_sought", "crime_investigation")
    assert made.not_sought_reason == "Police advise that asking the father would alert him"


def test_r1_a_decision_starts_once_consent_was_sought(scenario: Scenario) -> None:
    case_id, _ = refuse_consent(scenario)
    with scenario.app.transaction() as s:
        instance = sharing.start_share_without_consent(scenario.app, s, scenario.user(s, "pat"), case_id)
    assert scenario.task(instance.id, "decide_grounds").role == "practitioner"


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
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["crime_committed"]})
    before = count(scenario, AuditEvent)
    with pytest.raises(DomainRuleError, match=r"does not cover Housing .*\(R19\)"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_agency": "Housing"})
    with pytest.raises(DomainRuleError, match=r"R22"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_told_consent_status": False})
    assert count(scenario, Disclosure) == 0 and count(scenario, AuditEvent) == before
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]


def test_r21_when_and_by_whom_the_disclosure_was_made_are_entered(scenario: Scenario) -> None:
    """R21: when it was made is entered (not after now, not before the decision), who made it is a member of
    staff (by default the recorder), and the receiving person and agency are required."""
    case_id, _ = scenario.open_case(14)
    scenario.app.clock.advance(timedelta(hours=2))  # the decision at 11:00
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["harm_to_child"]})
    refused = [
        ({**DISCLOSED, "made_at": "2026-11-23T12:00"}, "must be now or in the past"),
        ({**DISCLOSED, "made_at": "2026-11-23T10:30"}, "cannot have been shared before the decision"),
        ({**DISCLOSED, "made_at": "2026-11-23T11:00", "made_by_user_id": scenario.users["olu"]}, "a member of staff"),
    ]
    for data, message in refused:
        with pytest.raises(DomainRuleError, match=message):
            scenario.complete(instance, "enter_disclosure", "pat", data)
    no_person = {k: v for k, v in DISCLOSED.items() if k != "recipient_contact"}
    assert form_errors(scenario, instance, "enter_disclosure", "pat", no_person) == {
        "recipient_contact": "Answer “Who received it?”"
    }
    assert count(scenario, Disclosure) == 0
    scenario.app.clock.advance(timedelta(hours=3))  # recorded at 14:00, shared by Pip at 11:30
    scenario.complete(
        instance,
        "enter_disclosure",
        "pat",
        {**DISCLOSED, "made_at": "2026-11-23T11:30", "made_by_user_id": scenario.users["pip"]},
    )
    with scenario.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
    assert entry.made_at == datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    assert (entry.made_by_id, entry.recorded_by_id) == (scenario.users["pip"], scenario.users["pat"])
    assert entry.recorded_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert entry.recipient_contact == "Oakfield school nurse"


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
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["crime_undetected"]})
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "consent_not_sought")
    made = decision(scenario)
    assert (made.outcome, made.grounds, made.consent_status) == ("share", ["crime_undetected"], "not_sought")


def test_r18_seek_consent_first_goes_back_to_consent_seeking(scenario: Scenario) -> None:
    """R1, R18, R22: the manager advises seeking consent first; the practitioner follows it and consent seeking
    starts again (it used to end with "Seek consent first" and the episode had no consent and no decision to
    share); this time the young person consents and the episode ends with consent recorded."""
    case_id, instance = refuse_consent(scenario)
    scenario.complete(instance, "decide_grounds", "pat", {**IN_DOUBT, "grounds": ["harm_to_child"]})
    scenario.complete(
        instance,
        "give_advice",
        "max",
        {"advice_decision": "seek_consent_first", "advice_reasons": "Explain the concern to him again first"},
    )
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {"in_doubt": False, "practitioner_decision": "seek_consent_first", "decision_reasons": "As advised"},
    )
    assert scenario.instance(instance).status != "completed"
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    assert decision(scenario).outcome == "seek_consent_first"
    with scenario.app.db.read() as s:
        child = s.scalars(select(ConsentRecord.consenting_person_id)).first()
    row = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": child,
            "recipients": [{"agency": "School nursing"}],
        },
    )
    assert (row.status, row.outcome) == ("completed", "consent_given")
    with scenario.app.db.read() as s:
        records = [(r.outcome, r.status) for r in s.scalars(select(ConsentRecord).order_by(ConsentRecord.id))]
    assert records == [("refused", "superseded"), ("given", "active")]


def test_r14_the_person_is_told_within_a_deadline_and_a_missed_one_is_not_silent(scenario: Scenario) -> None:
    """R14, R17: telling the person before a share the law requires has a deadline (a working day by default):
    the task shows it, and when it passes the practitioner and the team's managers are told while the task
    stays open and the share still waits for it."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(
        instance,
        "decide_grounds",
        "pat",
        {**DECISION, "grounds": ["statutory_duty_or_court_order"], "legal_basis": COURT_ORDER},
    )
    task = scenario.task(instance, "inform_individual")
    assert task.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Monday 09:00 plus one working day
    scenario.app.clock.advance(timedelta(days=1, minutes=1))
    fire_timers(scenario, instance)
    assert notices(scenario, "deadline_missed") == ["Max Manager", "Pat Practitioner", "Sue Senior"]
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["inform_individual"]
    assert count(scenario, Disclosure) == 0
    scenario.complete(instance, "inform_individual", "pat", {"inform_outcome": "told", "inform_note": "By phone"})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]
