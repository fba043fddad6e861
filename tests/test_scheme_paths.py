"""Every end of the police scheme processes (P6 to P8), reached through the task service: identity not verified
(re-arranged or closed with a letter), a refusal to sign and the police decision that follows, the recipient
chosen among the application's parties and verified, right to know's own route, the forum's record, and the
time limits as timers with a reminder and a task for the police supervisor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.core.errors import DomainRuleError, FormValidationError
from safeshare.core.records import AuditEvent, Document, Notification, ProcessInstance
from tasks import service
from tests.builders import Scenario
from tests.scheme_steps import (
    CHECKS,
    IDENTITY,
    MEETING,
    NO_DISCLOSURE,
    RISK,
    add_supervisor,
    application,
    link_case,
    start,
    to_decision,
)
from tests.test_csor import DECIDE as CSOR_DECIDE
from tests.test_dvds import DECIDE

NOT_VERIFIED = {"identity_verified": False, "meeting_notes": "She brought only a bank statement"}
UNSIGNED = {k: v for k, v in MEETING.items() if k not in ("information_disclosed", "support_offered")}


def docs(scenario: Scenario, kind: str) -> list[Document]:
    with scenario.app.db.read() as s:
        found = list(s.scalars(select(Document).where(Document.kind == kind).order_by(Document.id)))
        for d in found:
            s.expunge(d)
        return found


def words(html: str) -> str:
    return " ".join(html.split())


def fire_timers(scenario: Scenario, instance: int) -> None:
    with scenario.app.transaction() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        scenario.app.engine.fire_due_timers(s, scenario.app.clock, row)


def open_specs(scenario: Scenario, instance: int) -> list[str]:
    return sorted(t.task_spec for t in scenario.open_tasks(instance))


# ------------------------------------------------------------------ identity not verified: never a dead end


def test_r34_applicant_not_verified_the_meeting_is_rearranged_then_the_application_goes_on(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    scenario.complete(instance, "initial_checks", "priya", CHECKS)
    with pytest.raises(FormValidationError, match="next_step"):
        scenario.complete(instance, "face_to_face", "priya", NOT_VERIFIED)
    with pytest.raises(FormValidationError, match="rearranged_for"):
        scenario.complete(instance, "face_to_face", "priya", {**NOT_VERIFIED, "next_step": "rearrange"})
    scenario.complete(
        instance, "face_to_face", "priya", {**NOT_VERIFIED, "next_step": "rearrange", "rearranged_for": "Friday 10am"}
    )
    assert open_specs(scenario, instance) == ["face_to_face"]
    scenario.complete(instance, "face_to_face", "priya", IDENTITY)
    assert open_specs(scenario, instance) == ["full_risk_assessment"]
    record = application(scenario, app_id)
    assert record.identity_check["verified"] is True
    assert record.outcome_detail["unverified_meetings"][0]["rearranged_for"] == "Friday 10am"


def test_r34_r36_applicant_not_verified_the_application_is_closed_with_its_reason_and_a_letter(
    scenario: Scenario,
) -> None:
    app_id, instance = start(scenario, "csor")
    scenario.complete(instance, "initial_checks", "priya", CHECKS)
    reason = "You did not bring identity documents to two meetings, so we cannot go on with your request."
    with pytest.raises(FormValidationError, match="closure_reason"):
        scenario.complete(instance, "face_to_face", "priya", {**NOT_VERIFIED, "next_step": "close"})
    row = scenario.complete(
        instance, "face_to_face", "priya", {**NOT_VERIFIED, "next_step": "close", "closure_reason": reason}
    )
    assert (row.status, row.outcome) == ("completed", "closed_at_face_to_face")
    assert scenario.open_tasks(instance) == []
    record = application(scenario, app_id)
    assert (record.status, record.outcome) == ("closed", "closed")
    assert record.outcome_detail["closure"]["reason"] == reason
    (letter,) = docs(scenario, "scheme_closure_letter")
    text = words(letter.content_html)
    assert reason in text and "Sent by: mobile, texts only" in text and "NSPCC Helpline" in text


def test_r34_recipient_not_verified_at_the_disclosure_meeting_rearranged_then_closed(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    unverified = {"recipient_identity_verified": False, "next_step": "rearrange", "rearranged_for": "Monday"}
    scenario.complete(instance, "disclosure_meeting", "priya", unverified)
    assert open_specs(scenario, instance) == ["disclosure_meeting"]
    closing = {
        "recipient_identity_verified": False,
        "next_step": "close",
        "closure_reason": "We could not confirm who you are at two meetings.",
    }
    row = scenario.complete(instance, "disclosure_meeting", "priya", closing)
    assert row.outcome == "closed_at_disclosure_meeting"
    record = application(scenario, app_id)
    assert record.outcome == "closed" and len(record.outcome_detail["unverified_meetings"]) == 2
    assert docs(scenario, "dvds_disclosure_record") == [] and len(docs(scenario, "scheme_closure_letter")) == 1


# ------------------------------------------------------------------ R27: refusal to sign


def test_r27_a_refusal_to_sign_goes_to_its_own_police_decision_which_names_what_is_missing(scenario: Scenario) -> None:
    """The CSOR meeting used to answer "disclose anyway" without reasons with "no police decision is recorded"."""
    _, instance = start(scenario, "csor")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", CSOR_DECIDE)
    scenario.complete(instance, "disclosure_meeting", "priya", {**UNSIGNED, "undertaking_signed": False})
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(
            instance,
            "decide_unsigned",
            "priya",
            {"decision": "disclose_anyway", "information_disclosed": "x" * 10, "support_offered": "NSPCC leaflet"},
        )
    assert set(refused.value.field_errors) == {"reasons"}
    row = scenario.complete(
        instance,
        "decide_unsigned",
        "priya",
        {
            "decision": "disclose_anyway",
            "reasons": "The child lives with him; the mother must know today",
            "information_disclosed": "Conviction for an offence against a child (2015)",
            "support_offered": "NSPCC",
        },
    )
    assert row.outcome == "disclosure_made"
    (record,) = docs(scenario, "csor_disclosure_record")
    assert "Not signed. Police decided to disclose anyway" in words(record.content_html)


# ------------------------------------------------------------------ R34, R28, R37: the right person


def test_r34_r37_csor_disclosure_to_the_mother_who_did_not_apply_her_identity_verified(scenario: Scenario) -> None:
    app_id, instance = start(
        scenario,
        "csor",
        applicant={"name": "Rose Taylor", "relationship": "grandmother", "safe_contact": "landline after 6pm"},
    )
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", CSOR_DECIDE)
    (undertaking,) = docs(scenario, "confidentiality_undertaking")
    text = words(undertaking.content_html)
    assert "Jo Taylor" in text and "Rose Taylor" not in text and "Identity verified: Yes" not in text
    assert "Alex Reed" in text and "Lily Taylor" in text  # the subject and the purpose
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    record = application(scenario, app_id)
    meeting = record.outcome_detail["meeting"]
    assert meeting["recipient"]["name"] == "Jo Taylor" and meeting["recipient_identity"]["verified"] is True
    (disclosure,) = docs(scenario, "csor_disclosure_record")
    assert "<th>Made to</th><td>Jo Taylor (parent)</td>" in disclosure.content_html


def test_r28_a_friend_who_applied_receives_it_only_as_someone_able_to_safeguard_with_the_reason(
    scenario: Scenario,
) -> None:
    _, instance = start(
        scenario,
        "right_to_ask",
        applicant={"name": "Kim Lowe", "relationship": "friend", "safe_contact": "email"},
        person_at_risk={"name": "Sam Taylor", "safe_contact": "mobile, texts only"},
    )
    to_decision(scenario, instance)
    with pytest.raises(FormValidationError, match="able_to_safeguard"):
        scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "recipient": "applicant"})
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)  # the person at risk, by the record's name
    (undertaking,) = docs(scenario, "confidentiality_undertaking")
    assert "Sam Taylor" in undertaking.content_html and "Kim Lowe" not in undertaking.content_html


def test_r28_r29_the_agency_that_asked_cannot_receive_a_right_to_know_disclosure(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_know")
    to_decision(scenario, instance)
    with pytest.raises(DomainRuleError, match="agency that asked cannot receive"):
        scenario.complete(
            instance,
            "decide_disclosure",
            "priya",
            {**DECIDE, "recipient": "applicant", "able_to_safeguard": "They know her well"},
        )
    assert application(scenario, app_id).decision is None


# ------------------------------------------------------------------ R26: the undertaking before the meeting


def test_r26_the_undertaking_is_printed_before_the_meeting_ready_to_sign(scenario: Scenario) -> None:
    _, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    assert open_specs(scenario, instance) == ["disclosure_meeting"]
    (undertaking,) = docs(scenario, "confidentiality_undertaking")
    text = words(undertaking.content_html)
    assert "to be signed at the disclosure meeting" in text and "legal proceedings may follow" in text
    assert "Signed:" in text and "Date:" in text
    scenario.app.clock.advance(timedelta(days=2))
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    assert [d.id for d in docs(scenario, "confidentiality_undertaking")] == [undertaking.id]  # the paper signed


# ------------------------------------------------------------------ R29: right to know's own route and letter


def test_r29_r36_right_to_know_has_no_applicant_meeting_and_writes_to_the_person_at_risk(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_know")
    scenario.complete(instance, "initial_checks", "priya", CHECKS)
    assert open_specs(scenario, instance) == ["full_risk_assessment"]
    scenario.complete(
        instance,
        "full_risk_assessment",
        "priya",
        {**RISK, "relevant_convictions": False, "information_indicates_risk": False},
    )
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False})
    with pytest.raises(FormValidationError, match="agency_told"):
        scenario.complete(instance, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    told = {**NO_DISCLOSURE, "agency_told": "Rang the referring social worker on 20 December"}
    row = scenario.complete(instance, "communicate_no_disclosure", "priya", told)
    assert row.outcome == "no_disclosure"
    (letter,) = docs(scenario, "non_disclosure_letter")
    text = words(letter.content_html)
    assert "Dear Sam Taylor" in text and "Sent by: through her GP surgery only" in text
    assert "application" not in text.lower() and "Thank you for contacting us" not in text
    assert "This does not mean that there is no risk" in text
    assert application(scenario, app_id).outcome_detail["letter"]["agency_told"] == told["agency_told"]


# ------------------------------------------------------------------ R35: the forum


def test_r35_the_forum_attendees_are_recorded_and_the_decision_credited_to_the_forum(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    with pytest.raises(FormValidationError, match="attendees"):
        scenario.complete(
            instance,
            "decide_disclosure",
            "priya",
            {k: v for k, v in {**DECIDE, "forum": "marac"}.items() if k != "attendees"},
        )
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "forum": "marac"})
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    decision = application(scenario, app_id).decision
    assert decision["decided_by"] == "MARAC, meeting of 20 November 2026"
    (record,) = docs(scenario, "dvds_disclosure_record")
    text = words(record.content_html)
    assert "Decided by MARAC, meeting of 20 November 2026" in text.replace("</th><td>", " ").replace("<th>", "")
    assert "Jo Bright (IDVA service)" in text and "Decided by</th><td>Priya" not in text


# ------------------------------------------------------------------ R32, R33: timers, the supervisor


def test_r32_the_28_days_remind_police_staff_before_and_give_the_supervisor_a_task_at_the_deadline(
    scenario: Scenario,
) -> None:
    add_supervisor(scenario)
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.app.clock.advance(timedelta(days=21, hours=1))
    fire_timers(scenario, instance)
    with scenario.app.db.read() as s:
        reminders = s.scalars(select(Notification).where(Notification.template == "scheme_time_limit_reminder")).all()
        assert {n.context["recipient"]["name"] for n in reminders} == {"Priya Police", "DS Sian Lewis"}
    assert open_specs(scenario, instance) == ["decide_disclosure"]
    scenario.app.clock.advance(timedelta(days=7))
    fire_timers(scenario, instance)
    assert open_specs(scenario, instance) == ["decide_disclosure", "review_time_limit"]
    review = scenario.task(instance, "review_time_limit")
    assert review.role == "police_supervisor"
    with scenario.app.db.read() as s:
        now = scenario.app.clock.now()
        assert "review_time_limit" not in [t.task_spec for t in service.my_tasks(s, scenario.user(s, "priya"), now)]
        assert "review_time_limit" in [t.task_spec for t in service.my_tasks(s, scenario.user(s, "sian"), now)]
    with pytest.raises(FormValidationError, match="not_told_reason"):
        scenario.complete(
            instance,
            "review_time_limit",
            "sian",
            {"delay_reason": "MARAC met late", "applicant_told": False, "next_steps": "Disclose Monday"},
        )
    scenario.complete(
        instance,
        "review_time_limit",
        "sian",
        {
            "delay_reason": "MARAC could not meet until the 30th",
            "applicant_told": True,
            "how_told": "Text to her safe mobile on 2 January",
            "next_steps": "Disclose at the station on Monday",
        },
    )
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    row = scenario.complete(instance, "disclosure_meeting", "priya", MEETING)  # no second reason asked
    assert row.outcome == "disclosure_made"
    record = application(scenario, app_id)
    assert record.exceptional_delay_reason == "MARAC could not meet until the 30th"
    assert record.outcome_detail["time_limit_review"]["how_told"].startswith("Text to her safe mobile")


def test_r33_the_csor_45_days_are_a_timer_and_a_finished_application_leaves_none_waiting(scenario: Scenario) -> None:
    add_supervisor(scenario)
    _, instance = start(scenario, "csor")
    to_decision(scenario, instance)
    scenario.app.clock.advance(timedelta(days=44))
    fire_timers(scenario, instance)
    assert "review_time_limit" not in open_specs(scenario, instance)
    scenario.app.clock.advance(timedelta(days=1, hours=1))
    fire_timers(scenario, instance)
    assert "review_time_limit" in open_specs(scenario, instance)
    scenario.complete(
        instance,
        "decide_disclosure",
        "priya",
        {**CSOR_DECIDE, "disclose": False, "decision_reasons": "He has moved abroad, no access"},
    )
    late = {**NO_DISCLOSURE, "exceptional_delay_reason": "MAPPA meeting postponed twice"}
    row = scenario.complete(instance, "communicate_no_disclosure", "priya", late)
    assert (row.status, row.outcome) == ("completed", "no_disclosure")
    assert scenario.open_tasks(instance) == []  # the supervisor's task ends with the application


def test_r32_r33_immediate_risk_brings_the_meeting_forward_and_a_missed_stage_tells_the_supervisor(
    scenario: Scenario,
) -> None:
    add_supervisor(scenario)
    _, instance = start(scenario, "right_to_ask")
    scenario.complete(instance, "initial_checks", "priya", {**CHECKS, "immediate_risk": True})
    now = scenario.app.clock.now()
    assert scenario.task(instance, "face_to_face").due_at == now + timedelta(hours=24)
    scenario.app.clock.advance(timedelta(hours=25))
    fire_timers(scenario, instance)
    with scenario.app.db.read() as s:
        told = s.scalars(select(Notification).where(Notification.template == "scheme_deadline_missed")).all()
        assert "DS Sian Lewis" in {n.context["recipient"]["name"] for n in told}
        assert all("(no case)" not in n.body_text for n in told)
    assert open_specs(scenario, instance) == ["face_to_face"]


# ------------------------------------------------------------------ records


def test_r31_the_disclosure_record_prints_no_internal_id_and_no_field_twice(scenario: Scenario) -> None:
    """The CSOR and DVDS records are separate; the linked case appears by its reference, never its number."""
    case_id, _ = scenario.open_case(6)
    app_id, instance = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    link_case(scenario, app_id, case_id)
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "impact_on_children": "Mia lives with her"})
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    (record,) = docs(scenario, "dvds_disclosure_record")
    with scenario.app.db.read() as s:
        audit = [e.summary for e in s.scalars(select(AuditEvent))]
        from safeshare.core.records import Case

        case = s.get(Case, case_id)
        assert case is not None
        reference = case.reference
    html = record.content_html
    assert f"<td>{reference}</td>" in html and f"<td>{case_id}</td>" not in html
    headings = [h for h in html.split("<th>")[1:]]
    labels = [h.split("</th>")[0] for h in headings]
    assert len(labels) == len(set(labels)), labels
    assert "In the child's interests" not in html  # no CSOR field on a DVDS record
    assert not any("document " in summary and summary.rstrip()[-1].isdigit() for summary in audit)
