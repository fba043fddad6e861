"""The page police staff use to record a CSOR or DVDS application (stage 1, initial contact) and start its
process: what it stores, its errors beside each field, the service's own refusals, and who may use it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.records import AuditEvent, Case, OpenTask, ProcessInstance, SchemeApplication
from safeshare.services import accounts
from tests.builders import Scenario
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, make_webkit
from web.routers import ui_schemes

DVDS_FORM = {
    "route": "right_to_ask",
    "applicant_name": "Sam Taylor",
    "applicant_relationship": "Partner",
    "applicant_safe_contact": "Mobile, texts only <after 6pm>",
    "subject_name": "Alex Reed",
    "subject_other_names": "Alex Reid\n\nAJ",
    "subject_date_of_birth": "1 April 1990",
    "subject_addresses": "1 High Street, Northfield\n2 Low Road, Southbank",
    "person_at_risk_name": "Sam Taylor",
    "person_at_risk_relationship": "Partner",
    "concern": "Partner has become controlling and threatened violence",
}


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        for name in ("priya", "pat", "alex"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    return kit


def stored(web: WebKit) -> tuple[int, int, int, int]:
    """(audit events, applications, process instances, open tasks): equal before and after = nothing written."""
    with web.app.db.read() as s:
        audit, applications, instances, tasks = (
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (AuditEvent, SchemeApplication, ProcessInstance, OpenTask)
        )
        return audit, applications, instances, tasks


def form_page(client: TestClient) -> str:
    page = client.get("/schemes/new")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def test_police_staff_start_a_dvds_right_to_ask_application_from_the_queue(web: WebKit) -> None:
    client = sign_in(web, "priya")
    queue = client.get("/queues/police").text
    assert 'href="/schemes/new"' in queue and "Start an application" in queue
    page = client.get("/schemes/new").text
    for name in ("route", "applicant_name", "applicant_agency", "subject_name", "person_at_risk_name",
                 "children-0-name", "children-0-parents_know", "concern", "linked_case"):
        assert f'name="{name}"' in page
    assert "Domestic Violence Disclosure Scheme (DVDS): right to ask" in page
    assert "Needed for DVDS right to ask and right to know" in page  # route-only questions say so
    before = stored(web)

    r = client.post("/schemes/new", data={"csrf_token": csrf_of(page), **DVDS_FORM}, follow_redirects=False)

    assert r.status_code == 303, r.text
    with web.app.db.read() as s:
        application = s.scalars(select(SchemeApplication)).one()
        assert r.headers["location"] == f"/schemes/{application.id}"
        assert (application.scheme, application.route, application.linked_case_id) == ("dvds", "right_to_ask", None)
        assert application.applicant == {"name": "Sam Taylor", "relationship": "Partner",
                                         "safe_contact": "Mobile, texts only <after 6pm>"}
        assert application.subject == {"name": "Alex Reed", "other_names": ["Alex Reid", "AJ"],
                                       "date_of_birth": "1 April 1990",
                                       "addresses": ["1 High Street, Northfield", "2 Low Road, Southbank"]}
        assert application.person_at_risk == {"name": "Sam Taylor", "relationship": "Partner"}
        assert application.children == [] and application.concern == DVDS_FORM["concern"]
        instance = s.get(ProcessInstance, application.instance_id)
        assert instance is not None and instance.process_id == "dvds_right_to_ask"
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["initial_checks"]
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_application_received"))
        assert event.detail["application_id"] == application.id and event.actor_id == web.scenario.users["priya"]
        reference = application.reference
    assert stored(web)[1:] == (before[1] + 1, before[2] + 1, before[3] + 1)

    shown = client.get(r.headers["location"]).text
    assert f"Application {reference}" in shown and "Initial checks and risk assessment" in shown
    assert "Mobile, texts only &lt;after 6pm&gt;" in shown and "<after 6pm>" not in shown  # escaped
    assert "1 High Street, Northfield<br>2 Low Road, Southbank" in shown and "Alex Reid, AJ" in shown
    assert "Sam Taylor (Partner)" in shown and "Applicant&#39;s relationship" in shown


def test_police_staff_start_a_csor_application_linked_to_a_childs_case(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(7)
    with web.app.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        reference = case.reference
    client = sign_in(web, "priya")
    data = {
        "csrf_token": form_page(client), "route": "csor", "applicant_name": "Jo Taylor",
        "applicant_relationship": "Mother of the child", "subject_name": "Chris Dean",
        "children-0-name": "Lily Taylor", "children-0-age": "7", "children-0-relationship": "Partner's daughter",
        "children-0-parents_know": "Mother yes, father no", "children-1-name": "", "children-1-age": "",
        "concern": "New partner has unsupervised access to my daughter",
        "linked_case": f"  {reference.lower()} ",  # typed as people type it
    }

    r = client.post("/schemes/new", data=data, follow_redirects=False)

    assert r.status_code == 303, r.text
    with web.app.db.read() as s:
        application = s.scalars(select(SchemeApplication)).one()
        assert r.headers["location"] == f"/schemes/{application.id}"
        # R31: not linked until the child's team confirms; police are told only that the team was asked
        assert (application.scheme, application.route, application.linked_case_id) == ("csor", "csor", None)
        assert application.children == [{"name": "Lily Taylor", "age": "7", "relationship": "Partner's daughter",
                                          "parents_know": "Mother yes, father no"}]
        assert application.person_at_risk is None and application.reference.startswith("CSOR-")
        instance = s.get(ProcessInstance, application.instance_id)
        assert instance is not None and instance.process_id == "csor_application" and instance.case_id is None
        events = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_application_received")).all()
        assert len(events) == 1 and "linked_case_id" not in events[0].detail
    shown = client.get(r.headers["location"]).text
    asked = r"Linked safeguarding case\s*</dt>\s*<dd[^>]*>\s*Asked the child&#39;s team to confirm; not confirmed"
    assert re.search(asked, shown)
    assert reference not in shown
    assert "Lily Taylor (7); Partner&#39;s daughter; parents know: Mother yes, father no" in shown


def test_missing_answers_are_named_in_the_summary_and_beside_each_field_and_nothing_is_written(
    web: WebKit,
) -> None:
    client = sign_in(web, "priya")
    csrf = form_page(client)
    before = stored(web)

    empty = client.post("/schemes/new", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "Error: Start an application" in empty.text
    summary = empty.text.split('govuk-error-summary__list"')[1].split("</ul>")[0]
    for anchor, message in [("route", "Select an answer to “Which scheme is this?”"),
                            ("subject_name", "Enter subject&#39;s full name"),
                            ("concern", "Answer “What is the concern?”")]:
        assert f'href="#{anchor}"' in summary and message in summary
    assert summary.count("<li>") == 3  # nothing asked of a route not chosen
    assert 'id="subject_name-error"' in empty.text and 'id="concern-error"' in empty.text

    # Route-dependent answers: CSOR needs the applicant and at least one child; typed answers are kept.
    csor = client.post("/schemes/new", data={"csrf_token": csrf, "route": "csor", "subject_name": "Chris Dean",
                                             "concern": "Unsupervised access to my daughter"})
    assert csor.status_code == 422
    assert 'href="#applicant_name"' in csor.text and 'href="#children"' in csor.text
    assert 'href="#person_at_risk_name"' not in csor.text
    assert 'value="Chris Dean"' in csor.text and 'value="csor" checked' in csor.text

    # Right to know: the agency and the person at risk, not an applicant's name.
    know = client.post("/schemes/new", data={"csrf_token": csrf, "route": "right_to_know",
                                             "subject_name": "Alex Reed", "concern": "Partner agency concern"})
    assert 'href="#applicant_agency"' in know.text and 'href="#person_at_risk_name"' in know.text
    assert 'href="#applicant_name"' not in know.text

    # A child row with an age but no name is pointed out by row.
    row = client.post("/schemes/new", data={**DVDS_FORM, "csrf_token": csrf, "children-0-age": "4"})
    assert row.status_code == 422 and "Child 1: Enter full name" in row.text

    assert stored(web) == before


def test_a_reference_to_no_case_is_accepted_like_any_other_and_a_concern_too_long_is_explained(web: WebKit) -> None:
    """R31: a reference to no case gets the same answer as a real one, so it cannot be used to probe cases."""
    client = sign_in(web, "priya")
    csrf = form_page(client)
    r = client.post(
        "/schemes/new", data={**DVDS_FORM, "csrf_token": csrf, "linked_case": "NOPE-1"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "Asked the child&#39;s team to confirm; not confirmed" in client.get(r.headers["location"]).text
    before = stored(web)
    long = "x" * 4001
    r = client.post("/schemes/new", data={**DVDS_FORM, "csrf_token": csrf, "concern": long})
    assert r.status_code == 422 and "Use 4,000 characters or fewer (this has 4,001)" in r.text
    assert r.text.count(long) == 1  # kept in the box, not echoed into the summary
    assert stored(web) == before
    assert not web.events("access_refused")  # a mistyped reference is a form error, not a refusal


def test_the_services_own_rule_refusal_is_shown_with_its_hint(web: WebKit, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the page's checks ever miss one of the service's rules, the service still refuses, and says why."""
    loose: dict[str, Any] = {k: v for k, v in ui_schemes.NEW_APPLICATION_FORM.items() if k != "allOf"}
    monkeypatch.setattr(ui_schemes, "NEW_APPLICATION_FORM", loose)
    client = sign_in(web, "priya")
    csrf = form_page(client)
    before = stored(web)
    data = {k: v for k, v in DVDS_FORM.items() if not k.startswith("person_at_risk")}
    r = client.post("/schemes/new", data={**data, "csrf_token": csrf})
    assert r.status_code == 422 and "govuk-error-summary" in r.text
    assert "The application needs the person at risk (R28). Name the person at risk" in r.text
    assert 'value="Alex Reed"' in r.text  # what was typed is kept
    assert stored(web) == before


