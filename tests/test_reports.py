"""Report figures against a scenario whose numbers are known, driven through the real processes.

November 2026, North and South teams:
- consultations: North asks twice (one answered by the manager within the deadline, one left
  until it escalates and the senior manager answers), South asks once (answered in time);
  a third North consultation is left open past its deadline: the one task overdue now;
- consents: one each of given, given with restrictions, refused and not sought;
- decisions to share without consent: harm to the child and a crime, harm to the child, public interest, and one
  decision not to share;
- schemes (police records): right to ask 3 (2 disclosed, 1 not), right to know 2
  (1 disclosed, 1 open), CSOR 1 (not disclosed), plus a CSOR application in October
  that a November report leaves out.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safeshare.cli import _register
from safeshare.cli import app as cli_app
from safeshare.core.errors import PermissionDeniedError
from safeshare.core.records import AuditEvent, Case, ProcessInstance
from safeshare.core.records.schemes import SchemeApplication
from safeshare.services import cases, reports, sharing
from safeshare.services.charts import chart_svg
from safeshare.services.reports import ReportError, report_for
from tasks import service
from tests.builders import EXPLAINED, Scenario, born_aged

NOVEMBER = ("2026-11-01", "2026-11-30")
_REFERENCES = itertools.count(1)


def open_case(scenario: Scenario, age: int, by: str = "pat") -> tuple[int, dict[str, int]]:
    """A case with a unique reference (R-<n>-<age>), a child of ``age`` and one parent with PR."""
    with scenario.app.transaction() as s:
        user = scenario.user(s, by)
        case = cases.open_case(
            scenario.app, s, user, reference=f"R-{next(_REFERENCES)}-{age}", title="Report case",
            child_name="Child Report", child_date_of_birth=born_aged(age, scenario.app.clock.now().date()),
        )  # fmt: skip
        ids = {"case": case.id, "child": cases.subject_of(s, case).id}
        ids["parent1"] = cases.add_person(
            scenario.app, s, user, case.id, full_name="Parent", relationship_to_child="parent",
            has_parental_responsibility=True,
        ).id  # fmt: skip
        return case.id, ids


def consult(scenario: Scenario, case_id: int, by: str) -> int:
    with scenario.app.transaction() as s:
        return sharing.start_manager_consultation(
            scenario.app, s, scenario.user(s, by), case_id, urgency="standard", question="May I share the report?"
        ).id


def advise(scenario: Scenario, instance: int, spec: str, who: str) -> None:
    scenario.complete(instance, spec, who, {"advice_decision": "share", "advice_reasons": "The risk of harm is clear"})


def fire_timers(scenario: Scenario, instance: int) -> None:
    with scenario.app.transaction() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        scenario.app.engine.fire_due_timers(s, scenario.app.clock, row)


def consent_episode(scenario: Scenario, outcome: str) -> None:
    case_id, ids = open_case(scenario, 16)
    instance = scenario.start_episode(case_id)
    data: dict[str, Any] = {"consent_outcome": outcome}
    if outcome == "not_sought":
        data |= {"not_sought_ground": "crime_investigation", "not_sought_reason": "Police advise it would alert him"}
    else:
        data |= {**EXPLAINED, "understanding_confirmed": True, "consenting_person_id": ids["child"]}
    if outcome.startswith("given"):
        data["recipients"] = [{"agency": "CAMHS"}]
    if outcome == "given_with_restrictions":
        data["restrictions"] = ["Not to be shared with the school"]
    scenario.complete(instance, "seek_consent", "pat", data)


def share_decision(
    scenario: Scenario, grounds: list[str], public_interest: dict[str, Any] | None = None, *, share: bool = True
) -> None:
    case_id, _ = open_case(scenario, 12)
    with scenario.app.transaction() as s:
        instance = sharing.start_share_without_consent(
            scenario.app, s, scenario.user(s, "pat"), case_id,
            not_sought_ground="immediate_risk_to_child", not_sought_reason="Asking would put the child at risk",
        ).id  # fmt: skip
    data: dict[str, Any] = {
        "grounds": grounds,
        "share_recipients": [{"agency": "CAMHS"}],
        "what_to_share": "School attendance record",
        "share_information": ["education"],
        "share_purposes": ["plan_support"],
        "decision_reasons": "Concern about the child's welfare",
        "in_doubt": False,
        "practitioner_decision": "share" if share else "do_not_share",
        "weighing": {"if_shared": "Support can start at once", "if_not_shared": "The child stays at risk of harm",
                     "proportionate": True},
    }
    if public_interest is not None:
        data["public_interest"] = public_interest
    scenario.complete(instance, "decide_grounds", "pat", data)


def scheme(scenario: Scenario, n: int, route: str, outcome: str | None, received: datetime) -> None:
    """A police scheme application as the CSOR/DVDS processes leave it."""
    with scenario.app.transaction() as s:
        s.add(
            SchemeApplication(
                reference=f"S-{n}",
                scheme="csor" if route == "csor" else "dvds",
                route=route,
                status="closed" if outcome else "open",
                applicant={"name": "Applicant"},
                subject={"name": "Subject"},
                children=[],
                concern="Concern about a new partner",
                received_at=received,
                received_by_id=scenario.users["priya"],
                completion_due_at=received + timedelta(days=28),
                outcome=outcome,
            )
        )


@pytest.fixture
def known(scenario: Scenario) -> Scenario:
    clock = scenario.app.clock  # Monday 23 November 2026, 09:00
    north_a, _ = open_case(scenario, 10)
    north_b, _ = open_case(scenario, 11)
    north_c, _ = open_case(scenario, 13)
    south, _ = open_case(scenario, 9, by="olu")
    in_time = consult(scenario, north_a, "pat")
    escalates = consult(scenario, north_b, "pat")
    south_one = consult(scenario, south, "olu")
    clock.advance(timedelta(hours=2))
    advise(scenario, in_time, "give_advice", "max")
    advise(scenario, south_one, "give_advice", "mo")
    clock.advance(timedelta(days=3))  # past the standard deadline: the escalation fires
    fire_timers(scenario, escalates)
    advise(scenario, escalates, "give_escalated_advice", "sue")
    for outcome in ("given", "given_with_restrictions", "refused", "not_sought"):
        consent_episode(scenario, outcome)
    share_decision(scenario, ["harm_to_child", "crime_committed"])
    share_decision(scenario, ["harm_to_child"])
    share_decision(scenario, [], {"interests": ["promote_welfare"], "judgement": "A measured response to the risk"})
    share_decision(scenario, [], share=False)
    consult(scenario, north_c, "pat")  # left open, its timers not fired: overdue once its deadline passes
    clock.advance(timedelta(days=6))
    november = datetime(2026, 11, 20, 10, tzinfo=UTC)
    for n, (route, outcome) in enumerate(
        [("right_to_ask", "disclosed"), ("right_to_ask", "disclosed"), ("right_to_ask", "not_disclosed"),
         ("right_to_know", "disclosed"), ("right_to_know", None), ("csor", "not_disclosed")]
    ):  # fmt: skip
        scheme(scenario, n, route, outcome, november)
    scheme(scenario, 99, "csor", "disclosed", datetime(2026, 10, 30, tzinfo=UTC))
    return scenario


def as_user(scenario: Scenario, name: str) -> Any:
    with scenario.app.db.read() as s:
        return scenario.user(s, name)


def rows(report: reports.Report, key: str) -> list[list[Any]]:
    return report.section(key).rows


def test_the_figures_match_the_scenario(known: Scenario) -> None:
    report = report_for(known.app, as_user(known, "sue"), *NOVEMBER)
    assert rows(report, "consultations") == [
        ["North", "2026-11", 2, 1, 1, 1, "50%"],
        ["South", "2026-11", 1, 1, 0, 0, "100%"],
    ]
    escalation = rows(report, "escalations")
    assert len(escalation) == 1
    team, case, urgency, why, _at, by, decision, reasons, in_time = escalation[0]
    assert (team, urgency, by, decision, reasons, in_time) == (
        "North", "standard", "Sue Senior", "share", "The risk of harm is clear", "yes"
    )  # fmt: skip
    assert case.startswith("R-") and case.endswith("-11") and "deadline" in why
    overdue = rows(report, "overdue")
    assert [(r[0], r[1], r[2]) for r in overdue] == [("North", "manager", "Give advice on sharing")]
    assert rows(report, "consents") == [["2026-11", 1, 1, 1, 1, 4], ["total", 1, 1, 1, 1, 4]]
    by_ground = dict(rows(report, "shares"))
    assert [by_ground[k] for k in by_ground] == [2, 0, 1, 0, 0, 0, 0, 1]
    assert report.section("shares").note.startswith("3 decision(s) to share without consent; 1 not shared, 3 share")
    assert rows(report, "schemes") == [
        ["DVDS right to ask", 3, 2, 1, 0, "67%"],
        ["DVDS right to know", 2, 1, 0, 1, "50%"],
        ["CSOR", 1, 0, 1, 0, "0%"],
    ]


def test_a_manager_from_another_team_sees_figures_but_not_north_details(known: Scenario) -> None:
    report = report_for(known.app, as_user(known, "mo"), *NOVEMBER)
    [escalation] = rows(report, "escalations")
    assert escalation[1] == "(not your team)" and escalation[7] == "(not your team)"
    assert rows(report, "overdue")[0][3] == "(not your team)"
    assert rows(report, "consultations")[0][2] == 2  # the aggregate figures are the partnership's


def test_police_staff_see_only_the_scheme_figures_and_practitioners_none(known: Scenario) -> None:
    police = report_for(known.app, as_user(known, "priya"), *NOVEMBER)
    assert [t.key for t in police.sections] == ["schemes"]
    with pytest.raises(ReportError, match="No report section 'consents'"):
        police.section("consents")
    with pytest.raises(PermissionDeniedError, match="manager"):
        report_for(known.app, as_user(known, "pat"))
    with known.app.db.read() as s:
        refused = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (refused.event_type, refused.actor_id) == ("access_refused", known.users["pat"])


def test_the_period_filters_and_the_whole_history_includes_october(known: Scenario) -> None:
    everything = report_for(known.app, as_user(known, "sue"))
    assert rows(everything, "schemes")[2] == ["CSOR", 2, 1, 1, 0, "50%"]
    december = report_for(known.app, as_user(known, "sue"), "2026-12-01", "2026-12-31")
    assert rows(december, "consultations") == [] and rows(december, "consents") == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("1 Nov", None, "not a date"), ("2026-11-30", "2026-11-01", "ends .* before it starts")],
)
def test_a_bad_period_is_a_clear_error_and_nothing_is_written(
    known: Scenario, start: str, end: str | None, message: str
) -> None:
    with known.app.db.read() as s:
        before = len(list(s.scalars(select(AuditEvent.seq))))
    with pytest.raises(ReportError, match=message):
        report_for(known.app, as_user(known, "sue"), start, end)
    with known.app.db.read() as s:
        assert len(list(s.scalars(select(AuditEvent.seq)))) == before


def test_reading_a_report_is_audited(known: Scenario) -> None:
    report_for(known.app, as_user(known, "sue"), *NOVEMBER)
    with known.app.db.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.event_type == "report_viewed" and event.actor_id == known.users["sue"]


def test_each_section_downloads_as_csv_with_the_same_figures(known: Scenario) -> None:
    report = report_for(known.app, as_user(known, "sue"), *NOVEMBER)
    schemes = list(csv.reader(io.StringIO(report.section("schemes").to_csv().decode())))
    assert schemes[0][:3] == ["route", "applications", "disclosures made"]
    assert schemes[1] == ["DVDS right to ask", "3", "2", "1", "0", "67%"]


def test_each_chart_is_an_svg_showing_the_figures(known: Scenario) -> None:
    report = report_for(known.app, as_user(known, "sue"), *NOVEMBER)
    for table in report.sections:
        assert table.chart is not None
        svg = chart_svg(table.chart, table.title)
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "<script" not in svg
        assert table.title.split(",")[0].replace("&", "&amp;") in svg
    schemes_svg = chart_svg(report.section("schemes").chart, "Schemes")  # type: ignore[arg-type]
    assert "DVDS right to ask" in schemes_svg and ">3<" in schemes_svg.replace(" ", "")
    empty = chart_svg(reports.Chart([], {}), "Nothing")
    assert "Nothing to show for this period" in empty


def test_safeshare_report_prints_the_same_figures(known: Scenario, tmp_path: Any) -> None:
    _register()
    result = CliRunner().invoke(
        cli_app,
        ["report", "--as", "sue", "--from", NOVEMBER[0], "--to", NOVEMBER[1], "--csv", str(tmp_path),
         "--database-url", known.app.settings.database_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Consultations answered within deadline" in out and "DVDS right to ask" in out and "67%" in out
    assert (tmp_path / "schemes.csv").read_text().splitlines()[1] == "DVDS right to ask,3,2,1,0,67%"
    bad = CliRunner().invoke(
        cli_app, ["report", "--as", "pat", "--database-url", known.app.settings.database_url]
    )
    assert bad.exit_code == 1 and "manager" in bad.output


def test_the_report_page_shows_each_section_with_its_chart_and_csv_link(known: Scenario) -> None:
    from tests.webkit import make_webkit

    web = make_webkit(known.app, known)
    page = web.get("sue", "/reports?from=2026-11-01&to=2026-11-30")
    assert page.status_code == 200, page.text
    html = page.text
    for key in reports.SECTIONS:
        assert f'data-testid="report-{key}"' in html and f"/reports/{key}.csv?from=2026-11-01&amp;to=2026-11-30" in html
    main = html.split("<main")[1].split("</main>")[0]
    assert main.count('<figure class="app-chart') == main.count("<svg") == len(reports.SECTIONS)
    assert "<script" not in main
    csv_page = web.get("sue", "/reports/schemes.csv?from=2026-11-01&to=2026-11-30")
    assert csv_page.status_code == 200 and "DVDS right to ask,3,2,1,0,67%" in csv_page.text
    api = web.get("priya", "/api/reports?from=2026-11-01&to=2026-11-30").json()
    assert [s["key"] for s in api["sections"]] == ["schemes"] and api["sections"][0]["rows"][0][1] == 3
    bad = web.get("sue", "/api/reports?month=11")
    assert bad.status_code == 422 and "Unknown report parameter 'month'" in bad.json()["error"]
    refused = web.get("pat", "/api/reports")
    assert refused.status_code == 403
    shown_error = web.get("sue", "/reports?from=yesterday")
    assert shown_error.status_code == 200 and "The start date must be a real date" in shown_error.text
    assert "YYYY" not in shown_error.text and "For example, 27 3 2026" in shown_error.text
    for query, href, words in [
        ("from-day=30&from-month=2&from-year=2026", "#from-day", "The start date must be a real date"),
        ("from-day=2&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026", "#to-day",
         "The end date must be the same as or after the start date"),
    ]:
        html = web.get("sue", f"/reports?{query}").text
        summary = html.split('govuk-error-summary__list')[1].split("</ul>")[0]
        assert f'href="{href}"' in summary and words in summary and f'id="{href[1:]}"' in html
        assert 'name="from-day" type="text" value="' + query.split("&")[0].split("=")[1] + '"' in html \
            or 'value="' + query.split("&")[0].split("=")[1] + '"' in html  # what was typed is kept
    by_boxes = web.get("sue", "/reports?from-day=1&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026")
    assert "/reports/schemes.csv?from=2026-11-01&amp;to=2026-11-30" in by_boxes.text


def test_a_task_held_outside_the_team_does_not_open_a_cases_report_details(known: Scenario) -> None:
    """Issue 15, item 2: max claims advice on North's escalated case, then moves to South. Holding a task
    shows that task, not the case's escalation reasons in the report."""
    [escalation] = rows(report_for(known.app, as_user(known, "sue"), *NOVEMBER), "escalations")
    with known.app.db.read() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == escalation[1])).one()
    again = consult(known, case_id, "pat")
    task = known.task(again, "give_advice")
    with known.app.transaction() as s:
        service.claim_task(known.app, s, known.user(s, "max"), task.task_id)
        known.user(s, "max").team_id = known.team_ids["south"]
    [escalation] = rows(report_for(known.app, as_user(known, "max"), *NOVEMBER), "escalations")
    assert escalation[1] == "(not your team)" and escalation[7] == "(not your team)"
