"""Journeys through the pages added for issue 12 (h/pages), each step by the role that does it: a practitioner
opens a case (bad answers first), adds a parent with parental responsibility and another person, records
parental responsibility for them, starts an episode and records a significant change; a manager reads their
messages and marks them read; a manager who answers after escalation is told it went to the senior manager.
Every page shot is checked by axe-core and at 320 px wide (``shoot``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from safeshare.core.records import AuditEvent, Case, ParentalResponsibility, Person, ProcessInstance
from safeshare.services import sharing
from tests.browser.conftest import Site, assert_accessible, assert_no_sideways_scroll, shoot


def test_a_practitioner_opens_a_case_adds_people_and_records_a_significant_change(site: Site) -> None:
    page = site.page_as("pat")
    page.get_by_role("link", name="Cases").click()
    page.get_by_role("button", name="Open a case").click()
    page.get_by_role("heading", name="Open a case").wait_for()
    shoot(page, "pages-01-open-a-case")

    page.get_by_label("Case reference").fill("NC-2026-0042")
    page.get_by_label("Child's full name").fill("Dana Lee")
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("1990")
    page.get_by_role("button", name="Open the case").click()
    page.locator(".govuk-error-summary").wait_for()
    assert page.get_by_role("link", name="Dana Lee would be 36 on that date of birth").is_visible()
    assert page.get_by_label("Case reference").input_value() == "NC-2026-0042"  # answers kept
    shoot(page, "pages-02-open-a-case-adult-refused")

    page.get_by_label("Year").fill("2016")
    page.get_by_role("button", name="Open the case").click()
    page.get_by_role("heading", name="People").wait_for()
    assert page.get_by_text("Case NC-2026-0042", exact=True).is_visible()
    shoot(page, "pages-03-case-opened")

    page.get_by_role("link", name="Add a person to the case").click()
    page.get_by_role("button", name="Add the person").click()
    page.locator(".govuk-error-summary").wait_for()
    shoot(page, "pages-04-add-person-errors")
    page.get_by_label("Full name").fill("Jo Lee")
    page.get_by_label("Mother").check()
    page.get_by_role("group", name="Does this person have parental responsibility").get_by_label("Yes").check()
    page.get_by_role("button", name="Add the person").click()
    page.get_by_role("heading", name="People").wait_for()

    page.get_by_role("link", name="Add a person to the case").click()
    page.get_by_label("Full name").fill("Sam Lee")
    page.get_by_label("Someone else").check()
    page.get_by_label("How are they related to Dana Lee?").fill("Stepfather")
    page.get_by_role("group", name="Does this person have parental responsibility").get_by_label("No").check()
    shoot(page, "pages-05-add-person-someone-else")
    page.get_by_role("button", name="Add the person").click()
    page.get_by_role("heading", name="People").wait_for()

    page.get_by_role("link", name="Record parental responsibility for someone on the case").click()
    page.get_by_role("heading", name="Record parental responsibility").wait_for()
    shoot(page, "pages-06-record-parental-responsibility")
    page.get_by_label("Sam Lee").check()
    page.get_by_role("button", name="Record parental responsibility").click()
    page.get_by_role("heading", name="People").wait_for()
    people = page.get_by_test_id("people")
    assert people.get_by_role("row", name="Sam Lee").get_by_text("Yes").is_visible()

    page.get_by_label("What is the new episode of work for?").fill("Assessment of needs")
    page.get_by_role("button", name="Start an episode").click()
    page.wait_for_url("**/tasks/**")
    page.goto(page.url.split("/tasks/")[0] + "/cases")
    page.get_by_role("link", name="NC-2026-0042").click()
    page.get_by_role("link", name="Record a significant change").click()
    page.get_by_role("heading", name="Record a significant change").wait_for()
    page.get_by_label("What has changed?").fill("moved")
    page.get_by_role("button", name="Record the change and seek consent again").click()
    page.locator(".govuk-error-summary").wait_for()
    shoot(page, "pages-07-significant-change-error")
    page.get_by_label("What has changed?").fill("The family moved to another area")
    page.get_by_role("button", name="Record the change and seek consent again").click()
    page.wait_for_url("**/tasks/**")
    shoot(page, "pages-08-fresh-consent-task")

    with site.app.db.read() as s:
        case = s.scalars(select(Case).where(Case.reference == "NC-2026-0042")).one()
        names = {p.id: p.full_name for p in s.scalars(select(Person).where(Person.case_id == case.id))}
        holders = {names[h] for h in s.scalars(select(ParentalResponsibility.holder_id))}
        assert holders == {"Jo Lee", "Sam Lee"}
        kinds = [e.event_type for e in s.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))]
        for kind in ("case_opened", "person_added", "parental_responsibility_recorded", "consent_superseded"):
            assert kind in kinds
        starts = s.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).all()
        assert [i.process_id for i in starts] == ["consent_seeking", "consent_seeking"]


def test_a_late_manager_reads_the_escalation_message_and_is_told_who_has_the_task(site: Site) -> None:
    case_id, _ = site.scenario.open_case(14)
    app = site.app
    with app.transaction() as s:
        instance = sharing.start_manager_consultation(
            app,
            s,
            site.scenario.user(s, "pat"),
            case_id,
            urgency="immediate_risk",
            question="May I tell the school nurse about the bruises?",
        ).id
    old_task = site.scenario.task(instance, "give_advice").task_id
    app.clock.advance(timedelta(minutes=61))  # type: ignore[attr-defined]
    with app.transaction() as s:  # the reminder
        row = s.get(ProcessInstance, instance)
        assert row is not None
        app.engine.fire_due_timers(s, app.clock, row)

    page = site.page_as("max")
    page.goto(f"{site.base_url}/tasks/{old_task}")
    page.get_by_role("heading", name="Give advice").first.wait_for()
    app.clock.advance(timedelta(minutes=60))  # type: ignore[attr-defined]
    with app.transaction() as s:  # the deadline passes while the page is open: escalated
        row = s.get(ProcessInstance, instance)
        assert row is not None
        app.engine.fire_due_timers(s, app.clock, row)

    page.get_by_role("button", name="Submit").click()  # the manager answers the page left open
    page.get_by_text("escalated to a senior manager because its deadline passed").wait_for()
    assert page.get_by_text("It is now with the senior managers of North").is_visible()
    assert page.get_by_text("No open task").count() == 0
    shoot(page, "pages-11-answered-after-escalation")

    page.get_by_role("link", name="Messages").click()
    page.get_by_role("heading", name="Messages").wait_for()
    assert page.locator(".app-unread-count").is_visible()
    shoot(page, "pages-09-messages-unread")
    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_text("You have read all your messages.").wait_for()
    assert page.locator(".app-unread-count").count() == 0
    shoot(page, "pages-10-messages-read")


def test_reports_and_exports_are_offered_only_to_those_who_may_use_them(site: Site) -> None:
    pat = site.page_as("pat")
    pat.get_by_role("link", name="Exports").click()
    pat.get_by_role("heading", name="Exports").first.wait_for()
    assert pat.get_by_role("link", name="Reports").count() == 0
    shoot(pat, "pages-12-exports-practitioner")
    max_ = site.page_as("max")
    max_.get_by_role("link", name="Reports").click()
    max_.get_by_role("heading", name="Reports").first.wait_for()
    shoot(max_, "pages-13-reports-manager")


def test_the_page_checks_fail_on_an_inaccessible_page_and_on_one_that_scrolls_sideways(browser: Browser) -> None:
    """The checks ``shoot`` runs can fail: an image without alternative text, a page wider than 320 px."""
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main><h1>t</h1>"
        "<img src='data:,'></main></body></html>"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "deliberately-bad")
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main><h1>t</h1>"
        "<div style='width: 600px'>wide</div></main></body></html>"
    )
    with pytest.raises(AssertionError, match="scrolls sideways at 320 px"):
        assert_no_sideways_scroll(page, "deliberately-wide")
    assert page.viewport_size == {"width": 1200, "height": 900}  # put back as it was
    page.context.close()


def test_an_export_is_asked_for_in_words_and_the_agency_it_is_for_must_be_named(site: Site) -> None:
    """Who an export is for is a choice of words (no codes to type); "Another agency" reveals its name, which
    the server still requires: asked beside the question, the choice kept, nothing exported or audited."""
    pat = site.page_as("pat")
    pat.set_default_timeout(10_000)
    pat.get_by_role("link", name="Exports").click()
    who = pat.get_by_role("group", name="Who is the export for?")
    assert "service_user" not in pat.locator("main").inner_text()
    assert who.get_by_label("Staff of this partnership").is_checked()
    who.get_by_label("Another agency").check()
    pat.get_by_label("Case reference (optional)").fill("C-0000")
    pat.get_by_role("button", name="Download").click()
    summary = pat.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter the name of the agency the export is for" in summary.inner_text()
    who = pat.get_by_role("group", name="Who is the export for?")
    assert who.get_by_label("Another agency").is_checked()  # the answers are kept
    assert pat.get_by_label("Case reference (optional)").input_value() == "C-0000"
    pat.get_by_label("Case reference (optional)").fill("")
    shoot(pat, "pages-14-exports-agency-not-named")
    with site.app.db.read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "export_made")).all() == []
    who.get_by_label("Which agency?").fill("CAMHS")
    start = pat.get_by_role("group", name="Start date (optional)")  # a date that is not real: its own error
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    start.get_by_label("Year").fill("2026")
    pat.get_by_role("button", name="Download").click()
    link = pat.locator(".govuk-error-summary").get_by_role("link", name="The start date must be a real date")
    link.wait_for()
    assert link.get_attribute("href") == "#from-day" and "YYYY" not in pat.locator("main").inner_text()
    who = pat.get_by_role("group", name="Who is the export for?")
    assert who.get_by_label("Which agency?").input_value() == "CAMHS"  # the answers are kept
    shoot(pat, "pages-15-exports-date-not-real")
    link.click()
    assert pat.evaluate("document.activeElement.id") == "from-day"
    pat.get_by_role("group", name="Start date (optional)").get_by_label("Month").fill("3")
    pat.get_by_label("Format", exact=True).select_option(label="JSON")
    with pat.expect_download() as download:
        pat.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename.endswith(".json")
    with site.app.db.read() as s:
        made = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "export_made")).one()
    assert made.detail["filters"]["audience"] == "agency:CAMHS"
