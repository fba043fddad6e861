"""Search, filters and pages (issue 12): cases by reference or a person's name (only cases the user may see),
my tasks by who they are for, overdue and kind of work, the police queue, and a case's audit trail with views
folded; bad query values are a clear error on the page and in the API, never a 500; the diagram lists the
steps done in the order they happened; and a process is cancelled from its page, the API and the CLI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli_app
from safeshare.core.access import can_view_case
from safeshare.core.records import AuditEvent, Case, OpenTask, User
from safeshare.services import accounts, cases, listing, queues
from tests.builders import Scenario
from tests.scheme_steps import start as start_application
from tests.test_disclosure import consent_given, start_p4
from tests.test_web_ui import PASSWORD, sign_in
from tests.webkit import WebKit, assert_error, make_webkit


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    """Pages (pat, max, alex and olu sign in with a password) and the API (a token each, issued after the
    passwords were set, which ends earlier sessions and tokens)."""
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        for name in ("pat", "max", "alex", "olu"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    kit.tokens.clear()
    for name in scenario.users:
        kit.headers(name)
    return kit


def _case(scenario: Scenario, reference: str, child: str, by: str = "pat") -> int:
    with scenario.app.transaction() as s:
        case = cases.open_case(
            scenario.app,
            s,
            scenario.user(s, by),
            reference=reference,
            title="Support plan",
            child_name=child,
            child_date_of_birth=scenario.app.clock.now().date().replace(year=2015),
        )
        return case.id


def _search(scenario: Scenario, who: str, query: str, page: str | None = None) -> listing.Page[listing.CaseRow]:
    with scenario.app.db.read() as s:
        return listing.search_cases(s, scenario.user(s, who), query, page)


# -- cases -------------------------------------------------------------------------------------------------


def test_search_by_reference_or_a_persons_name_only_in_cases_the_user_may_see(scenario: Scenario) -> None:
    amy = _case(scenario, "NOR-2026-001", "Amy Lane")
    _case(scenario, "NOR-2026-002", "Ben Moss")
    secret = _case(scenario, "SOU-2026-001", "Amy Secret", by="olu")  # another team's case, a similar name
    with scenario.app.transaction() as s:
        cases.add_person(
            scenario.app,
            s,
            scenario.user(s, "pat"),
            amy,
            full_name="Dana Lane",
            relationship_to_child="mother",
            has_parental_responsibility=True,
        )
    assert [r.case.id for r in _search(scenario, "pat", "amy").items] == [amy]
    assert [r.case.reference for r in _search(scenario, "pat", "nor-2026").items] == ["NOR-2026-002", "NOR-2026-001"]
    found = _search(scenario, "pat", "dana")
    assert [(r.case.id, r.child, r.matched) for r in found.items] == [(amy, "Amy Lane", ["Dana Lane"])]
    # least privilege: the other team's case is never a result, by its reference or its child's name
    assert _search(scenario, "pat", "SOU-2026").total == 0 and _search(scenario, "pat", "secret").total == 0
    assert [r.case.id for r in _search(scenario, "olu", "amy").items] == [secret]
    assert _search(scenario, "priya", "amy").total == 0 and _search(scenario, "alex", "").total == 0
    # wildcards typed are taken literally
    assert _search(scenario, "pat", "%").total == 0 and _search(scenario, "pat", "_").total == 0


def test_every_search_result_is_a_case_the_user_may_see(scenario: Scenario) -> None:
    for n in range(3):
        _case(scenario, f"N-{n}", f"Child North {n}")
        _case(scenario, f"S-{n}", f"Child South {n}", by="olu")
    with scenario.app.db.read() as s:
        for user in s.scalars(select(User)):
            for query in ("", "child", "n-", "s-", "south"):
                for row in listing.search_cases(s, user, query).items:
                    assert can_view_case(s, user, row.case), (user.username, query, row.case.reference)
        everyone = set(s.scalars(select(Case.id)))
        seen = {r.case.id for r in listing.search_cases(s, scenario.user(s, "pat"), "child").items}
        assert seen and seen < everyone


def test_cases_come_a_page_at_a_time_and_a_bad_page_is_a_clear_error(scenario: Scenario) -> None:
    for n in range(listing.PAGE_SIZE + 3):
        _case(scenario, f"P-{n:03}", f"Child {n}")
    first, second = _search(scenario, "pat", ""), _search(scenario, "pat", "", "2")
    assert (first.total, first.pages, len(first.items), len(second.items)) == (23, 2, 20, 3)
    assert {r.case.id for r in first.items}.isdisjoint({r.case.id for r in second.items})
    assert (second.first_row, second.last_row) == (21, 23)
    for bad, message in (
        ("0", "Enter a page number"),
        ("two", "Enter a page number"),
        ("-1", "Enter a page number"),
        ("3", "There is no page 3: the list has 2 pages"),
    ):
        with pytest.raises(listing.FormValidationError, match=message):
            _search(scenario, "pat", "", bad)
    with pytest.raises(listing.FormValidationError, match="100 characters or fewer"):
        _search(scenario, "pat", "x" * 101)


def test_the_cases_page_searches_and_pages_in_the_govuk_pattern(web: WebKit) -> None:
    for n in range(listing.PAGE_SIZE + 1):
        _case(web.scenario, f"W-{n:03}", f"Child {n}")
    _case(web.scenario, "SOU-9", "Zed Hidden", by="olu")
    pat = sign_in(web, "pat")
    page = pat.get("/cases")
    assert page.status_code == 200 and "govuk-pagination" in page.text and 'href="/cases?page=2"' in page.text
    assert "Showing 1 to 20 of 21" in page.text
    second = pat.get("/cases?page=2")
    assert 'aria-current="page"' in second.text and "W-000" in second.text
    found = pat.get("/cases?q=child+7")
    assert "W-007" in found.text and "W-008" not in found.text and "Named on it: Child 7" in found.text
    assert "Zed" not in pat.get("/cases?q=zed").text.replace('value="zed"', "")
    assert "No cases you can see match" in pat.get("/cases?q=SOU-9").text
    bad = pat.get("/cases?page=nine")
    assert bad.status_code == 400 and "There is a problem" in bad.text and 'href="#page"' in bad.text
    assert "Enter a page number, such as 2" in bad.text


def test_the_cases_api_searches_and_pages_with_link_headers(web: WebKit) -> None:
    for n in range(listing.PAGE_SIZE + 1):
        _case(web.scenario, f"A-{n:03}", f"Child {n}")
    r = web.get("pat", "/api/cases?q=a-0")
    assert r.status_code == 200 and r.headers["x-total-count"] == "21" and 'rel="next"' in r.headers["link"]
    assert '</api/cases?q=a-0&page=2>; rel="next"' in r.headers["link"] and len(r.json()["cases"]) == 20
    assert web.get("olu", "/api/cases?q=a-0").json() == {"cases": []}
    assert_error(web.get("pat", "/api/cases?page=0"), 422, "page number")


# -- my tasks ----------------------------------------------------------------------------------------------


def test_my_tasks_filter_by_who_overdue_and_kind_of_work(scenario: Scenario) -> None:
    consent_case = consent_given(scenario)
    disclosure = start_p4(scenario, consent_case)  # "Record the disclosure", assigned to pat
    case_id, _ = scenario.open_case(10)
    episode = scenario.start_episode(case_id)  # consent seeking: pat's next task
    now = scenario.app.clock.now()
    with scenario.app.transaction() as s:
        task = s.scalars(select(OpenTask).where(OpenTask.instance_id == episode)).one()
        task.due_at = now - timedelta(hours=1)
        task.assignee_id = None
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")

        def ids(**filters: str) -> list[int]:
            return [t.instance_id for t in listing.task_list(s, pat, now, listing.task_filters(**filters)).items]

        assert ids() == [episode, disclosure]  # overdue first
        assert ids(overdue="yes") == [episode]
        assert ids(process="disclosure_record") == [disclosure]
        assert ids(status="mine") == [disclosure] and ids(status="open") == [episode]
        assert ids(status="open", process="disclosure_record") == []
        for bad in ({"status": "everyone"}, {"overdue": "true"}, {"process": "P4"}):
            with pytest.raises(listing.FormValidationError):
                listing.task_filters(**bad)


def test_the_tasks_page_and_api_refuse_a_filter_not_offered(web: WebKit) -> None:
    consent_case = consent_given(web.scenario)
    start_p4(web.scenario, consent_case)
    pat = sign_in(web, "pat")
    page = pat.get("/tasks?process=disclosure_record")
    assert page.status_code == 200 and "Record the disclosure" in page.text and "Clear the filters" in page.text
    assert '<option value="disclosure_record" selected>Disclosure record</option>' in page.text
    assert "No tasks match the filters." in pat.get("/tasks?process=information_received").text
    bad = pat.get("/tasks?process=P4&overdue=1")
    assert bad.status_code == 400 and "Choose a kind of work from the list" in bad.text
    assert "Only overdue tasks: tick it or leave it empty" in bad.text and 'href="#process"' in bad.text
    assert [t["process"] for t in web.get("pat", "/api/tasks?process=disclosure_record").json()["tasks"]] == [
        "disclosure_record"
    ]
    assert_error(web.get("pat", "/api/tasks?status=all"), 422, "who the task is for")
    assert_error(web.get("pat", "/api/tasks?page=7"), 422, "no page 7")


# -- the police queue --------------------------------------------------------------------------------------


def test_the_police_queue_filters_pages_and_refuses_a_scheme_not_offered(web: WebKit) -> None:
    start_application(web.scenario, "csor")
    start_application(web.scenario, "right_to_ask")
    body = web.get("priya", "/api/queues/police?scheme=csor").json()["applications"]
    assert [a["scheme"] for a in body] == ["csor"]
    assert len(web.get("priya", "/api/queues/police").json()["applications"]) == 2
    assert_error(web.get("priya", "/api/queues/police?scheme=dvds"), 422, "scheme")
    assert_error(web.get("priya", "/api/queues/police?overdue=no"), 422, "overdue")
    assert web.get("pat", "/api/queues/police?scheme=dvds").status_code == 403  # the role first, then the filter
    with web.app.db.read() as s:
        rows = queues.police_queue(s, web.scenario.user(s, "priya"), web.app.clock.now())
    stage = rows[0].stage
    only = listing.filter_queue(rows, listing.queue_filters(stage=stage))
    assert only and all(r.stage == stage for r in only)
    assert listing.filter_queue(rows, listing.queue_filters(overdue="yes")) == []
    assert listing.paginate(rows, 1, size=1).pages == 2
    with pytest.raises(listing.FormValidationError, match="no page 3"):
        listing.paginate(rows, 3, size=1)


# -- the audit trail ---------------------------------------------------------------------------------------


def _events(web: WebKit, case_id: int) -> int:
    with web.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)) or 0


def test_the_audit_trail_folds_views_and_filters_by_kind_in_words(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(10)
    web.scenario.start_episode(case_id)
    pat = sign_in(web, "pat")
    for _ in range(3):
        pat.get(f"/cases/{case_id}")
    trail = pat.get(f"/cases/{case_id}/audit")
    assert trail.status_code == 200
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell app-nowrap">', trail.text)
    assert "viewed case" not in trail.text and "viewed the audit trail" not in trail.text
    assert "4 views of the case are not listed" in trail.text  # three views of the case, and this one
    assert "Episode of work started" in trail.text and len(rows) >= 4
    assert '<option value="consent">Consent</option>' in trail.text  # kinds in words
    views = pat.get(f"/cases/{case_id}/audit?kind=views").text
    assert views.count("viewed case") == 3 and "viewed the audit trail" in views
    assert "Episode of work started" not in views
    work = pat.get(f"/cases/{case_id}/audit?kind=work").text
    assert "Consent seeking started" in work and "Episode of work started" not in work
    before = _events(web, case_id)
    bad = pat.get(f"/cases/{case_id}/audit?kind=everything&page=1")
    assert bad.status_code == 400 and "Choose a kind of event from the list" in bad.text
    assert pat.get(f"/cases/{case_id}/audit?page=99").status_code == 400
    assert _events(web, case_id) == before  # a refused filter is not a view: nothing written
    olu = sign_in(web, "olu")
    assert olu.get(f"/cases/{case_id}/audit").status_code == 404


def test_the_audit_trail_api_takes_the_same_kinds(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(10)
    web.get("max", f"/api/cases/{case_id}")
    kinds = [e["event"] for e in web.get("max", f"/api/cases/{case_id}/audit?kind=case").json()["events"]]
    assert kinds == ["case_opened", "person_added"]
    viewed = [e["event"] for e in web.get("max", f"/api/cases/{case_id}/audit?kind=views").json()["events"]]
    assert viewed == ["case_viewed", "case_viewed", "case_viewed"]  # the case, and the two trail reads
    assert_error(web.get("max", f"/api/cases/{case_id}/audit?kind=viewed"), 422, "kind of event")
    assert_error(web.get("mo", f"/api/cases/{case_id}/audit?kind=views"), 404)


# -- the diagram -------------------------------------------------------------------------------------------


def test_the_diagram_lists_the_steps_done_in_the_order_they_happened(web: WebKit) -> None:
    consent_given(web.scenario)
    with web.app.db.read() as s:
        started = s.scalars(select(AuditEvent.detail).where(AuditEvent.event_type == "process_started")).first()
    assert started is not None
    instance = started["instance_id"]
    with web.app.transaction() as s:
        state = queues.diagram_state(web.app, s, web.scenario.user(s, "pat"), instance)
    expected = [
        "Episode of work begins",
        "Child under 16?",
        "Decide who may consent",
        "Explain and seek consent",
        "Record consent outcome",
        "Consent outcome?",
        "Produce written consent form",
        "Consent recorded",
    ]
    assert state.named(state.history) == expected  # the old list was in id order: "Child under 16?" ... first
    assert state.done[: len(expected)] == state.history
    page = sign_in(web, "pat").get(f"/processes/{instance}/diagram").text
    listed = re.findall(r"<li>([^<]+)</li>", page.split('data-testid="done-steps"')[1].split("</ol>")[0])
    assert listed == [name.replace("'", "&#39;") for name in expected]
    assert 'class="app-diagram-scroll" tabindex="0"' in page


# -- cancelling, from the page, the API and the command line ------------------------------------------------


def test_cancelling_from_the_page_needs_a_reason_and_shows_who_and_why_on_the_case(web: WebKit) -> None:
    case_id = consent_given(web.scenario)
    instance = start_p4(web.scenario, case_id)
    pat = sign_in(web, "pat")
    case_page = pat.get(f"/cases/{case_id}").text
    assert f'href="/processes/{instance}/cancel"' in case_page
    form = pat.get(f"/processes/{instance}/cancel")
    assert form.status_code == 200 and "Why is it no longer needed?" in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    before = web.counts()
    empty = pat.post(f"/processes/{instance}/cancel", data={"csrf_token": token.group(1), "reason": "  "})
    assert (
        empty.status_code == 422 and "Enter the reason for cancelling" in empty.text and 'href="#reason"' in empty.text
    )
    assert web.counts() == before
    done = pat.post(
        f"/processes/{instance}/cancel",
        data={"csrf_token": token.group(1), "reason": "The school refused it"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/cases/{case_id}")
    shown = pat.get(f"/cases/{case_id}").text
    assert "Cancelled" in shown and "cancelled by Pat Practitioner" in shown and "The school refused it" in shown
    assert f'href="/processes/{instance}/cancel"' not in shown
    assert "Record the disclosure" not in pat.get("/tasks").text
    olu = sign_in(web, "olu")
    assert olu.get(f"/processes/{instance}/cancel").status_code == 404


def test_cancelling_through_the_api_and_the_command_line(web: WebKit) -> None:
    case_id = consent_given(web.scenario)
    first, second = start_p4(web.scenario, case_id), start_p4(web.scenario, case_id)
    before = web.counts()
    assert_error(web.post("olu", f"/api/processes/{first}/cancel", {"reason": "Not needed any more"}), 404)
    assert_error(
        web.post("pip", f"/api/processes/{first}/cancel", {"reason": "Not needed any more"}),
        403,
        "only the practitioner who started it",
    )
    assert_error(web.post("pat", f"/api/processes/{first}/cancel", {"reason": "no"}), 422, "at least 10")
    assert web.counts()[1:] == before[1:]  # refusals are audited, nothing else is written
    r = web.post("max", f"/api/processes/{first}/cancel", {"reason": "Recipient refused the share"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["outcome"]) == ("completed", "cancelled")
    _register()
    url = web.app.settings.database_url
    refused = CliRunner().invoke(
        cli_app, ["process", "cancel", str(second), "--reason", "x", "--as", "pat", "--database-url", url]
    )
    assert refused.exit_code == 1 and "at least 10 characters" in refused.output
    ok = CliRunner().invoke(
        cli_app,
        ["process", "cancel", str(second), "--reason", "No longer needed at all", "--as", "pat", "--database-url", url],
    )
    assert ok.exit_code == 0, ok.output
    assert "Disclosure record" in ok.output and "cancelled" in ok.output
    assert web.scenario.open_tasks(second) == []
    search = CliRunner().invoke(cli_app, ["case", "search", "C-16", "--as", "pat", "--database-url", url])
    assert search.exit_code == 0 and "child: Child Test" in search.output
    assert (
        "No cases you can see"
        in CliRunner().invoke(cli_app, ["case", "search", "C-16", "--as", "olu", "--database-url", url]).output
    )
