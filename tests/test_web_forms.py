"""Task forms drawn from their JSON Schemas: questions inside a list of rows (an "array" of "object" items)
are drawn and read back as the same questions at the top of a form are (yes/no as radios, choices, numbers,
required markers, hints, errors beside the field), so the police schemes' face-to-face stage, with its
identity documents and their "Has a photo?", can be completed in the browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.config import BPMN_DIR
from safeshare.core.errors import FormValidationError, ModelError
from safeshare.core.records import OpenTask, ShareDecision
from safeshare.services import accounts
from tasks.forms import validate_form
from tests import scheme_steps
from tests.builders import Scenario
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, make_webkit
from web.forms import NONE_CHOICE, REAL_DATE, REAL_MOMENT, build_fields, error_summary, parse_post
from web.templating import build_environment
from workflows.model_registry import ModelRegistry, with_uischema

NOTES = "Met at the station; relationship of 8 months"


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        accounts.set_password(app, s, None, scenario.user(s, "priya"), PASSWORD)
    return kit


def face_to_face(web: WebKit, route: str) -> tuple[int, int, str, TestClient]:
    """An application of ``route`` at its face-to-face stage: (application id, instance id, task id, client)."""
    application_id, instance = scheme_steps.start(web.scenario, route)
    web.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    task_id = web.scenario.task(instance, "face_to_face").task_id
    return application_id, instance, task_id, sign_in(web, "priya")


def meeting(csrf: str, *documents: tuple[str, str | None]) -> dict[str, str]:
    """What the page posts: identity verified, the notes, and per row the document and "Has a photo?"."""
    data = {"csrf_token": csrf, "identity_verified": "yes", "meeting_notes": NOTES}
    for row, (document, photo) in enumerate(documents):
        data[f"identity_documents-{row}-document"] = document
        if photo is not None:  # a yes/no left unanswered posts nothing
            data[f"identity_documents-{row}-has_photo"] = photo
    return data


def tag(html: str, element: str, **attributes: str) -> str:
    """The one opening tag of ``element`` carrying all ``attributes`` (in any order)."""
    found = [t for t in re.findall(rf"<{element}\b[^>]*>", html)
             if all(f'{k.rstrip("_")}="{v}"' in t for k, v in attributes.items())]
    assert len(found) == 1, (element, attributes, found)
    return found[0]


def block(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


@pytest.mark.parametrize("route", ["csor", "right_to_ask"])  # right to know has no applicant to meet
def test_the_face_to_face_meeting_is_completed_through_the_page(web: WebKit, route: str) -> None:
    application_id, instance, task_id, client = face_to_face(web, route)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200, page.text

    # "Has a photo?" in each row is a yes/no question, as "Identity verified?" is: inline radios in a fieldset.
    for row in range(4):
        name = f"identity_documents-{row}-has_photo"
        assert 'type="radio"' in tag(page.text, "input", name=name, value="yes")
        assert 'type="radio"' in tag(page.text, "input", name=name, value="no")
        inputs = re.findall(rf'<input\b[^>]*name="{name}"[^>]*>', page.text)
        assert len(inputs) == 2 and all('type="radio"' in t for t in inputs)  # no text box
        select = block(page.text, f'name="identity_documents-{row}-document"', "</select>")
        assert '<option value="">Choose one</option>' in select and ">None<" not in select
        assert '<option value="driving_licence">Driving licence</option>' in select
    first_row = block(page.text, "Document 1</h2>", "Document 2</h2>")
    assert "Yes if the document carries the holder&#39;s photo." in first_row  # hints, escaped
    assert "Has a photo?" in first_row and "(optional)" not in first_row  # both questions of a row are required
    assert first_row.count("govuk-radios--inline") == 1

    data = meeting(csrf_of(page.text), ("passport", "yes"), ("utility_bill", "no"), ("", None), ("", None))
    done = client.post(f"/tasks/{task_id}", data=data)

    assert done.status_code == 200, block(done.text, "govuk-error-summary", "</ul>")
    assert "Face-to-face meeting with the applicant: done" in done.text
    stored = scheme_steps.application(web.scenario, application_id).identity_check
    assert stored is not None
    assert stored["verified"] is True and stored["notes"] == NOTES
    assert stored["documents"] == [{"document": "passport", "has_photo": True},
                                   {"document": "utility_bill", "has_photo": False}]
    assert [t.task_spec for t in web.scenario.open_tasks(instance)] == ["full_risk_assessment"]


def test_a_row_answer_left_out_is_shown_beside_it_and_what_was_chosen_is_kept(web: WebKit) -> None:
    _, instance, task_id, client = face_to_face(web, "right_to_ask")
    csrf = csrf_of(client.get(f"/tasks/{task_id}").text)
    before = web.counts()

    r = client.post(f"/tasks/{task_id}", data=meeting(csrf, ("passport", "yes"), ("", "no")))  # no kind given

    assert r.status_code == 422
    summary = block(r.text, 'govuk-error-summary__list"', "</ul>")
    assert 'href="#identity_documents-1-document"' in summary  # the link goes to the question in the row
    assert "Identity documents seen: Document 2: Select an answer to “Document”" in summary
    assert "Must be boolean" not in r.text
    row = block(r.text, "Document 2</h2>", "Document 3</h2>")
    assert 'id="identity_documents-1-document-error"' in row and "Select an answer to “Document”" in row
    assert "govuk-select--error" in tag(row, "select", name="identity_documents-1-document")
    assert "checked" in tag(r.text, "input", name="identity_documents-1-has_photo", value="no")  # kept
    assert "checked" not in tag(r.text, "input", name="identity_documents-1-has_photo", value="yes")
    assert "checked" in tag(r.text, "input", name="identity_documents-0-has_photo", value="yes")
    assert 'value="passport" selected' in block(r.text, 'name="identity_documents-0-document"', "</select>")
    first = block(r.text, "Document 1</h2>", "Document 2</h2>")
    assert "govuk-form-group--error" not in first  # the error is beside its own question only
    assert web.counts() == before
    assert [t.task_spec for t in web.scenario.open_tasks(instance)] == ["face_to_face"]


def test_the_identity_rule_refusal_keeps_the_yes_and_no_answers(web: WebKit) -> None:
    """R34: verified needs two documents, one with a photo; the refusal redraws the answers as given."""
    _, _, task_id, client = face_to_face(web, "csor")
    csrf = csrf_of(client.get(f"/tasks/{task_id}").text)
    before = web.counts()
    r = client.post(f"/tasks/{task_id}", data=meeting(csrf, ("bank_statement", "no"), ("utility_bill", "no")))
    assert r.status_code == 422
    assert "The applicant&#39;s identity is verified with two documents, at least one with a photo" in r.text
    for row in (0, 1):
        assert "checked" in tag(r.text, "input", name=f"identity_documents-{row}-has_photo", value="no")
    assert "checked" in tag(r.text, "input", name="identity_verified", value="yes")
    assert web.counts() == before


# The field builder and the post reader, on a schema with every kind of question inside a row.
ROWS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "title": "Items",
            "description": "Each item.",
            "items": {
                "type": "object",
                "title": "Item",
                "properties": {
                    "flag": {"type": "boolean", "title": "Flagged?", "description": "Yes if <flagged>."},
                    "kind": {"type": "string", "enum": ["fact", "opinion"], "title": "Kind"},
                    "count": {"type": "integer", "title": "Count"},
                    "amount": {"type": "number", "title": "Amount"},
                    "story": {"type": "string", "minLength": 10, "title": "Story"},
                    "note": {"type": "string", "title": "Note (optional)"},
                    "aliases": {"type": "array", "items": {"type": "string"}, "title": "Aliases"},
                },
                "required": ["flag", "kind"],
            },
        },
    },
}


def test_row_questions_are_built_as_the_top_level_ones_are() -> None:
    values = {"items": [{"flag": False, "kind": "opinion", "count": 3, "aliases": ["A", "B"]}]}
    errors = {"items.0.story": "Enter at least 10 characters", "items.1.flag": "This field is required"}
    [items] = build_fields(ROWS_SCHEMA, values, errors)

    assert items.kind == "object_list" and items.item_title == "Item" and len(items.rows) == 4
    assert [(s.name, s.kind, s.required) for s in items.subfields] == [
        ("flag", "boolean", True), ("kind", "select", True), ("count", "integer", False),
        ("amount", "number", False), ("story", "textarea", False), ("note", "text", False),
        ("aliases", "string_list", False)]
    assert items.subfields[0].hint == "Yes if <flagged>."
    assert items.subfields[1].options == [("fact", "Fact"), ("opinion", "Opinion")]
    first, second = items.rows[0], items.rows[1]
    assert [c.name for c in first] == [f"items-0-{s}" for s in
                                       ("flag", "kind", "count", "amount", "story", "note", "aliases")]
    assert [c.value for c in first] == [False, "opinion", 3, None, None, None, "A\nB"]
    assert first[4].error == "Enter at least 10 characters" and not first[0].error
    assert second[0].error == "This field is required" and second[0].value is None
    assert items.error == ""  # row errors are beside their questions, not on the whole list
    assert error_summary([items]) == [
        {"text": "Items: Item 1 story: Enter at least 10 characters", "href": "#items-0-story"},
        {"text": "Items: Item 2 flag: This field is required", "href": "#items-1-flag"}]


def test_a_list_error_stays_on_the_list() -> None:
    [items] = build_fields(ROWS_SCHEMA, {}, {"items": "Give at least 1"})
    assert items.error == "Give at least 1"
    assert error_summary([items]) == [{"text": "Items: Give at least 1", "href": "#items"}]


def test_posted_rows_are_read_back_in_the_schemas_types() -> None:
    form = {
        "items-0-flag": "yes", "items-0-kind": "fact", "items-0-count": "3", "items-0-amount": "2.5",
        "items-0-story": "  a long enough story ", "items-0-note": "", "items-0-aliases": "A\n\n B ",
        "items-1-kind": "", "items-1-count": "", "items-1-note": " ",  # left empty: no row
        "items-2-flag": "no", "items-2-count": "three",  # kept as typed, so the validator names it
        "items-3-kind": "opinion",
        "items-5-flag": "yes",  # a row whose only answer is a yes/no is not lost
    }
    assert parse_post(ROWS_SCHEMA, form) == {"items": [
        {"flag": True, "kind": "fact", "count": 3, "amount": 2.5, "story": "a long enough story",
         "aliases": ["A", "B"]},
        {"flag": False, "count": "three"},
        {"kind": "opinion"},
        {"flag": True},
    ]}
    assert parse_post(ROWS_SCHEMA, {"items-0-kind": "", "items-0-note": ""}) == {}


def render_fields(schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str]) -> str:
    env = build_environment()
    macro = env.from_string('{% from "_fields.html" import render_field %}'
                            "{% for f in fields %}{{ render_field(f) }}{% endfor %}")
    return macro.render(fields=build_fields(schema, values, errors))


def test_row_questions_are_drawn_with_the_govuk_macros() -> None:
    html = render_fields(ROWS_SCHEMA, {"items": [{"flag": True, "kind": "fact", "note": "<b>x</b>"}]},
                         {"items.0.count": "Must be integer"})
    assert "checked" in tag(html, "input", name="items-0-flag", value="yes", type="radio")
    assert "checked" not in tag(html, "input", name="items-0-flag", value="no", type="radio")
    assert "checked" not in tag(html, "input", name="items-1-flag", value="yes", type="radio")
    assert tag(html, "fieldset", class_="govuk-fieldset", **{"aria-describedby": "items-0-flag-hint"})
    assert "Yes if &lt;flagged&gt;." in html and "<flagged>" not in html
    assert 'value="fact" selected' in block(html, 'name="items-0-kind"', "</select>")
    assert '<option value="">Choose one</option>' in block(html, 'name="items-0-kind"', "</select>")
    assert 'inputmode="numeric"' in tag(html, "input", name="items-0-count")
    assert 'id="items-0-count-error"' in html and "Must be integer" in html
    assert "govuk-input--error" in tag(html, "input", name="items-0-count")
    assert tag(html, "textarea", name="items-0-story")
    assert tag(html, "textarea", name="items-0-aliases")
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in tag(html, "input", name="items-0-note")
    assert "Note (optional) (optional)" not in html and "Note (optional)" in html
    assert "Count (optional)" in html and "Flagged? (optional)" not in html


def test_an_optional_choice_in_a_row_offers_not_given() -> None:
    schema = json.loads((BPMN_DIR / "forms" / "record_disclosure.schema.json").read_text())
    html = render_fields(schema, {}, {})
    assert '<option value="">Choose one</option>' in block(html, 'name="disclosed_items-0-kind"', "</select>")
    assert 'inputmode="numeric"' in tag(html, "input", name="disclosed_items-0-received_information_id")
    optional = {**schema, "properties": {**schema["properties"]}}
    optional["properties"]["disclosed_items"] = {**schema["properties"]["disclosed_items"],
                                                 "items": {**schema["properties"]["disclosed_items"]["items"],
                                                           "required": ["content"]}}
    html = render_fields(optional, {}, {})
    assert '<option value="">Not given</option>' in block(html, 'name="disclosed_items-0-kind"', "</select>")


@pytest.mark.parametrize("path", sorted((BPMN_DIR / "forms").glob("*.schema.json")), ids=lambda p: p.stem)
def test_every_task_form_is_drawn_and_its_row_questions_read_back(path: Any) -> None:
    schema = with_uischema(json.loads(path.read_text()), path)
    html = render_fields(schema, {}, {})
    for name, spec in schema["properties"].items():
        if spec.get("type") == "array" and spec["items"].get("type") == "object":
            for sub, sub_spec in spec["items"]["properties"].items():
                assert f'name="{name}-0-{sub}"' in html, (name, sub)
                if sub_spec.get("type") == "boolean":
                    assert 'type="radio"' in tag(html, "input", name=f"{name}-0-{sub}", value="yes")


# ---------------------------------------------------------------- the kinds of question the engine draws

DECISION_PATH = BPMN_DIR / "forms" / "decide_share_without_consent.schema.json"


def decision_form() -> dict[str, Any]:
    """The decision to share without consent, with its layout (as the model registry loads it)."""
    return with_uischema(json.loads(DECISION_PATH.read_text()), DECISION_PATH)


class Posted(dict[str, Any]):
    """A browser's post: a name may come more than once (one per box ticked), as Starlette's FormData."""

    def getlist(self, key: str) -> list[Any]:
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def everything(fields: list[Any]) -> dict[str, Any]:
    """Every question drawn, by name, however deep (parts, revealed questions)."""
    found: dict[str, Any] = {}
    for f in fields:
        found[f.name] = f
        found |= everything(f.parts)
        for revealed in f.reveals.values():
            found |= everything(revealed)
    return found


def test_a_list_of_choices_is_a_checkbox_group_read_back_as_a_list() -> None:
    fields = everything(build_fields(decision_form()))
    grounds = fields["grounds"]
    assert grounds.kind == "checkboxes" and grounds.options[0] == (
        "harm_to_child", "Not sharing may result in harm to the child or young person")
    assert fields["public_interest.interests"].kind == "checkboxes"
    html = render_fields(decision_form(), {"grounds": ["crime_committed"]}, {})
    assert "checked" in tag(html, "input", type="checkbox", name="grounds", value="crime_committed")
    assert "checked" not in tag(html, "input", type="checkbox", name="grounds", value="harm_to_child")
    assert 'data-behaviour="exclusive"' in tag(html, "input", type="checkbox", name="grounds", value=NONE_CHOICE)
    posted = Posted({"grounds": ["harm_to_child", "crime_committed"]})
    assert parse_post(decision_form(), posted)["grounds"] == ["harm_to_child", "crime_committed"]
    assert "grounds" not in parse_post(decision_form(), Posted({"grounds": [NONE_CHOICE]}))  # "none" is no answer
    enum_list = {"type": "object", "properties": {"agencies": {
        "type": "array", "title": "Agencies", "items": {"type": "string", "enum": ["police", "health"],
                                                          "x-labels": {"police": "The police"}}}}}
    [agencies] = build_fields(enum_list)
    assert agencies.kind == "checkboxes" and agencies.options == [("police", "The police"), ("health", "Health")]
    assert parse_post(enum_list, Posted({"agencies": "health"})) == {"agencies": ["health"]}


def test_a_question_with_parts_is_a_fieldset_each_part_posted_and_read_back_into_the_object() -> None:
    fields = build_fields(decision_form())
    [weighing] = [f for f in fields if f.name == "weighing"]
    assert weighing.kind == "object"
    assert [(p.name, p.kind) for p in weighing.parts] == [
        ("weighing.if_shared", "textarea"), ("weighing.if_not_shared", "textarea"),
        ("weighing.proportionate", "boolean")]
    posted = Posted({"in_doubt": "no", "weighing.if_shared": " The nurse can check ", "weighing.if_not_shared": "",
                     "weighing.proportionate": "yes"})
    assert parse_post(decision_form(), posted) == {
        "in_doubt": False, "weighing": {"if_shared": "The nurse can check", "proportionate": True}}
    assert "weighing" not in parse_post(decision_form(), Posted({"weighing.if_shared": " "}))  # all empty: no object
    html = render_fields(decision_form(), {}, {})
    assert tag(html, "textarea", name="weighing.if_shared")
    assert "checked" not in tag(html, "input", name="weighing.proportionate", value="yes")


def test_errors_are_shown_beside_the_part_they_are_about() -> None:
    values = {"weighing": {"if_shared": "short", "proportionate": True}}
    errors = {"weighing.if_shared": "Enter at least 10 characters", "weighing.if_not_shared": "This field is required",
              "what_to_share": "This field is required"}
    fields = build_fields(decision_form(), values, errors)
    found = everything(fields)
    assert found["weighing"].error == ""  # on its parts, not on the whole question
    assert found["weighing.if_shared"].error == "Enter at least 10 characters"
    assert found["weighing.if_shared"].value == "short"
    assert found["weighing.if_not_shared"].error == "Enter what might happen if it is not shared"  # its own words
    assert found["weighing.proportionate"].value is True and not found["weighing.proportionate"].error
    assert error_summary(fields) == [
        {"text": "What might happen if the information is shared?: Enter at least 10 characters",
         "href": "#weighing.if_shared"},
        {"text": "Enter what might happen if it is not shared",
         "href": "#weighing.if_not_shared"},
        {"text": "Enter what would be shared", "href": "#what_to_share"}]
    html = render_fields(decision_form(), values, errors)
    assert 'id="weighing.if_shared-error"' in html and "govuk-textarea--error" in tag(
        html, "textarea", name="weighing.if_shared")
    missing = everything(build_fields(decision_form(), {}, {"weighing": "This field is required"}))
    assert missing["weighing"].error.startswith("Weigh up what might happen")  # the whole question left out


DATED = {"type": "object", "properties": {"seen_on": {"type": "string", "format": "date", "title": "When seen?"}},
         "required": ["seen_on"]}


def test_a_date_is_asked_as_day_month_and_year_and_read_back_as_an_iso_date() -> None:
    [seen] = build_fields(DATED, {"seen_on": "2026-11-03"})
    assert seen.kind == "date" and seen.date_parts() == {"day": "3", "month": "11", "year": "2026"}
    html = render_fields(DATED, {"seen_on": "2026-11-03"}, {})
    assert 'value="3"' in tag(html, "input", name="seen_on-day")
    assert 'value="2026"' in tag(html, "input", name="seen_on-year")
    assert parse_post(DATED, {"seen_on-day": " 3", "seen_on-month": "11", "seen_on-year": "2026"}) == {
        "seen_on": "2026-11-03"}
    assert parse_post(DATED, {"seen_on-day": "", "seen_on-month": "", "seen_on-year": ""}) == {}


@pytest.mark.parametrize("typed", [("31", "2", "2026"), ("3", "", "2026"), ("x", "11", "2026"), ("3", "11", "26")])
def test_a_date_that_is_not_real_is_refused_naming_the_question_and_kept_as_typed(typed: tuple[str, ...]) -> None:
    day, month, year = typed
    posted = {"seen_on-day": day, "seen_on-month": month, "seen_on-year": year}
    data = parse_post(DATED, posted)
    with pytest.raises(FormValidationError) as refused:  # the validator refuses it: not an ISO date string
        validate_form(DATED, data)
    fields = build_fields(DATED, data, refused.value.field_errors)
    assert fields[0].error == REAL_DATE and fields[0].date_parts() == {"day": day, "month": month, "year": year}
    assert error_summary(fields) == [{"text": f"When seen?: {REAL_DATE}", "href": "#seen_on-day"}]
    html = render_fields(DATED, data, refused.value.field_errors)
    assert "govuk-input--error" in tag(html, "input", name="seen_on-month")


def test_a_long_answer_with_a_limit_has_a_character_count() -> None:
    schema = {"type": "object", "properties": {"summary": {"type": "string", "maxLength": 500, "title": "Summary"},
                                               "notes": {"type": "string", "minLength": 10, "title": "Notes"}}}
    html = render_fields(schema, {}, {})
    assert 'data-maxlength="500"' in html and 'data-module="govuk-character-count"' in html
    assert "You can enter up to 500 characters" in html
    assert html.count('data-module="govuk-character-count"') == 1  # a long answer without a limit: a text area
    assert tag(html, "textarea", name="notes")


LIMITED: dict[str, Any] = {"type": "object", "properties": {"people": {
    "type": "array", "title": "People", "maxItems": 3,
    "items": {"type": "object", "title": "Person", "properties": {"name": {"type": "string", "title": "Name"}}}}}}


def test_a_list_of_rows_shows_those_given_and_one_empty_up_to_its_limit() -> None:
    [people] = build_fields(LIMITED)
    assert (len(people.rows), people.rows_shown) == (3, 1)  # the limit; one open, two spare for "Add another"
    [people] = build_fields(LIMITED, {"people": [{"name": "A"}, {"name": "B"}]})
    assert (len(people.rows), people.rows_shown) == (3, 3)
    [people] = build_fields(LIMITED, {"people": [{"name": "A"}, {"name": "B"}, {"name": "C"}]})
    assert (len(people.rows), people.rows_shown) == (3, 3)  # full: no empty row
    people_spec = {k: v for k, v in LIMITED["properties"]["people"].items() if k != "maxItems"}
    unlimited = {"type": "object", "properties": {"people": people_spec}}
    [people] = build_fields(unlimited, {"people": [{"name": str(i)} for i in range(5)]})
    assert (len(people.rows), people.rows_shown) == (6, 6)
    html = render_fields(LIMITED, {"people": [{"name": "A"}]}, {})
    assert 'data-module="app-add-another"' in html and "Add another person" in html
    assert html.count("app-row--spare") == 1 and tag(html, "input", name="people-2-name")
    two = {**LIMITED, "x-uischema": {"people": {"ui:options": {"openRows": 2}}}}  # a list that needs two
    assert [f.rows_shown for f in build_fields(two)] == [2]
    full = render_fields(LIMITED, {"people": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}, {})
    assert "Add another" not in full and "people-3-name" not in full


def test_a_choice_reveals_its_questions_and_answers_to_questions_not_revealed_are_left_out() -> None:
    fields = build_fields(decision_form())
    top = [f.name for f in fields]
    assert "urgency" not in top and "legal_basis" not in top and "public_interest" not in top
    found = {f.name: f for f in fields}
    assert [r.name for r in found["in_doubt"].reveals["yes"]] == ["urgency", "question"]
    assert [r.name for r in found["grounds"].reveals["statutory_duty_or_court_order"]] == ["legal_basis"]
    assert [r.name for r in found["grounds"].reveals[NONE_CHOICE]] == ["public_interest"]
    html = render_fields(decision_form(), {}, {})
    assert 'data-aria-controls="conditional-in_doubt"' in tag(html, "input", name="in_doubt", value="yes")
    conditional = block(html, 'id="conditional-in_doubt"', 'name="in_doubt" type="radio" value="no"')
    assert 'name="urgency"' in conditional and 'name="question"' in conditional

    asked = Posted({"in_doubt": "yes", "urgency": "urgent", "question": "Is the bruising enough?"})
    assert parse_post(decision_form(), asked) == {
        "in_doubt": True, "urgency": "urgent", "question": "Is the bruising enough?"}
    changed_mind = Posted({**asked, "in_doubt": "no"})
    assert parse_post(decision_form(), changed_mind) == {"in_doubt": False}  # hidden: not validated, not kept
    court = {"legal_basis.kind": "court_order", "legal_basis.reference": "ZW26C00123"}
    assert "legal_basis" not in parse_post(decision_form(), Posted({"grounds": "harm_to_child", **court}))
    assert parse_post(decision_form(), Posted({"grounds": "statutory_duty_or_court_order", **court}))[
        "legal_basis"] == {"kind": "court_order", "reference": "ZW26C00123"}
    judged = {"public_interest.interests": "protect_from_harm", "public_interest.judgement": "A real risk of harm"}
    assert "public_interest" not in parse_post(decision_form(), Posted({"grounds": "harm_to_child", **judged}))
    assert parse_post(decision_form(), Posted({"grounds": NONE_CHOICE, **judged}))["public_interest"] == {
        "interests": ["protect_from_harm"], "judgement": "A real risk of harm"}


def test_the_public_interest_choice_is_open_when_its_judgement_is_asked_for_or_given() -> None:
    def none_ticked(values: dict[str, Any], errors: dict[str, str]) -> bool:
        [grounds] = [f for f in build_fields(decision_form(), values, errors) if f.name == "grounds"]
        return NONE_CHOICE in (grounds.value or [])

    assert not none_ticked({}, {})
    assert none_ticked({}, {"public_interest": "This field is required"})
    assert none_ticked({"public_interest": {"judgement": "short"}}, {"public_interest.interests": "x"})
    assert not none_ticked({"grounds": ["harm_to_child"]}, {})
    html = render_fields(decision_form(), {}, {"public_interest": "This field is required"})
    assert "govuk-checkboxes__conditional--hidden" not in block(html, 'id="conditional-grounds-9"', "</fieldset>")
    assert "Make a public-interest judgement, or select a reason for sharing that applies" in html


def test_hints_under_choices_come_from_the_uischema_before_the_description() -> None:
    found = everything(build_fields(decision_form()))
    assert found["urgency"].option_hints["standard"] == "No harm is expected sooner than that."
    assert found["urgency"].hint == "This sets when the manager must answer."
    assert found["practitioner_decision"].option_hints["share"] == "Share the information without consent."
    assert "Do not" not in found["practitioner_decision"].option_hints["share"]
    # a description that names the choices out of order, or not all of them, is one hint for the question
    described: dict[str, Any] = {"type": "object", "properties": {"advice": {
        "type": "string", "enum": ["share", "do_not_share"], "title": "Advice",
        "description": "Choose share: only if needed. Do not share: otherwise."}}}
    [advice] = build_fields(described)
    assert advice.option_hints == {} and advice.hint == "Choose share: only if needed. Do not share: otherwise."
    ordered = {"type": "object", "properties": {"advice": {**described["properties"]["advice"],
                                                           "description": "share: if needed. do_not_share: if not."}}}
    [advice] = build_fields(ordered)
    assert advice.option_hints == {"share": "If needed.", "do_not_share": "If not."}


def test_ui_order_puts_the_questions_in_the_order_given() -> None:
    schema = {"type": "object", "properties": {n: {"type": "string", "title": n} for n in "abcd"},
              "x-uischema": {"ui:order": ["c", "*", "a"]}}
    assert [f.name for f in build_fields(schema)] == ["c", "b", "d", "a"]
    schema["x-uischema"] = {"ui:order": ["d", "b"], "a": {"ui:widget": "textarea", "ui:help": "Say why."}}
    fields = build_fields(schema)
    assert [f.name for f in fields] == ["d", "b", "a", "c"] and fields[2].kind == "textarea"
    assert fields[2].hint == "Say why."


def test_the_uischema_is_loaded_with_its_form_and_is_part_of_the_definition(tmp_path: Path) -> None:
    copy = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, copy)
    before = ModelRegistry(copy).current("share_without_consent")
    assert before.form("decide_share_without_consent.schema.json")["x-uischema"]["grounds"]
    layout = copy / "forms" / "decide_share_without_consent.uischema.json"
    ui = json.loads(layout.read_text())
    ui["ui:order"] = ["decision_reasons", "*"]
    layout.write_text(json.dumps(ui))
    after = ModelRegistry(copy).current("share_without_consent")
    assert after.content_hash != before.content_hash  # a layout change is a new definition, as a form change is
    layout.write_text("{not json")
    with pytest.raises(ModelError, match="decide_share_without_consent.uischema.json is not valid JSON"):
        ModelRegistry(copy)


def test_a_court_order_dated_on_a_day_that_does_not_exist_is_refused_by_the_page(web: WebKit) -> None:
    """Through the page: the decision on a court order whose date is not real names the question, keeps what was
    typed and writes nothing; with a real date it is recorded with the order's date as an ISO date."""
    from tests.browser.test_sharing_without_consent_in_browser import refused_consent

    refused_consent(web.scenario)
    with web.app.transaction() as s:
        accounts.set_password(web.app, s, None, web.scenario.user(s, "pat"), PASSWORD)
    client = sign_in(web, "pat")
    with web.app.db.read() as s:
        task_id = s.scalars(select(OpenTask.task_id).where(OpenTask.task_spec == "decide_grounds")).one()
    page = client.get(f"/tasks/{task_id}")
    answers = {
        "csrf_token": csrf_of(page.text), "in_doubt": "no", "practitioner_decision": "share",
        "grounds": ["statutory_duty_or_court_order"], "legal_basis.kind": "court_order",
        "legal_basis.reference": "ZW26C00123", "legal_basis.court": "Family Court at Leeds",
        "legal_basis.made_on-day": "31", "legal_basis.made_on-month": "2", "legal_basis.made_on-year": "2026",
        "weighing.if_shared": "The nurse can check on him", "weighing.if_not_shared": "Injuries may go unnoticed",
        "weighing.proportionate": "yes", "share_recipients-0-agency": "School nursing",
        "what_to_share": "Bruising seen on two visits", "decision_reasons": "The court ordered it to be shared",
        "share_information": ["concerns_about_harm"], "share_purposes": ["protect_from_harm"]}
    before = web.counts()

    r = client.post(f"/tasks/{task_id}", data=answers)

    assert r.status_code == 422
    summary = block(r.text, 'govuk-error-summary__list"', "</ul>")
    assert f"When was the order made?: {REAL_DATE}" in summary and 'href="#legal_basis.made_on-day"' in summary
    assert 'value="31"' in tag(r.text, "input", name="legal_basis.made_on-day")  # kept as typed
    assert 'value="ZW26C00123"' in tag(r.text, "input", name="legal_basis.reference")
    assert "checked" in tag(r.text, "input", name="grounds", value="statutory_duty_or_court_order")
    assert web.counts() == before

    r = client.post(f"/tasks/{task_id}", data={**answers, "legal_basis.made_on-day": "27"})
    assert r.status_code == 200, block(r.text, "govuk-error-summary", "</ul>")
    with web.app.db.read() as s:
        made = s.scalars(select(ShareDecision)).one()
    assert made.grounds == ["statutory_duty_or_court_order"]
    assert made.legal_basis is not None and made.legal_basis["made_on"] == "2026-02-27"


