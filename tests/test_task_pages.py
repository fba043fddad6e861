"""What a task's page shows and asks, through HTTP: pickers filled from the case (nobody types an id), the
question and the facts beside a manager's advice task, errors that name the question, the right hint under
each choice, an episode's purpose refused when empty, and a disclosure started on the decision chosen."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.records import Episode, OpenTask, ProcessInstance, ShareDecision
from safeshare.services import accounts, sharing
from tasks.forms import validate_form
from tests.builders import Scenario
from tests.test_share_without_consent import DECISION, start_p2
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, make_webkit
from web.forms import build_fields, error_summary, parse_post
from workflows.model_registry import with_uischema
from workflows.timer_sweep import sweep_due_timers

FORMS = Path(__file__).resolve().parents[1] / "bpmn" / "forms"


def form(name: str) -> dict:
    path = FORMS / f"{name}.schema.json"
    return with_uischema(json.loads(path.read_text(encoding="utf-8")), path)


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        for name in ("pat", "max", "sue"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    return kit


def text_of(page: str) -> str:
    return html.unescape(page)


# ---------------------------------------------------------------- the form engine


def test_a_picker_offers_the_case_records_and_reads_back_the_id_chosen() -> None:
    schema = form("record_disclosure")
    choices = {
        "staff": [("7", "Pip Practitioner")],
        "recipients": [("School nursing", "School nursing")],
        "received": [("3", "Bruising seen, from GP, received 20 Nov 2026")],
    }
    fields = {f.name: f for f in build_fields(schema, choices=choices)}
    assert (fields["made_by_user_id"].kind, fields["made_by_user_id"].options) == (
        "select",
        [("7", "Pip Practitioner")],
    )
    assert fields["made_by_user_id"].placeholder == "It was me"
    assert fields["recipient_agency"].kind == "radios" and fields["recipient_agency"].options == [
        ("School nursing", "School nursing")
    ]
    row = {c.name: c for c in fields["disclosed_items"].rows[0]}
    assert row["disclosed_items-0-received_information_id"].kind == "select"
    assert row["disclosed_items-0-received_information_id"].options == choices["received"]
    posted = {
        "made_by_user_id": "7",
        "recipient_agency": "School nursing",
        "disclosed_items-0-content": "Bruising",
        "disclosed_items-0-kind": "fact",
        "disclosed_items-0-received_information_id": "3",
    }
    data = parse_post(schema, posted)
    assert data["made_by_user_id"] == 7 and data["recipient_agency"] == "School nursing"
    assert data["disclosed_items"] == [{"content": "Bruising", "kind": "fact", "received_information_id": 3}]


def test_a_picker_with_nothing_to_choose_says_so() -> None:
    fields = {f.name: f for f in build_fields(form("record_disclosure"), choices={})}
    assert fields["recipient_agency"].options == []
    assert fields["recipient_agency"].empty_text == "No consent or decision on this case names a recipient"


def test_errors_name_the_question_and_the_form_words_win() -> None:
    with pytest.raises(Exception) as raised:
        validate_form(form("give_advice"), {})
    errors = raised.value.field_errors  # type: ignore[attr-defined]
    assert errors == {
        "advice_decision": "Select an answer to “What do you advise?”",
        "advice_reasons": "Enter your reasons",
    }
    fields = build_fields(form("give_advice"), {}, errors)
    assert [f.error for f in fields] == ["Select what you advise", "Enter the reasons for your advice"]
    assert error_summary(fields) == [
        {"text": "Select what you advise", "href": "#advice_decision"},
        {"text": "Enter the reasons for your advice", "href": "#advice_reasons"},
    ]


def test_a_date_left_out_links_to_its_day_box() -> None:
    schema = {
        "type": "object",
        "properties": {"seen_on": {"type": "string", "format": "date", "title": "Seen on"}},
        "required": ["seen_on"],
    }
    with pytest.raises(Exception) as raised:
        validate_form(schema, {})
    fields = build_fields(schema, {}, raised.value.field_errors)  # type: ignore[attr-defined]
    assert error_summary(fields) == [{"text": "Enter seen on", "href": "#seen_on-day"}]


@pytest.mark.parametrize("name", ["give_advice", "give_escalated_advice"])
def test_each_advice_choice_has_its_own_hint(name: str) -> None:
    advice = build_fields(form(name))[0]
    assert "should not" not in advice.option_hints["share"] and "Seek" not in advice.option_hints["share"]
    assert advice.option_hints["do_not_share"] == "It should not be shared."
    assert advice.hint == "The practitioner then makes the decision."


# ---------------------------------------------------------------- the pages


def unsure(scenario: Scenario) -> tuple[int, int]:
    """A practitioner unsure whether to share, after weighing grounds, what and with whom: asks a manager."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {
        **DECISION, "in_doubt": True, "urgency": "standard", "grounds": ["harm_to_child"],
        "question": "Is the bruising enough to share against his wish?",
        "decision_reasons": "He says the bruises came from football"})  # fmt: skip
    return case_id, instance


