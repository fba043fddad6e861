"""Opening a case, adding people and parental responsibility, and recording a significant change, from pages,
the API and the CLI; in-app messages with the unread count; Reports and Exports offered only to their roles."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli
from safeshare.core.records import Case, ConsentRecord, Episode, Notification, ParentalResponsibility, Person
from safeshare.services import accounts
from tests.builders import Scenario
from tests.webkit import WebKit, assert_error, make_webkit

PASSWORD = "records password 1"


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    with app.transaction() as s:  # before the tokens: setting a password ends the user's other sessions
        for name in ("pat", "max", "priya", "alex", "olu"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    return make_webkit(app, scenario)


def sign_in(web: WebKit, user: str) -> TestClient:
    client = TestClient(web.client.app)
    r = client.post("/sign-in", data={"username": user, "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")})
    assert r.status_code == 200, r.text
    return client


def csrf(client: TestClient, url: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert match, f"{url} has no form"
    return match.group(1)


def count(web: WebKit, model: type) -> int:
    with web.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


CHILD = {"reference": "NC-2026-0042", "child_name": "Dana Lee", "dob-day": "3", "dob-month": "4", "dob-year": "2016"}


def test_a_practitioner_opens_a_case_from_the_page(web: WebKit) -> None:
    pat = sign_in(web, "pat")
    assert 'href="/cases/new"' in pat.get("/cases").text
    form = pat.get("/cases/new").text
    assert "The case will belong to your team, <strong>North</strong>" in form
    r = pat.post("/cases/new", data=CHILD | {"csrf_token": csrf(pat, "/cases/new")}, follow_redirects=False)
    assert r.status_code == 303
    with web.app.db.read() as s:
        case = s.scalars(select(Case).where(Case.reference == "NC-2026-0042")).one()
        child = s.scalars(select(Person).where(Person.case_id == case.id)).one()
        assert (case.team_id, case.title, child.full_name, str(child.date_of_birth)) == (
            web.scenario.team_ids["north"],
            "Dana Lee",
            "Dana Lee",
            "2016-04-03",
        )
    assert r.headers["location"] == f"/cases/{case.id}"
    assert len(web.events("case_opened")) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reference": ""}, "reference", "Enter the case reference"),
        ({"child_name": " "}, "child_name", "Enter the child&#39;s full name"),
        ({"dob-day": "", "dob-month": "", "dob-year": ""}, "dob-day", "Enter the child&#39;s date of birth"),
        ({"dob-month": ""}, "dob-day", "The child&#39;s date of birth must include a month"),
        ({"dob-day": "31", "dob-month": "2"}, "dob-day", "must be a real date"),
        (
            {"dob-year": "1990"},
            "dob-day",
            "Dana Lee would be 36 on that date of birth: a case here is for a child under 18",
        ),
        ({"dob-year": "2099"}, "dob-day", "The child&#39;s date of birth is in the future"),
    ],
)
def test_bad_answers_are_named_kept_and_nothing_is_written(
    web: WebKit, change: dict[str, str], field: str, message: str
) -> None:
    pat = sign_in(web, "pat")
    before = count(web, Case), web.counts()
    r = pat.post("/cases/new", data=CHILD | change | {"csrf_token": csrf(pat, "/cases/new")})
    assert r.status_code == 422
    assert message in r.text and f'href="#{field}"' in r.text and "(R2)" not in r.text
    kept = CHILD | change
    assert f'value="{kept["reference"]}"' in r.text
    assert (count(web, Case), web.counts()) == before


def test_a_duplicate_reference_is_refused_naming_it_in_the_page_and_the_api(web: WebKit) -> None:
    pat = sign_in(web, "pat")
    pat.post("/cases/new", data=CHILD | {"csrf_token": csrf(pat, "/cases/new")})
    again = pat.post("/cases/new", data=CHILD | {"csrf_token": csrf(pat, "/cases/new")})
    assert again.status_code == 409 and "A case with the reference NC-2026-0042 already exists" in again.text
    api = web.post(
        "pat",
        "/api/cases",
        json={"reference": "NC-2026-0042", "title": "T", "child_name": "Dana Lee", "child_date_of_birth": "2016-04-03"},
    )
    assert_error(api, 409, "NC-2026-0042 already exists")
    adult = web.post(
        "pat",
        "/api/cases",
        json={"reference": "NC-9", "title": "T", "child_name": "Dana Lee", "child_date_of_birth": "1990-04-03"},
    )
    assert_error(adult, 422, "under 18")
    assert count(web, Case) == 1


def test_people_and_parental_responsibility_are_added_from_pages(web: WebKit) -> None:
    case_id, ids = web.scenario.open_case(9, parents=0)
    pat = sign_in(web, "pat")
    page = pat.get(f"/cases/{case_id}").text
    assert f'href="/cases/{case_id}/people/new"' in page and "parental-responsibility/new" in page
    url = f"/cases/{case_id}/people/new"
    missing = pat.post(url, data={"full_name": "", "csrf_token": csrf(pat, url)})
    assert missing.status_code == 422
    for text in (
        "Enter the person&#39;s full name",
        "Select how the person is related to the child",
        "Select yes if the person has parental responsibility for the child",
    ):
        assert text in missing.text
    other = pat.post(
        url, data={"full_name": "Sam Lee", "relationship": "other", "pr": "no", "csrf_token": csrf(pat, url)}
    )
    assert "Say how the person is related to the child" in other.text and 'value="Sam Lee"' in other.text
    future = pat.post(
        url,
        data={
            "full_name": "Sam Lee",
            "relationship": "father",
            "pr": "no",
            "dob-day": "1",
            "dob-month": "1",
            "dob-year": "2099",
            "csrf_token": csrf(pat, url),
        },
    )
    assert future.status_code == 422 and "Sam Lee&#39;s date of birth is in the future" in future.text
    assert 'href="#dob-day"' in future.text and 'value="2099"' in future.text
    assert count(web, Person) == 1
    ok = pat.post(
        url,
        data={
            "full_name": "Jo Lee",
            "relationship": "mother",
            "pr": "yes",
            "dob-day": "4",
            "dob-month": "11",
            "dob-year": "1988",
            "csrf_token": csrf(pat, url),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    pat.post(
        url,
        data={
            "full_name": "Sam Lee",
            "relationship": "other",
            "relationship_other": "Uncle",
            "pr": "no",
            "csrf_token": csrf(pat, url),
        },
    )
    with web.app.db.read() as s:
        people = {p.full_name: p for p in s.scalars(select(Person).where(Person.case_id == case_id))}
        assert people["Sam Lee"].relationship_to_child == "Uncle"
        holders = set(s.scalars(select(ParentalResponsibility.holder_id)))
        assert holders == {people["Jo Lee"].id}
    pr_url = f"/cases/{case_id}/parental-responsibility/new"
    pr_page = pat.get(pr_url).text
    assert "Sam Lee" in pr_page and "Jo Lee" not in pr_page  # only those not yet recorded are offered
    none_chosen = pat.post(pr_url, data={"csrf_token": csrf(pat, pr_url)})
    assert none_chosen.status_code == 422 and "Select the person who has parental responsibility" in none_chosen.text
    pat.post(pr_url, data={"person_id": str(people["Sam Lee"].id), "csrf_token": csrf(pat, pr_url)})
    with web.app.db.read() as s:
        assert set(s.scalars(select(ParentalResponsibility.holder_id))) == {people["Jo Lee"].id, people["Sam Lee"].id}
    assert len(web.events("parental_responsibility_recorded")) == 1
    twice = web.post("pat", f"/api/cases/{case_id}/people/{people['Sam Lee'].id}/parental-responsibility")
    assert_error(twice, 409, "already recorded")
    child = web.post("pat", f"/api/cases/{case_id}/people/{ids['child']}/parental-responsibility")
    assert_error(child, 422, "is the child")
    other_team = web.post("olu", f"/api/cases/{case_id}/people/{people['Sam Lee'].id}/parental-responsibility")
    assert other_team.status_code == 404


def test_a_significant_change_from_the_page_renews_consent_and_is_audited(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    instance = web.scenario.start_episode(case_id)
    web.scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"},
    )
    pat = sign_in(web, "pat")
    assert f'href="/cases/{case_id}/significant-change"' in pat.get(f"/cases/{case_id}").text
    url = f"/cases/{case_id}/significant-change"
    short = pat.post(url, data={"reason": "moved", "csrf_token": csrf(pat, url)})
    assert short.status_code == 422 and "Describe what has changed in at least 10 characters" in short.text
    assert 'value="' in short.text and "moved</textarea>" in short.text
    assert web.events("consent_superseded") == []
    with web.app.db.read() as s:
        episode_id = s.scalars(select(Episode.id)).one()
    r = pat.post(
        url,
        data={
            "episode_id": str(episode_id),
            "reason": "The family moved to another area",
            "csrf_token": csrf(pat, url),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/tasks/")
    events = web.events("consent_superseded")
    assert len(events) == 1 and "The family moved to another area" in events[0].summary
    api = web.post(
        "pat",
        f"/api/cases/{case_id}/episodes/{episode_id}/significant-change",
        json={"reason": "The purpose of the work changed"},
    )
    assert api.status_code == 201, api.text
    assert api.json()["process"] == "consent_seeking"
    assert_error(
        web.post("pat", f"/api/cases/{case_id}/episodes/{episode_id}/significant-change", json={"reason": "short"}),
        422,
        "reason",
    )
    wrong_case, _ = web.scenario.open_case(10)
    assert_error(
        web.post(
            "pat",
            f"/api/cases/{wrong_case}/episodes/{episode_id}/significant-change",
            json={"reason": "The purpose of the work changed"},
        ),
        404,
        "episode",
    )
    assert_error(
        web.post(
            "max",
            f"/api/cases/{case_id}/episodes/{episode_id}/significant-change",
            json={"reason": "The purpose of the work changed"},
        ),
        403,
    )


def test_the_cli_opens_a_case_adds_people_and_records_a_change(web: WebKit, database_url: str) -> None:
    _register()
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--as", "pat", "--database-url", database_url])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "Opened case NC-7" in run("case", "open", "NC-7", "--child", "Eli Moss", "--born", "2014-02-01")
    refused = runner.invoke(
        cli,
        [
            "case",
            "open",
            "NC-7",
            "--child",
            "Eli Moss",
            "--born",
            "2014-02-01",
            "--as",
            "pat",
            "--database-url",
            database_url,
        ],
    )
    assert refused.exit_code == 1 and "A case with the reference NC-7 already exists" in refused.stderr
    with web.app.db.read() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == "NC-7")).one()
    added = run("case", "add-person", str(case_id), "Ana Moss", "--relationship", "mother")
    person_id = re.search(r"as person (\d+)", added)
    assert person_id
    assert "holding parental responsibility" in run(
        "case", "add-parental-responsibility", str(case_id), person_id.group(1)
    )
    web.scenario.start_episode(case_id)
    with web.app.db.read() as s:
        episode_id = s.scalars(select(Episode.id).where(Episode.case_id == case_id)).one()
    said = run("case", "significant-change", str(episode_id), "--reason", "Ana Moss moved out of the home")
    assert "consent is being sought again" in said
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def _message(web: WebKit, user: str, subject: str) -> int:
    with web.app.transaction() as s:
        note = Notification(
            created_at=web.app.clock.now(), channel="in_app", template="task_assigned",
            recipient_user_id=web.scenario.users[user], subject=subject, body_text=f"{subject}. Open your tasks.",
            status="sent", next_attempt_at=web.app.clock.now(), context={},
        )  # fmt: skip
        s.add(note)
        s.flush()
        return note.id


def test_messages_page_lists_marks_read_and_the_header_counts_unread(web: WebKit) -> None:
    first = _message(web, "pat", "A task was given to you")
    _message(web, "pat", "Advice is due soon")
    _message(web, "max", "Not for pat")
    pat = sign_in(web, "pat")
    page = pat.get("/messages")
    assert page.status_code == 200
    assert "A task was given to you" in page.text and "Not for pat" not in page.text
    assert '2<span class="govuk-visually-hidden"> unread</span>' in page.text
    assert "You have 2 unread messages." in page.text
    pat.post(f"/messages/{first}/read", data={"csrf_token": csrf(pat, "/messages")})
    assert '1<span class="govuk-visually-hidden"> unread</span>' in pat.get("/tasks").text
    api = web.get("pat", "/api/messages").json()
    assert api["unread"] == 1 and [m["read_at"] is None for m in api["messages"]] == [True, False]
    assert web.post("pat", "/api/messages/read").json() == {"marked": 1}
    assert "unread</span>" not in pat.get("/tasks").text
    refused = web.post("max", f"/api/messages/{first}/read")
    assert_error(refused, 404, "no message")


@pytest.mark.parametrize(
    ("user", "reports", "exports"),
    [("pat", False, True), ("max", True, True), ("priya", True, False), ("alex", True, False)],
)
def test_reports_and_exports_are_in_the_navigation_only_for_their_roles(
    web: WebKit, user: str, reports: bool, exports: bool
) -> None:
    client = sign_in(web, user)
    for url in ("/tasks", "/exports" if exports else "/messages"):
        nav = client.get(url).text.split("<main", 1)[0]
        assert ('href="/reports"' in nav) is reports, (user, url)
        assert ('href="/exports"' in nav) is exports, (user, url)
        assert 'href="/messages"' in nav
    if reports:
        assert client.get("/reports").status_code == 200