def test_a_date_and_time_is_asked_as_day_month_year_hour_and_minute() -> None:
    """Not the browser's date-and-time box, which shows month first in an en-US browser."""
    schema = {"type": "object", "properties": {"made_at": {"type": "string", "format": "date-time", "title": "When?"}}}
    html = render_fields(schema, {"made_at": "2026-11-23T09:05:00+00:00"}, {})
    drawn = {part: tag(html, "input", name=f"made_at-{part}") for part in ("day", "month", "year", "hour", "minute")}
    assert [re.findall(r'value="([^"]*)"', box) for box in drawn.values()] == [["23"], ["11"], ["2026"], ["09"], ["05"]]
    assert "datetime-local" not in html and "For example, 27 3 2026 and 14 30" in html
    posted = {"made_at-day": "23", "made_at-month": "11", "made_at-year": "2026", "made_at-hour": "11",
              "made_at-minute": "30"}
    assert parse_post(schema, posted) == {"made_at": "2026-11-23T11:30"}
    assert parse_post(schema, {}) == {}


def test_a_date_and_time_that_is_not_real_is_kept_as_typed_and_named() -> None:
    schema = {"type": "object", "properties": {"made_at": {"type": "string", "format": "date-time", "title": "When?"}},
              "required": ["made_at"]}
    typed = {"made_at-day": "31", "made_at-month": "11", "made_at-year": "2026", "made_at-hour": "25",
             "made_at-minute": "00"}
    answer = parse_post(schema, typed)
    with pytest.raises(FormValidationError) as refused:
        validate_form(schema, answer)
    fields = build_fields(schema, answer, refused.value.field_errors)
    assert fields[0].error == REAL_MOMENT
    assert error_summary(fields) == [{"text": f"When?: {REAL_MOMENT}", "href": "#made_at-day"}]
    assert fields[0].moment_parts()["hour"] == "25"  # drawn again as typed