@pytest.mark.parametrize("user", ["pat", "alex"])
def test_anyone_but_police_staff_is_refused_and_the_refusal_is_audited(web: WebKit, user: str) -> None:
    client = sign_in(web, user)
    csrf = csrf_of(client.get("/tasks").text)
    before = stored(web)
    page = client.get("/schemes/new")
    assert page.status_code == 403 and "This needs the police staff role" in page.text
    assert 'name="subject_name"' not in page.text
    posted = client.post("/schemes/new", data={**DVDS_FORM, "csrf_token": csrf})
    assert posted.status_code == 403 and "This needs the police staff role" in posted.text
    assert stored(web)[1:] == before[1:]
    refused = web.events("access_refused")
    assert [(e.actor_id, e.detail["path"], e.detail["method"], e.detail["status"]) for e in refused] == [
        (web.scenario.users[user], "/schemes/new", "GET", 403), (web.scenario.users[user], "/schemes/new", "POST", 403)]


def test_a_post_without_the_csrf_token_or_with_another_is_refused(web: WebKit) -> None:
    client = sign_in(web, "priya")
    form_page(client)
    before = stored(web)
    for extra in ({}, {"csrf_token": "forged"}):
        r = client.post("/schemes/new", data={**DVDS_FORM, **extra}, follow_redirects=False)
        assert r.status_code == 403 and "was not sent from a page of this service" in r.text
    assert stored(web)[1:] == before[1:]


