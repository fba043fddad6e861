"""In real headless Chromium: police staff record a DVDS face-to-face meeting, answering "Has a photo?" for each
identity document seen with the Yes/No radios of its row, are told which row's answer is missing, correct it,
and the application moves on to the full risk assessment."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests import scheme_steps
from tests.browser.conftest import Site, choose, shoot

NOTES = "Met at the station; relationship of 8 months; two children at home"


def photo_question(page: Page, row: int) -> Locator:
    """Row ``row``'s "Has a photo?" (the rows share their questions' words, so found by row)."""
    return page.get_by_role("group", name="Has a photo?").nth(row)


def test_police_staff_record_the_documents_seen_at_the_face_to_face_meeting(site: Site) -> None:
    application_id, instance = scheme_steps.start(site.scenario, "right_to_ask")
    site.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    reference = scheme_steps.application(site.scenario, application_id).reference
    page = site.page_as("priya")
    page.get_by_role("link", name="Police queue").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Face-to-face meeting with the applicant").click()
    page.get_by_role("heading", name="Face-to-face meeting with the applicant").wait_for()
    assert page.get_by_role("group", name="Identity documents seen").is_hidden()  # asked once identity is verified
    choose(page, "Was the applicant's identity verified?", "Yes")
    assert photo_question(page, 0).get_by_role("radio").count() == 2
    assert page.locator("#identity_documents-0-document option").first.inner_text() == "Choose one"
    shoot(page, "19-face-to-face-form")

    page.locator("#identity_documents-0-document").select_option(label="Passport")
    photo_question(page, 0).get_by_label("Yes").check()
    page.locator("#identity_documents-1-document").select_option(label="Utility bill")  # its photo left out
    page.get_by_label("What happened at the meeting?").fill(NOTES)
    page.get_by_role("button", name="Submit").click()

    page.get_by_role("heading", name="There is a problem").wait_for()
    summary = page.locator(".govuk-error-summary")
    missing_photo = "Identity documents seen: Document 2: Select an answer to “Has a photo?”"
    summary_link = summary.get_by_role("link", name=missing_photo)
    assert "This field is required" not in summary.inner_text()
    assert photo_question(page, 0).get_by_label("Yes").is_checked()  # what was given is kept
    assert page.locator("#identity_documents-1-document").input_value() == "utility_bill"
    assert "Select an answer to “Has a photo?”" in page.locator("#identity_documents-1-has_photo-error").inner_text()
    shoot(page, "20-face-to-face-with-errors")

    summary_link.click()
    assert page.evaluate("document.activeElement.id") == "identity_documents-1-has_photo"
    photo_question(page, 1).get_by_label("No").check()
    page.get_by_role("button", name="Submit").click()

    page.get_by_text("Face-to-face meeting with the applicant: done").wait_for()
    shoot(page, "21-face-to-face-done")
    check = scheme_steps.application(site.scenario, application_id).identity_check
    assert check is not None and check["verified"] is True and check["notes"] == NOTES
    assert check["documents"] == [{"document": "passport", "has_photo": True},
                                  {"document": "utility_bill", "has_photo": False}]
    assert [t.task_spec for t in site.scenario.open_tasks(instance)] == ["full_risk_assessment"]
