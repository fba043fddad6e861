"""In real headless Chromium, right to know as a partner agency's own journey (R29) and its outcome back on the
child's case (R31): a practitioner asks the police from the case to consider a disclosure; police staff find it
in their queue, marked with the agency that asked; when the police have finished (their stages set up through
the task service, driven on their pages in the other scheme journeys), the practitioner's task list holds a task
on the case to review the outcome, which shows the outcome in words and no police intelligence.
"""

from __future__ import annotations

from tests import scheme_steps
from tests.browser.conftest import Site, shoot
from tests.test_scheme_links import DECIDE

CONCERN = "Mother told me he hit her last week; two police call-outs to the home this month"


def test_a_practitioner_asks_for_right_to_know_and_the_team_reviews_the_outcome(site: Site) -> None:
    case_id, _ = site.scenario.open_case(6)
    page = site.page_as("pat")
    page.goto(f"{site.base_url}/cases/{case_id}")
    page.get_by_role("link", name="Ask the police to consider a disclosure (right to know)").click()
    page.get_by_role("heading", name="Ask the police to consider a disclosure (right to know)").wait_for()
    page.get_by_role("button", name="Send to the police").click()  # nothing answered yet
    page.locator(".govuk-error-summary").wait_for()
    assert page.locator(".govuk-error-summary").count() == 1
    shoot(page, "49-right-to-know-with-errors")
    page.get_by_label("Full name of the person you believe is at risk").fill("Sam Taylor")
    page.get_by_label("Safe way for the police to contact them").fill("Through her GP surgery only")
    page.get_by_label("Full name of the person they are at risk from").fill("Alex Reed")
    page.get_by_label("Why do you believe they are at risk?").fill(CONCERN)
    page.get_by_label("How can the police reach you?").fill("07700 900123, weekdays")
    shoot(page, "50-right-to-know-form")
    page.get_by_role("button", name="Send to the police").click()
    page.wait_for_url(f"{site.base_url}/cases/{case_id}")
    assert "Asked the police to consider a disclosure under right to know" in page.content()

    police = site.page_as("priya")
    police.get_by_role("link", name="Police queue").click()
    row = police.locator("tr", has_text="DVDS right to know")
    assert "Asked by" in row.inner_text()
    shoot(police, "51-police-queue-right-to-know-from-an-agency")
    row.get_by_role("link").first.click()
    police.get_by_role("heading", name="Application DVDS-").wait_for()
    assert "A partner agency, from a child" in police.content().replace("&#39;", "'")
    shoot(police, "52-right-to-know-application-asked-by-an-agency")

    # The police's stages, to a disclosure with a safety plan (the agency's request started their process).
    application = scheme_steps.application(site.scenario, int(police.url.rsplit("/", 1)[1]))
    assert application.instance_id is not None
    scheme_steps.to_decision(site.scenario, application.instance_id)
    site.scenario.complete(application.instance_id, "decide_disclosure", "priya", DECIDE)
    site.scenario.complete(application.instance_id, "disclosure_meeting", "priya", scheme_steps.MEETING)

    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("link", name="Review the outcome of a police disclosure application").click()
    page.get_by_role("heading", name="Review the outcome of a police disclosure application").wait_for()
    text = page.content().replace("&#39;", "'")
    assert "Police made a disclosure, in person" in text and "IDVA referral, MARAC, target-hardening" in text
    assert "Convictions for violence" not in text and "Two convictions" not in text  # no police intelligence
    page.get_by_label("Update the child's plan").check()
    page.get_by_label("Why did you choose this, and what happens next?").fill(
        "Add the safety plan's steps to the plan at Friday's review")
    shoot(page, "53-review-the-police-outcome")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Review the outcome of a police disclosure application: done").wait_for()
    page.goto(f"{site.base_url}/cases/{case_id}/chronology")
    assert "Police disclosure outcome reviewed" in page.content()
    shoot(page, "54-chronology-with-the-reviewed-outcome")
