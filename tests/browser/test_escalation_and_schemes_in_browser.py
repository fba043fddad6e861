"""In real headless Chromium: a manager consultation escalates when its deadline passes (timers driven by the
sweep on the test clock) and the senior manager approves sharing; police staff move a DVDS right-to-ask
application on from its first stage."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safeshare.core.clock import FixedClock
from safeshare.core.records import ManagerAdvice, OpenTask, SchemeApplication
from safeshare.services import schemes
from tests.browser.conftest import Site, shoot
from workflows.timer_sweep import sweep_due_timers


def test_a_senior_manager_sees_the_escalation_and_approves_it(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    pat = site.page_as("pat")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_label("Ask a manager for advice").fill("Should we tell the school about the bruising on his arm?")
    pat.get_by_label("Urgency").select_option("standard")
    pat.get_by_role("button", name="Ask for advice").click()
    pat.wait_for_url(f"{site.base_url}/cases/{case_id}")
    with site.app.db.read() as s:
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["give_advice"]

    clock = site.app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=2, minutes=1))  # Monday 09:00 + 2 working days: the manager's deadline passed
    sweep_due_timers(site.app)
    with site.app.db.read() as s:
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["give_escalated_advice"]

    sue = site.page_as("sue")
    sue.get_by_role("link", name="Manager queue").click()
    row = sue.locator("tr", has_text="Give escalated advice on sharing")
    assert "Escalation" in row.inner_text()
    shoot(sue, "10-manager-queue-escalation")
    row.get_by_role("link", name="Give escalated advice on sharing").click()
    sue.get_by_label("Share", exact=True).check()
    sue.get_by_label("Your reasons").fill("Significant harm is likely; the school must know today (R12)")
    shoot(sue, "11-escalated-advice-form")
    sue.get_by_role("button", name="Submit").click()
    sue.get_by_text("Give escalated advice on sharing: done").wait_for()
    with site.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
        assert (advice.decision, advice.escalated, advice.within_deadline) == ("share", True, True)
    sue.goto(f"{site.base_url}/cases/{case_id}")
    sue.get_by_text("Significant harm is likely; the school must know today (R12)").wait_for()
    shoot(sue, "12-case-with-advice")


def test_police_staff_move_a_dvds_right_to_ask_application_on(site: Site) -> None:
    with site.app.transaction() as s:
        application, _ = schemes.start_application(
            site.app, s, site.scenario.user(s, "priya"), route="right_to_ask",
            applicant={"name": "Sam Taylor", "safe_contact": "mobile, texts only"},
            subject={"name": "Alex Reed", "date_of_birth": "1990-04-01"}, person_at_risk={"name": "Sam Taylor"},
            concern="Partner has become controlling and threatened violence",
        )
        reference, application_id = application.reference, application.id
    page = site.page_as("priya")
    page.get_by_role("link", name="Police queue").click()
    row = page.locator("tr", has_text=reference)
    assert "Initial checks and risk assessment" in row.inner_text() and "Due within a day" in row.inner_text()
    shoot(page, "13-police-queue")
    row.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Application {reference}").wait_for()
    shoot(page, "14-dvds-application")
    page.get_by_role("link", name="Initial checks and risk assessment").click()
    page.locator("#crime_reported-2").check()  # No
    page.locator("#immediate_risk-2").check()  # No
    page.get_by_label("Medium").check()
    page.locator("#checks-0-source").select_option(label="Police National Computer (PNC)")
    page.locator("#checks-0-checked_by").fill("DC Priya Shah")
    page.locator("#checks-0-checked_on").fill("23 November 2026")
    page.locator("#checks-0-result").select_option(label="Nothing found")
    page.get_by_label("What did the checks show?").fill("PNC, local intelligence and children's services checked")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Initial checks and risk assessment: done").wait_for()
    page.goto(f"{site.base_url}/queues/police")
    row = page.locator("tr", has_text=reference)
    assert "Face-to-face meeting" in row.inner_text()
    shoot(page, "15-police-queue-moved-on")
    with site.app.db.read() as s:
        stored = s.get(SchemeApplication, application_id)
        assert stored is not None and stored.initial_checks is not None
        assert stored.initial_checks.get("initial_risk_level") == "medium"
