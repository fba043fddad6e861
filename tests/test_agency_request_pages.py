"""P10 outbound requests in the API and on the case page (R46): sent with a reference, the other agency's
answer recorded by that reference is delivered to the waiting process and shown on the case in words; an
unknown reference or a request already answered is refused with a clear error and nothing changes."""

from __future__ import annotations

import pytest

from safeshare.app import App
from tests.builders import Scenario
from tests.test_agency_request import ASK
from tests.webkit import WebKit, assert_error, make_webkit


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def test_r46_an_answer_to_our_request_is_recorded_through_the_api_by_its_reference(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    sent = web.post("pat", f"/api/cases/{case_id}/agency-requests", json={**ASK, "direction": "outbound"})
    assert sent.status_code == 201, sent.text
    reference = sent.json()["reference"]
    assert reference.startswith("REQ-") and sent.json()["outcome"] is None
    answer = {"outcome": "answered", "text": "No concerns known to housing", "answered_by": "Sam, housing options"}
    unknown = web.post("pip", "/api/agency-requests/answers", json={**answer, "reference": "REQ-UNKNOWN"})
    assert_error(unknown, 404, "no request we sent with the reference REQ-UNKNOWN")
    done = web.post("pip", "/api/agency-requests/answers", json={**answer, "reference": reference})
    assert done.status_code == 200, done.text
    assert (done.json()["outcome"], done.json()["answer"]) == ("answered", "No concerns known to housing")
    again = web.post("pip", "/api/agency-requests/answers", json={**answer, "reference": reference})
    assert_error(again, 409, "already answered")
    listed = web.get("pat", f"/api/cases/{case_id}/agency-requests").json()["requests"]
    assert [(r["direction"], r["answered_by"]) for r in listed] == [("outbound", "Sam, housing options")]


def test_r46_the_case_page_shows_the_wait_and_then_the_answer_in_words(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    sent = web.post("pat", f"/api/cases/{case_id}/agency-requests", json={**ASK, "direction": "outbound"})
    reference = sent.json()["reference"]
    page = web.get("pat", f"/cases/{case_id}").text
    assert "We asked School nursing" in page and "Waiting for their answer" in page and reference in page
    web.post(
        "pip",
        "/api/agency-requests/answers",
        json={"reference": reference, "outcome": "declined", "text": "They need the parents' consent",
              "answered_by": "Oakfield school nurse"},
    )
    page = web.get("pat", f"/cases/{case_id}").text
    assert "They declined to answer: “They need the parents&#39; consent”" in page
    assert "Oakfield school nurse" in page and "(R46)" not in page