def test_signed_out_people_are_sent_to_sign_in_first(web: WebKit) -> None:
    r = TestClient(web.client.app).get("/schemes/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/schemes/new"


def test_police_staff_ask_to_link_a_case_at_a_later_stage_and_the_team_confirms(web: WebKit) -> None:
    """R31 at any stage: an application already past its initial checks is linked from its page; the child's team
    confirms through its task, and a wrong reference reads exactly like a right one."""
    from safeshare.core.records import SchemeCaseLink
    from tests.scheme_steps import CHECKS, start

    case_id, _ = web.scenario.open_case(7)
    app_id, instance = start(web.scenario, "right_to_ask", children=[{"name": "Mia", "age": 7}])
    other_id, _ = start(web.scenario, "right_to_ask")
    web.scenario.complete(instance, "initial_checks", "priya", CHECKS)  # now at the face-to-face stage
    with web.app.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        reference = case.reference
    client = sign_in(web, "priya")
    page = client.get(f"/schemes/{app_id}").text
    assert f'href="/schemes/{app_id}/link"' in page and "Link this application to a child" in page
    form = client.get(f"/schemes/{app_id}/link").text
    assert 'name="case_reference"' in form
    empty = client.post(f"/schemes/{app_id}/link", data={"csrf_token": csrf_of(form), "case_reference": ""})
    assert empty.status_code == 422 and "There is a problem" in empty.text
    r = client.post(
        f"/schemes/{app_id}/link", data={"csrf_token": csrf_of(form), "case_reference": reference},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/schemes/{app_id}"
    wrong = client.post(
        f"/schemes/{other_id}/link", data={"csrf_token": csrf_of(form), "case_reference": "C-99-99"},
        follow_redirects=False,
    )
    assert wrong.status_code == 303
    seen = [client.get(f"/schemes/{i}").text for i in (app_id, other_id)]
    assert all("Asked the child&#39;s team to confirm; not confirmed" in p for p in seen)
    with web.app.db.read() as s:
        link = s.scalars(select(SchemeCaseLink).where(SchemeCaseLink.application_id == app_id)).one()
        assert link.case_id == case_id and link.instance_id is not None
        link_instance = link.instance_id
        assert s.get(SchemeApplication, app_id).linked_case_id is None  # not before the team confirms
    web.scenario.complete(link_instance, "confirm_case_link", "max", {"link_confirmed": True})
    with web.app.db.read() as s:
        assert s.get(SchemeApplication, app_id).linked_case_id == case_id
    after = client.get(f"/schemes/{app_id}").text
    assert f"{reference}, confirmed by the child" in after and f'href="/schemes/{app_id}/link"' not in after
    # a second link once linked is refused on the form, in words
    again = client.post(
        f"/schemes/{app_id}/link", data={"csrf_token": csrf_of(form), "case_reference": reference}
    )
    assert again.status_code == 422 and "already linked" in again.text


def test_a_practitioner_asks_the_police_to_consider_right_to_know_from_the_case(web: WebKit) -> None:
    """R29: the partner agency's own entry point, on the case; the police queue shows who asked."""
    case_id, _ = web.scenario.open_case(7)
    client = sign_in(web, "pat")
    assert f'href="/cases/{case_id}/right-to-know"' in client.get(f"/cases/{case_id}").text
    page = client.get(f"/cases/{case_id}/right-to-know").text
    assert "Ask the police to consider a disclosure (right to know)" in page
    before = stored(web)
    empty = client.post(f"/cases/{case_id}/right-to-know", data={"csrf_token": csrf_of(page)})
    assert empty.status_code == 422 and 'href="#person_at_risk_name"' in empty.text and stored(web) == before
    r = client.post(
        f"/cases/{case_id}/right-to-know",
        data={
            "csrf_token": csrf_of(page),
            "person_at_risk_name": "Sam Taylor",
            "subject_name": "Alex Reed",
            "concern": "Mother disclosed he hit her; two police call-outs this month",
            "contact": "07700 900123",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}"
    with web.app.db.read() as s:
        application = s.scalars(select(SchemeApplication)).one()
        assert (application.route, application.linked_case_id) == ("right_to_know", case_id)
        assert application.person_at_risk == {"name": "Sam Taylor"} and application.subject == {"name": "Alex Reed"}
    assert client.get(f"/schemes/{application.id}").status_code == 404  # a police record: not for the practitioner
    police = sign_in(web, "priya")
    queue = police.get("/queues/police").text
    assert application.reference in queue and "Asked by " in queue
    shown = police.get(f"/schemes/{application.id}").text
    assert "A partner agency, from a child&#39;s safeguarding case" in shown and "07700 900123" in shown
    assert "Confirmed by the child" in shown or "confirmed by the child" in shown
    # police staff and another team cannot use the case's page
    assert police.get(f"/cases/{case_id}/right-to-know").status_code in (403, 404)
