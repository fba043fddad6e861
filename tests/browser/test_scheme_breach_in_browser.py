"""In real headless Chromium, a suspected breach of a signed undertaking (R45): police staff report it from an
application disclosed with a signed undertaking, a police supervisor decides what to do and why from their
task list, and the application page shows the report and the decision.

The application's stages up to the disclosure are set up through the task service (their pages are driven in
the other scheme journeys); every step this journey is about is taken on its page.
"""

from __future__ import annotations

from tests import scheme_steps
from tests.browser.conftest import PASSWORD, Site, shoot
from tests.test_scheme_links import DECIDE

WHAT = "She told his new partner's sister what was disclosed, at a family party on 2 December"
HOW = "The sister rang the police on 3 December"
REASONS = "A first breach, made to warn someone she believed at risk; a written reminder protects her safety"


def test_a_suspected_breach_is_reported_and_a_police_supervisor_decides(site: Site) -> None:
    from safeshare.services import accounts

    scheme_steps.add_supervisor(site.scenario)
    with site.app.transaction() as s:
        accounts.set_password(site.app, s, None, site.scenario.user(s, "sian"), PASSWORD)
    application_id, instance = scheme_steps.start(site.scenario, "right_to_ask")
    scheme_steps.to_decision(site.scenario, instance)
    decide = {k: v for k, v in DECIDE.items() if k != "impact_on_children"}
    site.scenario.complete(instance, "decide_disclosure", "priya", decide)
    site.scenario.complete(instance, "disclosure_meeting", "priya", scheme_steps.MEETING)
    reference = scheme_steps.application(site.scenario, application_id).reference

    page = site.page_as("priya")
    page.get_by_role("link", name="Police queue").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Report a suspected breach of the undertaking").click()
    page.get_by_role("heading", name="Report a suspected breach of the undertaking").wait_for()
    page.get_by_role("button", name="Report the suspected breach").click()  # nothing answered yet
    page.get_by_role("heading", name="There is a problem").wait_for()
    shoot(page, "44-breach-report-with-errors")
    page.get_by_label("What is the suspected breach?").fill(WHAT)
    page.get_by_label("How did it come to light?").fill(HOW)
    shoot(page, "45-breach-report-form")
    page.get_by_role("button", name="Report the suspected breach").click()
    page.get_by_role("heading", name="Suspected breaches of the undertaking").wait_for()
    assert "Waiting for a police supervisor's decision" in page.content().replace("&#39;", "'")
    shoot(page, "46-breach-waiting-for-supervisor")

    supervisor = site.page_as("sian")
    supervisor.get_by_role("link", name="Decide what to do about a suspected breach of an undertaking").click()
    supervisor.get_by_role("heading", name="Decide what to do about a suspected breach of an undertaking").wait_for()
    text = supervisor.content().replace("&#39;", "'")
    assert WHAT in text and HOW in text and reference in text  # the supervisor decides on what was reported
    assert f"Police application {reference}" in text and "Disclose to" in text  # and sees what was disclosed, to whom
    assert supervisor.get_by_role("link", name="Open the application, with what has happened so far").is_visible()
    supervisor.get_by_label("Send a written warning").check()
    supervisor.get_by_label("Why did you decide this?").fill(REASONS)
    shoot(supervisor, "47-breach-supervisor-decides")
    supervisor.get_by_role("button", name="Submit").click()
    supervisor.get_by_text("Decide what to do about a suspected breach of an undertaking: done").wait_for()

    page.reload()
    decided = page.locator("li", has_text="Police decided")
    assert "Written warning" in decided.inner_text() and REASONS in decided.inner_text()
    shoot(page, "48-breach-decided-on-the-application")
