"""The known dead end, found on a copy of the scheme models as they were (tests/fixtures/old_models/).

On those models an application whose identity was not verified at the face-to-face meeting could
still be decided for disclosure; "Disclose in person" then waited for ever, because the step after it
refuses any disclosure before identity is verified. Nothing in the suite walked that path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.soundness import Report, check_folder
from tests.old_scheme_contracts import OLD_CONTRACTS, OLD_START_DATA

OLD_MODELS = Path(__file__).parent / "fixtures" / "old_models"
SCHEMES = ("csor_application", "dvds_right_to_ask", "dvds_right_to_know")

# Models and forms only: `make test-postgresql` leaves it to the SQLite pass.
pytestmark = pytest.mark.no_database


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {r.model: r for r in check_folder(OLD_MODELS, OLD_CONTRACTS, OLD_START_DATA)}


@pytest.mark.parametrize("process_id", SCHEMES)
def test_the_identity_not_verified_dead_end_is_reported(reports: dict[str, Report], process_id: str) -> None:
    dead_ends = [f for f in reports[process_id].findings if f.kind == "dead_end"]
    assert dead_ends, f"{process_id}: no dead end reported"
    for finding in dead_ends:
        assert finding.elements == ("disclose_in_person",)
        assert f"{process_id}.bpmn" in finding.model
        assert "'Disclose in person with the warning'" in finding.message
        assert "application.identity_verified no" in finding.message
        assert "before identity is verified" in finding.message
    assert {f.kind for f in reports[process_id].findings} >= {"dead_end", "form_asks_inapplicable"}


@pytest.mark.parametrize("process_id", SCHEMES)
def test_what_was_disclosed_is_not_asked_for_after_withholding(reports: dict[str, Report], process_id: str) -> None:
    asks = [f for f in reports[process_id].findings if f.kind == "form_asks_inapplicable"]
    assert [f.elements for f in asks] == [("disclose_in_person", "information_disclosed")]
    assert "do not disclose" in asks[0].message
    assert "'What was disclosed'" in asks[0].message


def test_nothing_else_is_wrong_with_the_old_models(reports: dict[str, Report]) -> None:
    kinds = {f.kind for r in reports.values() for f in r.findings}
    assert kinds == {"dead_end", "form_asks_inapplicable"}