def advice_task(web: WebKit, spec: str) -> str:
    with web.app.db.read() as s:
        return s.scalars(select(OpenTask.task_id).where(OpenTask.task_spec == spec)).one()


def test_the_manager_sees_the_practitioners_question_and_what_they_weighed(web: WebKit) -> None:
    unsure(web.scenario)
    page = text_of(sign_in(web, "max").get(f"/tasks/{advice_task(web, 'give_advice')}").text)
    assert "The practitioner's question" in page
    assert "Is the bruising enough to share against his wish?" in page
    assert "He says the bruises came from football" in page
    assert "Not sharing may result in harm to the child or young person" in page  # the ground weighed
    assert DECISION["what_to_share"] in page and "School nursing" in page
    assert "Pat Practitioner" in page and "The child or young person" in page
    assert "Read their question on the case" not in page
    assert "harm_to_child" not in page and "standard" not in page.replace("Standard", "")


def test_the_senior_manager_sees_the_question_and_what_happened_so_far(web: WebKit) -> None:
    unsure(web.scenario)
    clock = web.app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=2, minutes=1))
    sweep_due_timers(web.app)
    page = text_of(sign_in(web, "sue").get(f"/tasks/{advice_task(web, 'give_escalated_advice')}").text)
    assert "Is the bruising enough to share against his wish?" in page
    assert "What has happened so far" in page and "No manager gave advice by the deadline" in page
    assert "Your deadline" in page


def test_an_episode_without_a_purpose_is_refused_in_the_page_and_nothing_is_written(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get(f"/cases/{case_id}").text)
    with web.app.db.read() as s:
        before = s.scalar(select(func.count()).select_from(Episode))
    r = client.post(
        f"/cases/{case_id}/start/episodes", data={"csrf_token": csrf, "purpose": "  "}, follow_redirects=False
    )
    assert r.status_code == 422
    assert 'href="#purpose"' in r.text and 'id="purpose-error"' in r.text
    assert "Enter the purpose of the episode of work" in r.text
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Episode)) == before
    ok = client.post(
        f"/cases/{case_id}/start/episodes",
        data={"csrf_token": csrf, "purpose": "Support at school"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/tasks/")


def test_a_disclosure_after_a_decision_to_share_is_started_on_the_decision_chosen(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(14)
    instance = start_p2(web.scenario, case_id)
    web.scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["harm_to_child"]})
    with web.app.db.read() as s:
        decision = s.scalars(select(ShareDecision)).one()
    client = sign_in(web, "pat")
    page = client.get(f"/cases/{case_id}").text
    assert "What is the disclosure based on?" in page and 'name="share_decision_id" type="hidden"' not in page
    assert f'value="{decision.id}" checked' in page  # the one decision, chosen already
    r = client.post(
        f"/cases/{case_id}/start/disclosures",
        data={"csrf_token": csrf_of(page), "share_decision_id": str(decision.id)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/tasks/"), r.text
    task = text_of(client.get(r.headers["location"]).text)
    assert "Record the disclosure" in task
    with web.app.db.read() as s:
        started = s.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "disclosure_record")).all()
    assert len(started) >= 1


def test_a_question_asked_from_the_case_page_shows_only_what_was_asked(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    with web.app.transaction() as s:
        sharing.start_manager_consultation(
            web.app,
            s,
            web.scenario.user(s, "pat"),
            case_id,
            urgency="urgent",
            question="Can we tell the school about the move?",
        )
    page = text_of(sign_in(web, "max").get(f"/tasks/{advice_task(web, 'give_advice')}").text)
    assert "Can we tell the school about the move?" in page and "Urgent: a child may come to harm" in page
    assert "What would be shared" not in page and "Not said yet" not in page
