"""DVDS right to ask (P7) and right to know (P8) through the real engine and task service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rules.schemes import forum_met_on
from safeshare.core.errors import DomainRuleError, FormValidationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent, Document, Notification, ProcessInstance, SchemeApplication
from safeshare.services import schemes
from tasks import service
from tasks.automated.schemes import _check_dvds_decision
from tests.builders import Scenario
from tests.scheme_steps import (
    CHECKS,
    IDENTITY,
    MEETING,
    NO_DISCLOSURE,
    RISK,
    application,
    link_case,
    start,
    to_decision,
)

DECIDE = {
    "forum": "dvds_panel",
    "disclose": True,
    "lawful": True,
    "necessary": True,
    "proportionate": True,
    "meeting_date": "2026-11-20",
    "attendees": [{"name": "DC Priya Shah", "agency": "Police"}, {"name": "Jo Bright", "agency": "IDVA service"}],
    "pressing_need": "Escalating threats; she plans to move in with him",
    "recipient": "person_at_risk",
    "safety_plan": "IDVA referral, MARAC, target-hardening",
    "decision_reasons": "Convictions for violence against two former partners",
}


def count(scenario: Scenario, model: type) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def documents(scenario: Scenario) -> list[str]:
    with scenario.app.db.read() as s:
        return [d.kind for d in s.scalars(select(Document).order_by(Document.id))]


def test_r28_r35_right_to_ask_disclosed_in_person_with_a_signed_undertaking(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    assert scenario.task(instance, "initial_checks").role == "police_staff"
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    row = scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    assert (row.status, row.outcome) == ("completed", "disclosure_made")
    record = application(scenario, app_id)
    assert (record.outcome, record.status, record.route) == ("disclosed", "closed", "right_to_ask")
    assert record.identity_check is not None and record.identity_check["verified"] is True
    assert record.decision is not None and record.decision["safety_plan"] == DECIDE["safety_plan"]
    assert documents(scenario) == ["confidentiality_undertaking", "dvds_disclosure_record"]
    with scenario.app.db.read() as s:
        told = s.scalars(select(Notification).where(Notification.template == "scheme_outcome_disclosure")).all()
        assert {n.context["recipient"]["name"] for n in told} == {"Priya Police"}
        assert "Alex Reed" not in " ".join(n.body_text for n in told)  # names the application, not the detail
        undertaking = s.scalars(select(Document).where(Document.kind == "confidentiality_undertaking")).one()
        assert undertaking.case_id is None and "legal proceedings may follow" in undertaking.content_html


def test_r27_unsigned_undertaking_police_disclose_anyway(scenario: Scenario) -> None:
    """R27: the person will not sign; police decide on their own form to disclose anyway, with reasons."""
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    refused = {k: v for k, v in MEETING.items() if k not in ("information_disclosed", "support_offered")}
    scenario.complete(instance, "disclosure_meeting", "priya", {**refused, "undertaking_signed": False})
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_unsigned"]
    assert application(scenario, app_id).outcome is None  # nothing disclosed yet
    with pytest.raises(FormValidationError, match="information_disclosed"):
        scenario.complete(
            instance,
            "decide_unsigned",
            "priya",
            {"decision": "disclose_anyway", "reasons": "Risk is high and imminent; she must know today"},
        )
    row = scenario.complete(
        instance,
        "decide_unsigned",
        "priya",
        {
            "decision": "disclose_anyway",
            "reasons": "Risk is high and imminent; she must know today",
            "information_disclosed": MEETING["information_disclosed"],
            "support_offered": MEETING["support_offered"],
        },
    )
    assert row.outcome == "disclosure_made"
    assert documents(scenario) == ["confidentiality_undertaking", "dvds_disclosure_record"]
    meeting = application(scenario, app_id).outcome_detail["meeting"]
    assert meeting["undertaking_signed"] is False and meeting["police_decision"]["decision"] == "disclose_anyway"
    with scenario.app.db.read() as s:
        record = s.scalars(select(Document).where(Document.kind == "dvds_disclosure_record")).one().content_html
        assert "Not signed. Police decided to disclose anyway" in record and "she must know today" in record


def test_r27_r36_unsigned_undertaking_police_withhold_then_non_disclosure_letter(scenario: Scenario) -> None:
    """R27: withholding needs only the decision and its reasons; the record never says anything was disclosed."""
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    refused = {k: v for k, v in MEETING.items() if k not in ("information_disclosed", "support_offered")}
    scenario.complete(instance, "disclosure_meeting", "priya", {**refused, "undertaking_signed": False})
    scenario.complete(
        instance, "decide_unsigned", "priya", {"decision": "withhold", "reasons": "She intends to confront him with it"}
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["communicate_no_disclosure"]
    row = scenario.complete(instance, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    assert row.outcome == "no_disclosure"
    record = application(scenario, app_id)
    meeting = record.outcome_detail["meeting"]
    assert record.outcome == "not_disclosed" and record.outcome_detail["letter"]["support_offered"]
    assert meeting["police_decision"]["decision"] == "withhold" and "information_disclosed" not in meeting
    assert documents(scenario) == ["confidentiality_undertaking", "non_disclosure_letter"]


def test_r36_no_disclosure_is_communicated_by_letter_with_support(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance, risk={**RISK, "relevant_convictions": False, "information_indicates_risk": False})
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False})
    with pytest.raises(FormValidationError, match="support_offered"):
        scenario.complete(instance, "communicate_no_disclosure", "priya", {**NO_DISCLOSURE, "support_offered": ""})
    row = scenario.complete(instance, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    assert row.outcome == "no_disclosure"
    with scenario.app.db.read() as s:
        letter = s.scalars(select(Document)).one()
        text = " ".join(letter.content_html.split())
        assert letter.kind == "non_disclosure_letter" and "no disclosure will be made" in text
        assert "domestic abuse service" in text  # the support offered
        assert "Sent by: mobile, texts only" in text  # the safe contact method recorded at first contact
        assert "This does not mean that there is no risk" in text
        assert "National Domestic Abuse Helpline (free, 24 hours): 0808 2000 247" in text
        assert "If anything changes" in text and "contact us again" in text
        assert "PO Box 100" in text  # the force's postal address, a setting
    assert application(scenario, app_id).outcome == "not_disclosed"


def test_r28_disclosure_to_someone_neither_at_risk_nor_able_to_safeguard_is_refused(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    before = count(scenario, AuditEvent)
    with pytest.raises(FormValidationError, match=r"recipient_name"):
        scenario.complete(
            instance,
            "decide_disclosure",
            "priya",
            {**DECIDE, "recipient": "someone_else", "recipient_name": "", "recipient_relationship": "friend",
             "able_to_safeguard": "She is a friend"},
        )
    assert application(scenario, app_id).decision is None and count(scenario, AuditEvent) == before
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_disclosure"]


def test_r30_no_convictions_and_no_information_means_no_basis_to_disclose(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance, risk={**RISK, "relevant_convictions": False, "information_indicates_risk": False})
    with pytest.raises(DomainRuleError, match=r"R30"):
        scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    assert application(scenario, app_id).decision is None


def test_r30_test_met_but_not_disclosing_needs_full_reasons(scenario: Scenario) -> None:
    _, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    with pytest.raises(DomainRuleError, match=r"R30"):
        scenario.complete(
            instance,
            "decide_disclosure",
            "priya",
            {**DECIDE, "disclose": False, "decision_reasons": "Not at this time"},
        )


def test_r35_a_disclosure_decision_needs_lawful_necessary_proportionate_and_a_safety_plan(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    with pytest.raises(FormValidationError, match=r"safety_plan"):
        without_plan = {k: v for k, v in DECIDE.items() if k != "safety_plan"}
        scenario.complete(instance, "decide_disclosure", "priya", without_plan)
    with pytest.raises(DomainRuleError, match=r"did not find it proportionate \(R35\)"):
        scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "proportionate": False})
    assert application(scenario, app_id).decision is None


def test_r35_the_forum_met_on_a_real_day_that_has_come(scenario: Scenario) -> None:
    """R35: the decision is credited to the forum's meeting, so the meeting's day is a real date and not after
    the day the decision is recorded; the page says so beside the question and the step refuses it again."""
    today = scenario.app.clock.now().date()
    assert forum_met_on("marac", "2026-11-31", today)[0].message.startswith("Enter the day the forum met")
    assert forum_met_on("dvds_panel", (today + timedelta(days=1)).isoformat(), today)[0].field == "meeting_date"
    assert forum_met_on("police_alone_on_immediate_risk", None, today) == []  # police alone: no meeting
    for typed in ("20 November 2026", "20 11 2026", "20/11/2026"):  # as typed on the form that asked as text
        assert forum_met_on("marac", typed, today) == [], typed
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "meeting_date": "2026-12-11"})
    assert refused.value.field_errors == {"meeting_date": "The day the forum met must be today or in the past"}
    with pytest.raises(DomainRuleError, match="must be today or in the past"):  # the step checks it again
        _check_dvds_decision(application(scenario, app_id), {**DECIDE, "meeting_date": "2026-12-11"}, today)
    assert application(scenario, app_id).decision is None
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    decision = application(scenario, app_id).decision
    assert decision is not None and decision["decided_by"] == "The DVDS panel, meeting of 20 November 2026"


def test_r34_nothing_is_disclosed_before_identity_is_verified(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    scenario.complete(instance, "initial_checks", "priya", CHECKS)
    with pytest.raises(FormValidationError, match=r"identity_documents"):
        scenario.complete(
            instance,
            "face_to_face",
            "priya",
            {**IDENTITY, "identity_documents": [{"document": "utility_bill", "has_photo": False}]},
        )
    with pytest.raises(DomainRuleError, match=r"two documents, at least one with a photo \(R34\)"):
        scenario.complete(
            instance,
            "face_to_face",
            "priya",
            {**IDENTITY, "identity_documents": [{"document": "utility_bill", "has_photo": False}] * 2},
        )
    scenario.complete(instance, "face_to_face", "priya", IDENTITY)
    scenario.complete(instance, "full_risk_assessment", "priya", RISK)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    before = count(scenario, Document)
    unverified = {"recipient_identity_verified": False}
    with pytest.raises(FormValidationError, match=r"next_step"):
        scenario.complete(instance, "disclosure_meeting", "priya", unverified)
    with pytest.raises(DomainRuleError, match=r"recipient's identity is verified with two documents"):
        scenario.complete(
            instance, "disclosure_meeting", "priya",
            {**MEETING, "recipient_identity_documents": [{"document": "bank_statement", "has_photo": False}] * 2},
        )
    assert count(scenario, Document) == before and application(scenario, app_id).outcome is None


def test_r26_the_warning_comes_before_anything_is_disclosed(scenario: Scenario) -> None:
    """R26: a meeting without the warning is refused; nothing is written."""
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    before = (count(scenario, Document), count(scenario, AuditEvent))
    with pytest.raises(DomainRuleError, match=r"warning is given before anything is disclosed.*\(R26\)"):
        scenario.complete(instance, "disclosure_meeting", "priya", {**MEETING, "warning_given": False})
    assert (count(scenario, Document), count(scenario, AuditEvent)) == before
    assert application(scenario, app_id).outcome is None


def test_r32_late_outcome_needs_an_exceptional_delay_reason(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.app.clock.advance(timedelta(days=29))
    with pytest.raises(DomainRuleError, match=r"passed its time limit.*\(R32\)"):
        scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    late = {**MEETING, "exceptional_delay_reason": "Applicant was in hospital for three weeks"}
    assert scenario.complete(instance, "disclosure_meeting", "priya", late).outcome == "disclosure_made"
    assert application(scenario, app_id).exceptional_delay_reason == late["exceptional_delay_reason"]


def test_r32_immediate_risk_lets_police_decide_without_the_forum_but_only_then(scenario: Scenario) -> None:
    _, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    alone = {**DECIDE, "forum": "police_alone_on_immediate_risk",
             "immediate_risk_justification": "He has been released today and she is at his address"}
    with pytest.raises(DomainRuleError, match=r"only when the initial checks found someone at immediate risk.*\(R32\)"):
        scenario.complete(instance, "decide_disclosure", "priya", alone)


def test_r31_children_in_the_family_are_considered_and_the_case_linked(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    app_id, instance = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    link_case(scenario, app_id, case_id)
    to_decision(scenario, instance)
    with pytest.raises(DomainRuleError, match=r"impact on the children.*\(R31\)"):
        scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "impact_on_children": "Mia lives with her"})
    record = application(scenario, app_id)
    assert record.linked_case_id == case_id and record.decision["impact_on_children"] == "Mia lives with her"


def test_r33_stage_deadline_tells_police_staff_and_keeps_the_task_open(scenario: Scenario) -> None:
    _, instance = start(scenario, "right_to_ask")
    assert scenario.task(instance, "initial_checks").due_at == scenario.app.clock.now() + timedelta(hours=24)
    scenario.app.clock.advance(timedelta(hours=25))
    with scenario.app.transaction() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        scenario.app.engine.fire_due_timers(s, scenario.app.clock, row)
    with scenario.app.db.read() as s:
        notes = s.scalars(select(Notification).where(Notification.template == "scheme_deadline_missed")).all()
        assert {n.context["recipient"]["name"] for n in notes} == {"Priya Police"}
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["initial_checks"]


def test_r29_right_to_know_starts_from_an_agency_and_ends_in_disclosure(scenario: Scenario) -> None:
    with pytest.raises(DomainRuleError, match=r"R29"):
        start(scenario, "right_to_know", applicant={"name": "Not an agency"})
    app_id, instance = start(scenario, "right_to_know")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "forum": "marac"})
    row = scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    assert (row.process_id, row.outcome) == ("dvds_right_to_know", "disclosure_made")
    assert application(scenario, app_id).reference.startswith("DVDS-")


def test_scheme_records_are_visible_to_police_staff_only(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "right_to_ask")
    with scenario.app.db.read() as s:
        pat, max_ = scenario.user(s, "pat"), scenario.user(s, "max")
        with pytest.raises(NotFoundError):
            schemes.get_application(s, pat, app_id)
        with pytest.raises(PermissionDeniedError):
            schemes.list_applications(s, max_)
        assert [a.id for a in schemes.list_applications(s, scenario.user(s, "priya"))] == [app_id]
        assert service.my_tasks(s, pat, scenario.app.clock.now()) == []
        assert [t.task_spec for t in service.my_tasks(s, scenario.user(s, "priya"), scenario.app.clock.now())] == [
            "initial_checks"
        ]
    with pytest.raises(PermissionDeniedError), scenario.app.transaction() as s:
        schemes.start_application(
            scenario.app,
            s,
            scenario.user(s, "pat"),
            route="right_to_ask",
            applicant={"name": "X"},
            subject={"name": "Y"},
            concern="Z",
            person_at_risk={"name": "X"},
        )
    assert count(scenario, SchemeApplication) == 1


def test_r29_a_partner_agency_on_a_case_asks_the_police_to_consider_right_to_know(scenario: Scenario) -> None:
    """R29 as a partner agency's own journey: a practitioner asks from the child's case; the police run their
    right-to-know process from their queue; the outcome comes back to the case's team as a task (R31)."""
    from safeshare.core.records import Case, SchemeCaseLink, Team
    from safeshare.services import queues
    from safeshare.services.scheme_links import link_in_words

    case_id, _ = scenario.open_case(6)
    asked = {
        "subject": {"name": "Alex Reed"},
        "person_at_risk": {"name": "Sam Taylor", "relationship": "Partner", "safe_contact": "through her GP only"},
        "concern": "Mother disclosed he hit her; two police call-outs this month",
        "contact": "07700 900123",
    }
    with pytest.raises(NotFoundError), scenario.app.transaction() as s:  # another team's practitioner
        schemes.ask_police_right_to_know(scenario.app, s, scenario.user(s, "olu"), case_id, **asked)
    with pytest.raises(PermissionDeniedError), scenario.app.transaction() as s:  # police staff use their own form
        schemes.ask_police_right_to_know(scenario.app, s, scenario.user(s, "priya"), case_id, **asked)
    with pytest.raises(DomainRuleError, match="reach you"), scenario.app.transaction() as s:
        no_contact = asked | {"contact": " "}
        schemes.ask_police_right_to_know(scenario.app, s, scenario.user(s, "pat"), case_id, **no_contact)
    with scenario.app.transaction() as s:
        made = schemes.ask_police_right_to_know(scenario.app, s, scenario.user(s, "pat"), case_id, **asked)
        app_id, instance = made.id, made.instance_id
    assert instance is not None
    with scenario.app.db.read() as s:
        row = s.get(SchemeApplication, app_id)
        case = s.get(Case, case_id)
        assert row is not None and case is not None
        team = s.get(Team, case.team_id)
        assert team is not None
        assert (row.route, row.linked_case_id) == ("right_to_know", case_id)
        assert row.applicant["agency"] == team.agency and row.applicant["name"] == "Pat Practitioner"
        link = s.scalars(select(SchemeCaseLink).where(SchemeCaseLink.application_id == app_id)).one()
        assert (link.status, link.answered_by_id) == ("confirmed", scenario.user(s, "pat").id)
        assert link_in_words(s, row) == "Confirmed by the child's team"
        # police see it in their queue and inbox; the practitioner sees no police record and no police task
        priya, pat = scenario.user(s, "priya"), scenario.user(s, "pat")
        queue = queues.police_queue(s, priya, scenario.app.clock.now())
        assert [r.application.id for r in queue] == [app_id]
        assert [t.task_spec for t in service.my_tasks(s, priya, scenario.app.clock.now())] == ["initial_checks"]
        assert service.my_tasks(s, pat, scenario.app.clock.now()) == []
        with pytest.raises(NotFoundError):
            schemes.get_application(s, pat, app_id)
        event = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_right_to_know_requested")).one()
        assert event.case_id == case_id and event.actor_id == pat.id
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False})
    (last,) = scenario.open_tasks(instance)
    told = {"agency_told": "Phoned Pat Practitioner on 07700 900123"}
    scenario.complete(instance, last.task_spec, "priya", NO_DISCLOSURE | told)
    assert application(scenario, app_id).outcome == "not_disclosed"
    with scenario.app.db.read() as s:
        review = s.scalars(
            select(ProcessInstance).where(
                ProcessInstance.process_id == "scheme_outcome_review", ProcessInstance.case_id == case_id
            )
        ).one()
    (task,) = scenario.open_tasks(review.id)
    assert task.task_spec == "review_scheme_outcome"
    scenario.complete(
        review.id,
        "review_scheme_outcome",
        "pat",
        {"team_action": "refer_to_childrens_social_care", "team_note": "Referral today; police concerns remain"},
    )
