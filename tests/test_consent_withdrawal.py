"""Consent after it is given: withdrawn at any time from the page, the API and the CLI (R44), and only the
consent of the episode of work in progress allows a share (R9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rules.consent import consent_in_force, consent_of_this_episode, withdrawal_recorded
from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli_app
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import AuditEvent, ConsentRecord, Disclosure, Episode
from safeshare.services import accounts, sharing
from tests.builders import Scenario
from tests.test_disclosure import DISCLOSED, consent_given, count, start_p4
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, assert_error, make_webkit


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    with app.transaction() as s:  # before the tokens: setting a password ends the user's sessions
        accounts.set_password(app, s, None, scenario.user(s, "pat"), PASSWORD)
    return make_webkit(app, scenario)


def _consent_id(scenario: Scenario, case_id: int) -> int:
    with scenario.app.db.read() as s:
        return s.scalars(select(ConsentRecord.id).where(ConsentRecord.case_id == case_id)).one()


def _shared_once(scenario: Scenario) -> tuple[int, int]:
    """A consent given, and one share made on it."""
    case_id = consent_given(scenario)
    scenario.complete(start_p4(scenario, case_id), "enter_disclosure", "pat", DISCLOSED)
    return case_id, _consent_id(scenario, case_id)


def test_r44_consent_withdrawn_through_the_api_stops_every_later_share_and_lists_those_made(web: WebKit) -> None:
    """R44: withdrawn at any time: the share already made is listed and stays; a share begun before the
    withdrawal and finished after it is refused, and no new one can start; the audit trail records it."""
    scenario = web.scenario
    case_id, consent_id = _shared_once(scenario)
    pending = start_p4(scenario, case_id)  # a share begun while consent was in force
    url = f"/api/cases/{case_id}/consents/{consent_id}/withdrawal"
    assert_error(web.post("pat", url, {"how": "by_pigeon"}), 422, "how")
    done = web.post("pat", url, {"how": "phone", "note": "She no longer wants the school nurse told anything"})
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["status"] == "withdrawn" and [s["recipient_agency"] for s in body["shares_already_made"]] == [
        "School nursing"
    ]
    with pytest.raises(DomainRuleError, match=r"withdrew their consent on .*nothing more may be shared on it \(R44\)"):
        scenario.complete(pending, "enter_disclosure", "pat", {**DISCLOSED, "made_at": "2026-11-23T10:00"})
    with scenario.app.transaction() as s, pytest.raises(DomainRuleError, match="no active consent"):
        sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id)
    assert count(scenario, Disclosure) == 1  # the share made before stays on the register
    [event] = web.events("consent_withdrawn")
    assert event.case_id == case_id and event.detail["shares_already_made"] and "by phone" in event.summary
    assert_error(web.post("pat", url, {"how": "phone"}), 422, "not in force")  # nothing left to withdraw
    assert withdrawal_recorded("active", "refused", "phone")[0].rule_id == "R44"
    assert consent_in_force("withdrawn", None) and not consent_in_force("active", None)


def test_r44_consent_withdrawn_from_the_case_page(web: WebKit) -> None:
    """R44 on the page: the case shows the way to withdraw; the page lists what was already shared, asks how
    the person told us (an answer is needed, kept on error), and afterwards shows the consent as withdrawn."""
    case_id, consent_id = _shared_once(web.scenario)
    client = sign_in(web, "pat")
    case_page = client.get(f"/cases/{case_id}").text
    assert "Withdraw this consent" in case_page
    url = f"/cases/{case_id}/consents/{consent_id}/withdraw"
    page = client.get(url).text
    assert "Already shared on this consent" in page and "to School nursing" in page
    assert "How did the person tell you they are withdrawing their consent?" in page
    refused = client.post(url, data={"csrf_token": csrf_of(page), "note": "Told me at the door"})
    assert refused.status_code == 422 and "There is a problem" in refused.text
    assert "Told me at the door" in refused.text and not web.events("consent_withdrawn")
    done = client.post(url, data={"csrf_token": csrf_of(page), "how": "in_person", "note": "Told me at the door"})
    assert done.status_code == 200 and "Consent withdrawn" in done.text and "Withdraw consent</button>" not in done.text
    assert "When it was withdrawn" in client.get(f"/cases/{case_id}").text
    with web.app.db.read() as s:
        record = s.get(ConsentRecord, consent_id)
        assert record is not None and record.status == "withdrawn" and record.withdrawal is not None
        assert record.withdrawal["how"] == "in_person" and record.withdrawal["by"] == "Pat Practitioner"


def test_r44_consent_withdrawn_from_the_cli(scenario: Scenario, app: App) -> None:
    case_id, consent_id = _shared_once(scenario)
    _register()
    run = CliRunner().invoke(
        cli_app,
        ["consent", "withdraw", str(case_id), str(consent_id), "--how", "in_writing", "--as", "pat",
         "--database-url", app.settings.database_url],
    )
    assert run.exit_code == 0, run.output
    assert "Nothing more may be shared on it" in run.output and "to School nursing by secure email" in run.output
    again = CliRunner().invoke(
        cli_app,
        ["consent", "withdraw", str(case_id), str(consent_id), "--how", "in_writing", "--as", "pat",
         "--database-url", app.settings.database_url],
    )
    assert again.exit_code == 1 and "not in force" in again.output
    with app.db.read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "consent_withdrawn")).one()


def test_r9_a_share_never_uses_the_consent_of_an_earlier_episode(scenario: Scenario) -> None:
    """R9: episode 1 had consent; episode 2 began and its consent is still to be sought. A disclosure started
    without naming an episode does not fall back on episode 1's consent, and naming episode 1 is refused;
    once episode 2's consent is recorded, episode 1 is closed."""
    case_id = consent_given(scenario)
    old_consent = _consent_id(scenario, case_id)
    second = scenario.start_episode(case_id)
    with scenario.app.transaction() as s, pytest.raises(DomainRuleError, match="no active consent"):
        sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id)
    with scenario.app.db.read() as s:
        first_episode = s.get(ConsentRecord, old_consent).episode_id  # type: ignore[union-attr]
    with scenario.app.transaction() as s, pytest.raises(DomainRuleError, match=r"earlier episode of work.*\(R9\)"):
        sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id, episode_id=first_episode)
    assert consent_of_this_episode(1, 2)[0].rule_id == "R9"
    from tests.builders import EXPLAINED

    with scenario.app.db.read() as s:
        child = s.get(ConsentRecord, old_consent).consenting_person_id  # type: ignore[union-attr]
    scenario.complete(second, "seek_consent", "pat", {
        **EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given", "consenting_person_id": child,
        "recipients": [{"agency": "School nursing"}],
    })
    with scenario.app.db.read() as s:
        episode = s.get(Episode, first_episode)
        assert episode is not None and episode.closed_at == scenario.app.clock.now()
    scenario.complete(start_p4(scenario, case_id), "enter_disclosure", "pat", DISCLOSED)
    with scenario.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
        assert entry.consent_record_id != old_consent
