"""In real headless Chromium: police staff start a DVDS right-to-ask application from the police queue, are
told what is missing, correct it, and land on the new application's page."""

from __future__ import annotations

from sqlalchemy import select

from safeshare.core.records import ProcessInstance, SchemeApplication
from tests.browser.conftest import Site, shoot

# What the officer types first (labels as shown), leaving out the person at risk a DVDS application needs.
FIRST_ANSWERS = {
    "Applicant's full name": "Sam Taylor",
    "Safe way to contact the applicant": "Mobile, texts only",
    "Subject's full name": "Alex Reed",
    "Subject's date of birth": "1 April 1990",
    "What is the concern?": "Partner has become controlling and threatened violence",
}
# Then, after following the error summary: the missing answer and a child in the family.
CORRECTIONS = {
    "#person_at_risk_name": "Sam Taylor",
    "#person_at_risk_relationship": "Partner",
    "#children-0-name": "Mia Taylor",
    "#children-0-age": "6",
}


def test_police_staff_record_a_right_to_ask_application_in_the_browser(site: Site) -> None:
    page = site.page_as("priya")
    page.get_by_role("link", name="Police queue").click()
    shoot(page, "16-police-queue-empty")
    page.get_by_role("button", name="Start an application").click()
    page.get_by_role("heading", name="Start an application").wait_for()
    page.get_by_label("Domestic Violence Disclosure Scheme (DVDS): right to ask").check()
    for label, answer in FIRST_ANSWERS.items():
        page.get_by_label(label).fill(answer)
    page.get_by_role("button", name="Start the application").click()

    # The person at risk was left out: the summary says so and links to the question.
    page.get_by_role("heading", name="There is a problem").wait_for()
    summary_link = page.locator(".govuk-error-summary").get_by_role("link",
                                                                     name="Enter full name of the person at risk")
    assert summary_link.count() == 1
    assert page.get_by_label("Subject's full name").input_value() == "Alex Reed"  # kept
    shoot(page, "17-new-application-with-errors")
    with site.app.db.read() as s:
        assert s.scalars(select(SchemeApplication)).first() is None

    summary_link.click()
    for selector, answer in CORRECTIONS.items():
        page.locator(selector).fill(answer)
    page.get_by_role("button", name="Start the application").click()

    page.get_by_role("heading", name="Application DVDS-").wait_for()
    with site.app.db.read() as s:
        application = s.scalars(select(SchemeApplication)).one()
        instance = s.get(ProcessInstance, application.instance_id)
        assert instance is not None and instance.process_id == "dvds_right_to_ask"
        assert application.children == [{"name": "Mia Taylor", "age": "6"}]
    assert page.url == f"{site.base_url}/schemes/{application.id}"
    assert page.get_by_role("link", name="Initial checks and risk assessment").is_visible()
    shoot(page, "18-new-application-recorded")
