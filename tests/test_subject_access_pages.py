"""The data protection officer's subject access pages: record a request with dates typed as day, month and
year (each wrong answer named), see the collated reply and what is withheld, sign off and record it sent."""

from __future__ import annotations

from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import Role, SubjectAccessRequest
from safeshare.services import accounts, directory
from tests.builders import Scenario
from tests.test_retention_pages import PASSWORD, csrf_of, signed_in


def _answers(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "requester_name": "Parent 1",
        "requester_relationship": "self",
        "subject_name": "Parent 1",
        "received_on-day": "20", "received_on-month": "11", "received_on-year": "2026",
        "identity_checked_on-day": "23", "identity_checked_on-month": "11", "identity_checked_on-year": "2026",
        "identity_evidence": "Passport seen",
    } | changes  # fmt: skip


def test_the_officer_records_a_request_and_follows_it_to_sent(app: App, scenario: Scenario) -> None:
    with app.transaction() as s:
        dana = directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER])
        accounts.set_password(app, s, None, dana, PASSWORD)
        accounts.set_password(app, s, None, scenario.user(s, "alex"), PASSWORD)
    scenario.open_case(15)
    assert signed_in(app, "alex").get("/subject-access").status_code == 403
    client = signed_in(app, "dana")
    page = client.get("/subject-access/new")
    assert page.status_code == 200 and "When was the request received?" in page.text
    refused = client.post(
        "/subject-access/new",
        data=_answers(
            csrf_of(page.text), **{"received_on-day": "31", "received_on-month": "2", "identity_evidence": ""}
        ),
    )
    assert refused.status_code == 422
    assert "Enter a real date, for example 27 3 2026" in refused.text
    assert "Enter how the requester&#39;s identity was checked" in refused.text
    with app.db.read() as s:
        assert s.scalars(select(SubjectAccessRequest)).all() == []
    done = client.post("/subject-access/new", data=_answers(csrf_of(page.text)), follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "23 December 2026" in shown.text and "Parent 1" in shown.text
    assert "Information about other people (third parties)" in shown.text
    listing = client.get("/subject-access")
    assert "SAR-2026-0001" in listing.text and "Waiting for sign-off" in listing.text
    tasks = client.get("/tasks")
    assert "Sign off the subject access reply" in tasks.text
