"""In real headless Chromium, the data protection officer's whole subject access journey, through pages only:
record the request (a date that does not exist is named and corrected), read the collated reply with what is
withheld and why, extend the time limit with the reason, sign the reply off, and record it as sent."""

from __future__ import annotations

from playwright.sync_api import Page

from safeshare.core.records import Role, SubjectAccessRequest
from safeshare.services import accounts, directory
from tests.browser.conftest import PASSWORD, Site, shoot


def _type_date(page: Page, name: str, day: str, month: str, year: str) -> None:
    page.locator(f"#{name}-day").fill(day)
    page.locator(f"#{name}-month").fill(month)
    page.locator(f"#{name}-year").fill(year)


def test_the_officer_answers_a_subject_access_request_in_the_browser(site: Site) -> None:
    app, scenario = site.app, site.scenario
    with app.transaction() as s:
        dana = directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER])
        accounts.set_password(app, s, None, dana, PASSWORD)
    scenario.open_case(15)
    page = site.page_as("dana")
    page.get_by_role("link", name="Subject access").click()
    page.get_by_role("button", name="Record a request").click()
    page.get_by_label("Who is making the request?").fill("Parent 1")
    page.get_by_label("The person the records are about", exact=True).check()
    page.get_by_label("What is the full name of the person the records are about?").fill("Parent 1")
    _type_date(page, "received_on", "31", "2", "2026")
    _type_date(page, "identity_checked_on", "23", "11", "2026")
    page.get_by_label("How was their identity checked?").fill("Passport and a council tax bill seen")
    page.get_by_role("button", name="Record the request").click()

    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "Enter a real date, for example 27 3 2026" in page.locator(".govuk-error-summary").inner_text()
    shoot(page, "sar-01-request-with-errors")
    _type_date(page, "received_on", "20", "11", "2026")
    page.get_by_role("button", name="Record the request").click()

    page.get_by_role("heading", name="SAR-2026-0001: Parent 1").wait_for()
    assert "23 December 2026" in page.get_by_test_id("subject-access-request").inner_text()
    withheld = page.get_by_test_id("subject-access-withheld").inner_text()
    assert "third parties" in withheld
    shoot(page, "sar-02-request-and-collated-reply")

    page.get_by_role("link", name="Sign off the subject access reply").click()
    page.get_by_label("Extend the time limit by two months").check()
    page.get_by_label("Why is the request complex or numerous?").fill("Records are held by three teams over ten years")
    shoot(page, "sar-03-extend")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Sign off the subject access reply: done").wait_for()

    page.goto(f"{site.base_url}/subject-access/1")
    assert "23 February 2027" in page.get_by_test_id("subject-access-request").inner_text()
    page.get_by_role("link", name="Sign off the subject access reply").click()
    page.get_by_label("Sign it off to be sent").check()
    page.get_by_role("group", name="Have you checked each item withheld and the reason given?").get_by_label(
        "Yes"
    ).check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Sign off the subject access reply: done").wait_for()

    page.get_by_role("link", name="My tasks", exact=True).click()
    page.get_by_role("link", name="Record the reply as sent").click()
    _type_date(page, "sent_on", "23", "11", "2026")
    page.get_by_label("By secure email").check()
    page.get_by_label("Who was it sent to, and at what address?").fill("Parent 1, parent1@example.org")
    shoot(page, "sar-04-record-sent")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Record the reply as sent: done").wait_for()

    page.goto(f"{site.base_url}/subject-access/1")
    details = page.get_by_test_id("subject-access-request").inner_text()
    assert "Sent" in details and "by secure email" in details
    shoot(page, "sar-05-sent")
    with app.db.read() as s:
        row = s.get(SubjectAccessRequest, 1)
        assert row is not None and row.status == "sent" and row.reply_sha256
