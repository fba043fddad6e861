"""R4: the practitioner seeks advice on a child's understanding "from his or her line manager or other relevant
person in the organisation or agency": a team's designated safeguarding lead, named by a manager of the team
or an administrator (never by themselves, audited), may advise on competence for that team's cases and gains
no other manager power."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.errors import DomainRuleError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent
from safeshare.services import consent, safeguarding_leads
from tasks import service
from tests.builders import Scenario
from tests.webkit import WebKit, make_webkit

JUDGED = {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"}
ADVICE = {"manager_agrees_competence": True, "competence_advice": "Agreed: ask again in a few months"}


def name(scenario: Scenario, who: str, team: str, lead: str) -> None:
    with scenario.app.transaction() as s:
        safeguarding_leads.name_lead(
            scenario.app, s, scenario.user(s, who), scenario.team_ids[team], scenario.users[lead]
        )


def judged_case(scenario: Scenario, by: str = "pat", age: int = 12) -> tuple[int, int]:
    case_id, _ = scenario.open_case(age, by=by)
    instance = scenario.start_episode(case_id, by=by)
    scenario.complete(instance, "judge_competence", by, JUDGED)
    return case_id, instance


def inbox(scenario: Scenario, who: str) -> list[str]:
    with scenario.app.db.read() as s:
        return [t.task_spec for t in service.my_tasks(s, scenario.user(s, who), scenario.app.clock.now())]


def test_r4_the_teams_designated_safeguarding_lead_can_advise_on_competence(scenario: Scenario) -> None:
    case_id, instance = judged_case(scenario)
    assert "advise_on_competence" not in inbox(scenario, "pip")
    name(scenario, "max", "north", "pip")
    assert inbox(scenario, "pip") == ["advise_on_competence"]
    scenario.complete(instance, "advise_on_competence", "pip", ADVICE)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    with scenario.app.db.read() as s:
        history = consent.competence_history(s, scenario.user(s, "pat"), case_id)
    assert [(h.who, h.what) for h in history][-1] == ("Pip Practitioner", "Agreed with the judgement")


def test_r4_a_practitioner_who_is_not_the_lead_cannot_advise(scenario: Scenario) -> None:
    _, instance = judged_case(scenario)
    with pytest.raises(PermissionDeniedError, match="manager role"):
        scenario.complete(instance, "advise_on_competence", "pip", ADVICE)
    name(scenario, "max", "north", "pip")
    with scenario.app.transaction() as s:  # the naming ends: the advice goes back to the managers alone
        safeguarding_leads.end_lead(scenario.app, s, scenario.user(s, "sue"), scenario.team_ids["north"])
    assert "advise_on_competence" not in inbox(scenario, "pip")
    with pytest.raises(PermissionDeniedError):
        scenario.complete(instance, "advise_on_competence", "pip", ADVICE)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["advise_on_competence"]


def test_r4_the_lead_of_one_team_cannot_advise_on_another_teams_case(scenario: Scenario) -> None:
    _, instance = judged_case(scenario)  # a North case
    name(scenario, "mo", "south", "olu")
    assert inbox(scenario, "olu") == []
    with pytest.raises(NotFoundError):
        scenario.complete(instance, "advise_on_competence", "olu", ADVICE)
    with pytest.raises(PermissionDeniedError, match="member of North"):  # nor be named lead of North
        name(scenario, "max", "north", "olu")
    with pytest.raises(PermissionDeniedError, match="manager of North"):  # South's manager cannot name North's lead
        name(scenario, "mo", "north", "pip")


def test_r4_the_lead_gains_no_other_manager_power(scenario: Scenario) -> None:
    name(scenario, "max", "north", "pip")
    _, instance = judged_case(scenario)
    task = scenario.task(instance, "advise_on_competence")
    with scenario.app.transaction() as s, pytest.raises(PermissionDeniedError, match="holder or a manager"):
        service.reassign_task(scenario.app, s, scenario.user(s, "pip"), task.task_id, scenario.user(s, "max"))
    with scenario.app.transaction() as s, pytest.raises(PermissionDeniedError, match="manager of North"):
        safeguarding_leads.name_lead(
            scenario.app, s, scenario.user(s, "pip"), scenario.team_ids["north"], scenario.users["pat"]
        )
    # the lead who judged cannot advise on their own judgement (separation of duties)
    _, own = judged_case(scenario, by="pip")
    with pytest.raises(DomainRuleError, match="You made this judgement"):
        scenario.complete(own, "advise_on_competence", "pip", ADVICE)


def test_r4_nobody_names_themselves_the_lead_and_each_naming_is_audited(scenario: Scenario) -> None:
    for who, team in (("pip", "north"), ("max", "north"), ("alex", "north")):
        with pytest.raises(PermissionDeniedError):
            name(scenario, who, team, who)
    with scenario.app.db.read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "safeguarding_lead_named")).all() == []
    name(scenario, "alex", "north", "pip")
    name(scenario, "max", "north", "pat")  # naming another ends the first
    with scenario.app.db.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "safeguarding_lead_named")).all()
        assert [e.summary for e in events] == [
            "Pip Practitioner named designated safeguarding lead of North by Alex Admin",
            "Pat Practitioner named designated safeguarding lead of North by Max Manager",
        ]
        named = {t: v.name for t, v in safeguarding_leads.leads(s).items()}
        assert named == {scenario.team_ids["north"]: "Pat Practitioner"}


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def test_r4_the_teams_page_says_who_the_lead_is_in_plain_words(web: WebKit) -> None:
    north = web.scenario.team_ids["north"]
    page = web.get("alex", "/admin/teams")
    assert "None named: only managers advise" in page.text
    assert web.get("pip", f"/teams/{north}/safeguarding-lead").status_code == 403
    assert web.get("mo", f"/teams/{north}/safeguarding-lead").status_code == 403
    lead_page = web.get("max", f"/teams/{north}/safeguarding-lead")
    assert "North has no designated safeguarding lead" in lead_page.text
    assert "Max Manager</option>" not in lead_page.text  # nobody is offered themselves
    name(web.scenario, "max", "north", "pip")
    page = web.get("alex", "/admin/teams")
    assert "Pip Practitioner may advise on a child&#39;s understanding" in page.text
    assert "(R4)" not in page.text
    assert "Pip Practitioner is the designated safeguarding lead of North" in web.get(
        "max", f"/teams/{north}/safeguarding-lead"
    ).text
    assert "Pip Practitioner is your team's designated safeguarding lead" in web.get("max", "/queues/manager").text
