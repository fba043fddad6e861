"""R31, least privilege: police staff link an application to a child's case by the reference they were given,
the case's team confirms, the team is told the outcome, and probing references gives nothing away.
R45: a suspected breach of a signed undertaking is recorded and goes to a police supervisor's decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeshare.core.errors import DomainRuleError
from safeshare.core.records import (
    AuditEvent,
    Case,
    Notification,
    OpenTask,
    ProcessInstance,
    SchemeCaseLink,
    UndertakingBreach,
)
from safeshare.services import chronology, scheme_links, schemes, task_context
from tasks import service
from tests.builders import Scenario
from tests.scheme_steps import MEETING, add_supervisor, application, link_case, start, to_decision

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
    "impact_on_children": "Mia lives with her",
}


def _reference(scenario: Scenario, case_id: int) -> str:
    with scenario.app.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.reference


def _ask(scenario: Scenario, app_id: int, reference: str) -> tuple[str, int | None]:
    with scenario.app.transaction() as s:
        link = scheme_links.request_case_link(scenario.app, s, scenario.user(s, "priya"), app_id, reference)
        return scheme_links.link_in_words(s, schemes.get_application(s, scenario.user(s, "priya"), app_id)) or "", (
            link.instance_id
        )


def test_r31_probing_a_reference_tells_police_staff_nothing(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    real = _reference(scenario, case_id)
    app_real, _ = start(scenario, "right_to_ask")
    app_none, _ = start(scenario, "right_to_ask")
    seen_real, instance_real = _ask(scenario, app_real, real.lower())
    seen_none, instance_none = _ask(scenario, app_none, "NF-2099-9999")
    assert seen_real == seen_none == "Asked the child's team to confirm; not confirmed"
    assert instance_real is not None and instance_none is None  # only a real case's team gets a task
    # the team declines: police still see exactly what they saw for a case that does not exist
    scenario.complete(instance_real, "confirm_case_link", "max", {"link_confirmed": False})
    with scenario.app.db.read() as s:
        priya = scenario.user(s, "priya")
        assert scheme_links.link_in_words(s, schemes.get_application(s, priya, app_real)) == seen_none
        assert application(scenario, app_real).linked_case_id is None
        # nothing police staff can read names the case: their inbox, their audit summaries, the API body
        assert not list(s.scalars(select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.role == "police_staff")))
        asked = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_case_link_asked")).all()
        assert len(asked) == 2 and all(real not in e.summary and "case_id" not in e.detail for e in asked)
        assert {e.summary.split(":", 1)[1] for e in asked} == {
            " asked the child's team to confirm a link to a safeguarding case"
        }


def test_r31_the_case_task_goes_to_the_case_team_only(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    app_id, _ = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    _, instance = _ask(scenario, app_id, _reference(scenario, case_id))
    assert instance is not None
    (task,) = scenario.open_tasks(instance)
    assert (task.case_id, task.role) == (case_id, "manager")
    with pytest.raises(Exception):  # noqa: B017 - another team's manager cannot answer for this case
        scenario.complete(instance, "confirm_case_link", "mo", {"link_confirmed": True})
    with pytest.raises(Exception):  # noqa: B017 - nor can police staff confirm their own request
        scenario.complete(instance, "confirm_case_link", "priya", {"link_confirmed": True})
    assert application(scenario, app_id).linked_case_id is None


def test_r31_once_confirmed_the_child_team_is_told_the_outcome_in_plain_words(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    app_id, instance = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    link_case(scenario, app_id, case_id)
    assert application(scenario, app_id).linked_case_id == case_id
    with scenario.app.db.read() as s:
        assert scheme_links.link_in_words(s, application(scenario, app_id)) == "Confirmed by the child's team"
        assert not s.scalars(select(Notification).where(Notification.template == "scheme_outcome_for_case_team")).all()
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    with scenario.app.db.read() as s:
        told = s.scalars(select(Notification).where(Notification.template == "scheme_outcome_for_case_team")).all()
        names = {n.recipient_user_id for n in told}
        team = {scenario.user(s, u).id for u in ("pat", "pip", "max", "sue")}
        assert told and names <= team and scenario.user(s, "priya").id not in names
        assert scenario.user(s, "olu").id not in names
        body = told[0].body_text
        assert "Police made a disclosure, in person, to the person best placed to protect the person at risk." in body
        assert _reference(scenario, case_id) in body
        assert "Convictions" not in body and "IDVA" not in body  # no police intelligence, no detail in a message
        assert f"case {case_id}" not in body and f"({case_id})" not in body
        assert scheme_links.outcome_for_case(s, case_id)[0]["application_reference"].startswith("DVDS-")


def test_r31_a_link_confirmed_after_the_application_ended_still_tells_the_team(scenario: Scenario) -> None:
    from safeshare.services import scheme_closure

    case_id, _ = scenario.open_case(6)
    app_id, _ = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    with scenario.app.transaction() as s:
        scheme_closure.close_application(
            scenario.app, s, scenario.user(s, "priya"), app_id, who="applicant_withdrew", reason="She asked us to stop"
        )
    link_case(scenario, app_id, case_id)
    with scenario.app.db.read() as s:
        told = s.scalars(select(Notification).where(Notification.template == "scheme_outcome_for_case_team")).all()
        assert told and "The applicant withdrew the application before a decision." in told[0].body_text
    # the review task is created then, once, with the outcome in words and no safety plan for a withdrawn one
    review = _review_instance(scenario, case_id)
    (task,) = scenario.open_tasks(review)
    assert (task.case_id, task.task_spec) == (case_id, "review_scheme_outcome")
    with scenario.app.db.read() as s:
        view = service.show_task(scenario.app, s, scenario.user(s, "pip"), task.task_id)
        rows = dict(task_context.task_context(scenario.app, s, view).sections[0].rows)
        assert rows["Outcome"] == "The applicant withdrew the application before a decision."
        assert rows["Safety plan"] == "None recorded"
    scenario.complete(
        review, "review_scheme_outcome", "pip", {"team_action": "no_further_action", "team_note": "Nothing changes"}
    )


def _review_instance(scenario: Scenario, case_id: int) -> int:
    with scenario.app.db.read() as s:
        (row,) = s.scalars(
            select(ProcessInstance).where(
                ProcessInstance.process_id == "scheme_outcome_review", ProcessInstance.case_id == case_id
            )
        ).all()
        return row.id


def test_r31_the_child_team_gets_a_task_on_the_case_to_review_the_outcome(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    app_id, instance = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    link_case(scenario, app_id, case_id)
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    review = _review_instance(scenario, case_id)
    (task,) = scenario.open_tasks(review)
    assert (task.case_id, task.role, task.title) == (
        case_id,
        "practitioner",
        "Review the outcome of a police disclosure application",
    )
    with scenario.app.db.read() as s:
        # in the team's task list like any task; not in police staff's nor another team's
        now = scenario.app.clock.now()
        assert task.task_id in {t.task_id for t in service.my_tasks(s, scenario.user(s, "pat"), now)}
        for outsider in ("priya", "olu"):
            assert task.task_id not in {t.task_id for t in service.my_tasks(s, scenario.user(s, outsider), now)}
        view = service.show_task(scenario.app, s, scenario.user(s, "pat"), task.task_id)
        shown = task_context.task_context(scenario.app, s, view)
        words = " ".join(f"{q} {a}" for section in shown.sections for q, a in section.rows)
        assert "Police made a disclosure, in person, to the person best placed to protect the person at risk." in words
        assert "IDVA referral, MARAC, target-hardening" in words  # the safety plan
        assert "Referred to the IDVA; safety plan agreed" in words  # the support and referrals
        # never police intelligence: the decision's reasons, the checks, what was disclosed
        assert "Convictions" not in words and "Two convictions" not in words and "PNC" not in words
    with pytest.raises(Exception):  # noqa: B017 - police staff cannot answer for the child's team
        scenario.complete(review, "review_scheme_outcome", "priya", {"team_action": "no_further_action"})
    with pytest.raises(Exception):  # noqa: B017 - the note is required
        scenario.complete(review, "review_scheme_outcome", "pat", {"team_action": "update_plan"})
    scenario.complete(
        review,
        "review_scheme_outcome",
        "pat",
        {"team_action": "update_plan", "team_note": "Add the safety plan's steps to Mia's plan"},
    )
    assert scenario.instance(review).status == "completed"
    with scenario.app.db.read() as s:
        link = s.scalars(select(SchemeCaseLink).where(SchemeCaseLink.case_id == case_id)).one()
        assert (link.review_action, link.reviewed_by_id) == ("update_plan", scenario.user(s, "pat").id)
        assert link.review_note == "Add the safety plan's steps to Mia's plan"
        event = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_outcome_reviewed")).one()
        assert event.case_id == case_id
    with scenario.app.transaction() as s:
        _, lines = chronology.entries(s, scenario.user(s, "pat"), case_id)
        assert any(
            e.kind == "Police disclosure outcome reviewed" and "plan will be updated" in e.details for e in lines
        )


def test_r31_no_review_task_for_an_application_not_linked_or_not_confirmed(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(6)
    app_id, instance = start(scenario, "right_to_ask", children=[{"name": "Mia", "age": 6}])
    link_case(scenario, app_id, case_id, confirm=False)
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    with scenario.app.db.read() as s:
        assert not s.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "scheme_outcome_review")).all()


def _disclosed(scenario: Scenario) -> int:
    app_id, instance = start(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(
        instance, "decide_disclosure", "priya", {k: v for k, v in DECIDE.items() if k != "impact_on_children"}
    )
    scenario.complete(instance, "disclosure_meeting", "priya", MEETING)
    return app_id


def test_r45_a_suspected_breach_goes_to_a_police_supervisor_who_decides(scenario: Scenario) -> None:
    add_supervisor(scenario)
    app_id = _disclosed(scenario)
    with scenario.app.transaction() as s, pytest.raises(DomainRuleError, match="what happened"):
        scheme_links.report_breach(
            scenario.app, s, scenario.user(s, "priya"), app_id, what_happened="told", how_it_came_to_light="x"
        )
    with scenario.app.transaction() as s:
        breach = scheme_links.report_breach(
            scenario.app,
            s,
            scenario.user(s, "priya"),
            app_id,
            what_happened="She told his new partner's sister what was disclosed",
            how_it_came_to_light="The sister rang us on 3 December",
        )
        breach_id, instance = breach.id, breach.instance_id
    assert instance is not None
    (task,) = scenario.open_tasks(instance)
    assert task.role == "police_supervisor" and task.case_id is None
    with pytest.raises(Exception):  # noqa: B017 - the reasons are required
        scenario.complete(instance, "decide_breach_action", "sian", {"breach_action": "written_warning"})
    scenario.complete(
        instance,
        "decide_breach_action",
        "sian",
        {"breach_action": "written_warning", "breach_reasons": "A first breach, to protect her safety"},
    )
    assert scenario.instance(instance).status == "completed"
    with scenario.app.db.read() as s:
        row = s.get(UndertakingBreach, breach_id)
        assert row is not None and (row.action, row.decided_by_id) == ("written_warning", scenario.user(s, "sian").id)
        kinds = [e.event_type for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert kinds.index("scheme_breach_reported") < kinds.index("scheme_breach_decided")


def test_r45_no_breach_without_a_signed_undertaking(scenario: Scenario) -> None:
    app_id, _ = start(scenario, "right_to_ask")
    with scenario.app.transaction() as s, pytest.raises(DomainRuleError, match="no signed undertaking"):
        scheme_links.report_breach(
            scenario.app,
            s,
            scenario.user(s, "priya"),
            app_id,
            what_happened="She told his new partner's sister",
            how_it_came_to_light="The sister rang us",
        )
    with scenario.app.db.read() as s:
        assert not s.scalars(select(UndertakingBreach)).all() and not s.scalars(select(SchemeCaseLink)).all()
