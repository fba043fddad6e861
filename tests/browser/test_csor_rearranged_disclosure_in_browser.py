"""In real headless Chromium, a CSOR application that does not stop when an identity cannot be verified: the
grandmother who applied cannot prove who she is at the face-to-face meeting, so police staff re-arrange it; at
the second meeting she can; police decide to disclose to the child's mother (the person best placed to protect
the child, who did not apply), verify the mother's identity at the disclosure meeting and disclose to her.

The initial checks and the risk assessment are set up through the task service (their pages are driven in
the DVDS journeys); every step this journey is about is taken on its page by police staff.
"""

from __future__ import annotations

from playwright.sync_api import Page

from tests import scheme_steps
from tests.browser.conftest import Site, choose, shoot

GRANDMOTHER = {"name": "Pat Moss", "relationship": "grandmother", "safe_contact": "landline, after 6pm"}
MOTHER = "Jo Taylor"


def _open_task(page: Page, reference: str, task: str) -> None:
    page.get_by_role("link", name="Police queue").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name=task).click()
    page.get_by_role("heading", name=task).wait_for()


def test_csor_identity_not_verified_then_rearranged_then_disclosed_to_the_mother(site: Site) -> None:
    application_id, instance = scheme_steps.start(site.scenario, "csor", applicant=GRANDMOTHER)
    site.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    reference = scheme_steps.application(site.scenario, application_id).reference
    page = site.page_as("priya")

    # First meeting: she has no document with a photo; the meeting is re-arranged, not left waiting.
    _open_task(page, reference, "Face-to-face meeting with the applicant")
    choose(page, "Was the applicant's identity verified?", "No")
    page.get_by_label("What happened at the meeting?").fill(
        "Met at Northfield station; she had no document with a photo")
    choose(page, "What happens next?", "Re-arrange the meeting")
    page.get_by_label("When is the new meeting?").fill("14 December, Northfield station, with her passport")
    shoot(page, "40-csor-face-to-face-not-verified")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Face-to-face meeting with the applicant: done").wait_for()
    assert [t.task_spec for t in site.scenario.open_tasks(instance)] == ["face_to_face"]
    attempts = (scheme_steps.application(site.scenario, application_id).outcome_detail or {})["unverified_meetings"]
    assert [a["next_step"] for a in attempts] == ["rearrange"]

    # Second meeting: two documents, one with a photo.
    _open_task(page, reference, "Face-to-face meeting with the applicant")
    choose(page, "Was the applicant's identity verified?", "Yes")
    page.locator("#identity_documents-0-document").select_option(label="Passport")
    page.get_by_role("group", name="Has a photo?").nth(0).get_by_label("Yes").check()
    page.locator("#identity_documents-1-document").select_option(label="Utility bill")
    page.get_by_role("group", name="Has a photo?").nth(1).get_by_label("No").check()
    page.get_by_label("What happened at the meeting?").fill("Second meeting; she brought her passport and a gas bill")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Face-to-face meeting with the applicant: done").wait_for()
    site.scenario.complete(instance, "full_risk_assessment", "priya", scheme_steps.RISK)

    # The decision: disclose to the mother, who did not apply.
    _open_task(page, reference, "Police decision on disclosure")
    for question in ("Is disclosure necessary to protect the child?", "Is disclosure proportionate?"):
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    recipient = page.get_by_role("group", name="Who will receive the disclosure?")
    assert recipient.is_hidden()  # asked only once police decide to disclose
    choose(page, "Will police make a disclosure?", "Yes")
    for question in (
        "Is disclosure in the child's interests?",
        "Are they the person best placed to protect the child?",
    ):
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    assert page.get_by_label("What is their full name?").is_hidden()  # asked only when someone else receives it
    recipient.get_by_label("Someone else").check()
    page.get_by_label("What is their full name?").fill(MOTHER)
    page.get_by_role("group", name="What is their relationship to the child?").get_by_label("Parent").check()
    page.get_by_role("group", name="Will police tell the subject?").get_by_label("No").check()
    page.get_by_label("Why did police decide this?").fill(
        "Convictions for offences against children; the mother can protect Lily")
    shoot(page, "41-csor-decision-to-the-mother")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Police decision on disclosure: done").wait_for()

    # The disclosure meeting: the mother's identity verified, the warning given, the undertaking signed.
    _open_task(page, reference, "Disclosure meeting: verify the recipient and disclose")
    choose(page, "Was the recipient's identity verified?", "Yes")
    page.locator("#recipient_identity_documents-0-document").select_option(label="Driving licence")
    page.get_by_role("group", name="Has a photo?").nth(0).get_by_label("Yes").check()
    page.locator("#recipient_identity_documents-1-document").select_option(label="Bank statement")
    page.get_by_role("group", name="Has a photo?").nth(1).get_by_label("No").check()
    page.get_by_role("group", name="Was the warning given?").get_by_label("Yes").check()
    choose(page, "Did they sign the undertaking?", "Yes")
    page.get_by_label("What was disclosed?").fill("Two convictions for sexual offences against children (2015)")
    page.get_by_label("What support and safety plan were agreed?").fill(
        "Safety plan agreed; referred to children's social care")
    shoot(page, "42-csor-disclosure-meeting")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Disclosure meeting: verify the recipient and disclose: done").wait_for()

    stored = scheme_steps.application(site.scenario, application_id)
    assert stored.outcome == "disclosed" and site.scenario.open_tasks(instance) == []
    meeting = (stored.outcome_detail or {})["meeting"]
    assert meeting["recipient"]["name"] == MOTHER and meeting["recipient"]["party"] == "someone_else"
    assert meeting["recipient_identity"]["verified"] is True
    page.get_by_role("link", name="Police queue").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Application {reference}").wait_for()
    shoot(page, "43-csor-disclosed-application")
