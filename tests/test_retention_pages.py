"""The data protection officer's retention page: decide each listed record, place and lift holds."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import Case, RetentionHold, RetentionItem, Role
from safeshare.services import accounts, directory, retention
from safeshare.services.anonymise import REMOVED
from tests.builders import Scenario
from tests.test_retention import YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD
from tests.webkit import TEST_KEY
from web.app import create_app

PASSWORD = "retention password 1"


def signed_in(app: App, username: str) -> TestClient:
    client = TestClient(create_app(app, key=TEST_KEY))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert csrf
    answer = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_officer_decides_on_the_page_and_a_keep_needs_a_reason(app: App, scenario: Scenario) -> None:
    with app.transaction() as s:
        dana = directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER])
        accounts.set_password(app, s, None, dana, PASSWORD)
        accounts.set_password(app, s, None, scenario.user(s, "pat"), PASSWORD)
    first, _ = scenario.open_case(16)
    second, _ = scenario.open_case(16)
    client = signed_in(app, "dana")
    page = client.get("/retention")
    assert page.status_code == 200 and "No records are waiting for a decision" in page.text
    assert "case records" in page.text and "25 years from the child" in page.text  # the schedule
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    review = retention.list_due_for_review(app)
    assert review is not None
    page = client.get("/retention")
    assert "What should happen to it?" in page.text and "25th birthday" in page.text
    with app.db.read() as s:
        by_case = {(i.kind, i.record_key): i.id for i in s.scalars(select(RetentionItem))}
    data = {"csrf_token": csrf_of(page.text)}
    for item_id in by_case.values():
        data[f"decision_{item_id}"] = "remove"
    data[f"decision_{by_case['case_records', str(second)]}"] = "keep"
    refused = client.post(f"/retention/reviews/{review.id}", data=data)
    assert refused.status_code == 400 and "Say why each record you keep is kept" in refused.text
    data[f"reason_{by_case['case_records', str(second)]}"] = "Looked after: kept to the 75th birthday"
    done = client.post(f"/retention/reviews/{review.id}", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert "Your decisions are recorded" in client.get(done.headers["location"]).text
    with app.db.read() as s:
        titles = {c.id: c.title for c in s.scalars(select(Case))}
    assert titles == {first: REMOVED, second: "Test case"}

    pat = signed_in(app, "pat")
    assert pat.get("/retention").status_code == 403
    assert "Retention" not in pat.get("/tasks").text


def test_holds_are_placed_and_lifted_with_reasons(app: App, scenario: Scenario) -> None:
    with app.transaction() as s:
        dana = directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER])
        accounts.set_password(app, s, None, dana, PASSWORD)
    case_id, _ = scenario.open_case(12)
    client = signed_in(app, "dana")
    csrf = csrf_of(client.get("/retention").text)
    missing = client.post(
        "/retention/holds", data={"csrf_token": csrf, "kind": "case_records", "record": "999", "reason": "Inquiry"}
    )
    assert missing.status_code == 400 and "There is no case 999" in missing.text
    placed = client.post(
        "/retention/holds",
        data={
            "csrf_token": csrf,
            "kind": "case_records",
            "record": str(case_id),
            "reason": "Public inquiry into the service",
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303
    page = client.get("/retention")
    assert "Public inquiry into the service" in page.text
    with app.db.read() as s:
        hold = s.scalars(select(RetentionHold)).one()
    lifted = client.post(f"/retention/holds/{hold.id}/lift", data={"csrf_token": csrf, "lift_reason": ""})
    assert lifted.status_code == 400 and "Say why the hold is lifted" in lifted.text
    client.post(f"/retention/holds/{hold.id}/lift", data={"csrf_token": csrf, "lift_reason": "Inquiry reported"})
    assert "No records are held" in client.get("/retention").text
