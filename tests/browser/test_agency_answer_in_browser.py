"""In real headless Chromium, a request we send to another agency (P10, R46): the practitioner records it
from the case page and gets its reference; a colleague records the other agency's answer from the case page
(delivered to the waiting process by the reference: BPMN message correlation); the case shows the answer in
words. A mistyped answer is asked for again beside its question, with what was typed kept."""

from __future__ import annotations

from sqlalchemy import select

from safeshare.core.records import AgencyRequest
from tests.browser.conftest import Site, shoot


def test_a_request_we_send_is_answered_and_the_case_shows_it(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    pat = site.page_as("pat")
    pat.set_default_timeout(10_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    send = pat.get_by_role("group", name="Ask another agency for information about the child")
    send.get_by_label("Which agency are you asking?").fill("School nursing")
    send.get_by_label("Who at the agency?").fill("Oakfield school nurse, 01234 567890")
    send.get_by_label("What do you need it for?").fill("To plan a health assessment before the review")
    send.get_by_label("On what lawful basis are you asking?").fill("Consent given on this case")
    send.get_by_label("What are you asking for?").fill("Any health concerns this term")
    send.get_by_label("By when do you need their answer?").fill("2026-11-25")
    shoot(pat, "70-request-to-another-agency")
    pat.get_by_role("button", name="Record the request we send").click()
    pat.get_by_text("Waiting for their answer").wait_for()
    with site.app.db.read() as s:
        reference = s.scalars(select(AgencyRequest)).one().reference
    assert reference is not None and reference in pat.content()
    shoot(pat, "71-request-waiting-for-the-answer")

    pip = site.page_as("pip")  # a colleague takes the school nurse's call
    pip.set_default_timeout(10_000)
    pip.goto(f"{site.base_url}/cases/{case_id}")
    form = pip.get_by_test_id(f"answer-{reference}")
    form.get_by_label("Yes, they answered").check()
    form.get_by_label("What did they say?").fill("Seen twice this term for headaches; no other concerns")
    form.get_by_role("button", name="Record their answer").click()
    pip.get_by_text("Enter who at the other agency answered").first.wait_for()  # asked again, beside the question
    form = pip.get_by_test_id(f"answer-{reference}")
    assert form.get_by_label("What did they say?").input_value().startswith("Seen twice")
    form.get_by_label("Who at School nursing answered?").fill("Jo Patel, school nurse")
    shoot(pip, "72-recording-the-other-agencys-answer")
    form.get_by_role("button", name="Record their answer").click()
    pip.get_by_text("They answered: “Seen twice this term for headaches; no other concerns”").wait_for()

    pat.goto(f"{site.base_url}/cases/{case_id}")
    answer = pat.get_by_test_id("agency-request-1")
    assert "Jo Patel, school nurse" in answer.inner_text()
    shoot(pat, "73-the-case-shows-the-answer")
    pat.goto(f"{site.base_url}/cases/{case_id}/chronology")
    pat.get_by_text("Answer received").first.wait_for()
