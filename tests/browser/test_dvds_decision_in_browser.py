"""In real headless Chromium, the decision on a DVDS right-to-ask application (P7, R35), by the police officer
who records it: the task shows what the application says beside the form; the questions that apply only to a
disclosure, or only to someone else receiving it, appear when they apply; the day the forum met is asked as
day, month and year and refused when it has not come yet; the decision is credited to the forum's meeting.
The earlier stages are set up through the task service (they are driven on their pages in the other journeys).
"""

from __future__ import annotations

from playwright.sync_api import Page

from tests import scheme_steps
from tests.browser.conftest import Site, choose, shoot


def yes(page: Page, question: str) -> None:
    choose(page, question, "Yes")


def test_the_forum_decides_to_disclose_to_the_person_at_risk(site: Site) -> None:
    app_id, instance = scheme_steps.start(site.scenario, "right_to_ask")
    scheme_steps.to_decision(site.scenario, instance)
    page = site.page_as("priya")
    page.set_default_timeout(10_000)
    page.goto(f"{site.base_url}/schemes/{app_id}")
    page.get_by_role("link", name="Decision forum: decide on disclosure").click()
    page.get_by_role("heading", name="Decision forum: decide on disclosure").wait_for()
    summary = page.locator(".govuk-summary-list").first
    for fact in ("Sam Taylor", "Alex Reed", "1 April 1990", "Partner has become controlling and threatened violence"):
        assert fact in summary.inner_text()

    forum = page.get_by_role("group", name="Who decided?")
    forum.get_by_label("MARAC", exact=True).check()
    assert page.get_by_label("Why could this not wait for the forum?").is_hidden()
    met = page.get_by_role("group", name="When did the forum meet?")
    for box, value in (("Day", "24"), ("Month", "11"), ("Year", "2026")):  # tomorrow: the test clock says 23 Nov
        met.get_by_label(box, exact=True).fill(value)
    page.locator("#attendees-0-name").fill("DC Priya Shah")
    page.locator("#attendees-0-agency").fill("Police")
    page.get_by_role("button", name="Add another attendee").click()
    page.locator("#attendees-1-name").fill("Ruth Adebayo")
    page.locator("#attendees-1-agency").fill("IDVA service")
    recipient = page.get_by_role("group", name="Who will receive the disclosure?")
    assert recipient.is_hidden()  # asked only once the decision is to disclose
    yes(page, "Was the decision to make a disclosure?")
    for question in ("Is disclosure lawful?", "Is disclosure necessary to protect the person at risk?",
                     "Is disclosure proportionate?"):
        yes(page, question)
    page.get_by_label("What is the pressing need?").fill("Escalating threats; she plans to move in with him")
    recipient.get_by_label("The person at risk", exact=True).check()
    assert page.get_by_label("What is their full name?").is_hidden()  # asked only when someone else receives it
    page.get_by_label("What is the safety plan?").fill(
        "IDVA referral, MARAC safety plan, target-hardening at her address")
    page.get_by_label("Why did the forum decide this?").fill(
        "Two convictions for violence against former partners; the risk is rising")
    page.get_by_role("button", name="Submit").click()

    summary_box = page.locator(".govuk-error-summary")
    summary_box.wait_for()
    assert "The day the forum met must be today or in the past" in summary_box.inner_text()
    assert met.get_by_label("Day", exact=True).input_value() == "24"  # kept as typed
    assert page.get_by_label("What is the pressing need?").input_value().startswith("Escalating threats")
    shoot(page, "55-dvds-decision-forum-met-tomorrow")
    met.get_by_label("Day", exact=True).fill("20")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Decision forum: decide on disclosure: done").wait_for()

    decision = scheme_steps.application(site.scenario, app_id).decision
    assert decision is not None
    assert decision["decided_by"] == "MARAC, meeting of 20 November 2026"
    assert (decision["disclose"], decision["recipient"]["party"]) == (True, "person_at_risk")
    assert [a["agency"] for a in decision["attendees"]] == ["Police", "IDVA service"]
    page.goto(f"{site.base_url}/schemes/{app_id}")
    page.get_by_role("link", name="Disclosure meeting: verify the recipient and disclose").click()
    page.get_by_role("heading", name="Disclosure meeting: verify the recipient and disclose").wait_for()
    decided = "Disclose to Sam Taylor (the person at risk), decided by MARAC, meeting of 20 November 2026"
    assert decided in page.locator(".govuk-summary-list").first.inner_text()  # whose identity to check
    assert page.get_by_role("group", name="What happens next?").is_hidden()  # asked only if not verified
    choose(page, "Was the recipient's identity verified?", "No")
    page.get_by_role("group", name="What happens next?").wait_for()
    assert page.get_by_label("What was disclosed?").is_hidden()
    shoot(page, "56-dvds-disclosure-meeting-identity-not-verified")
