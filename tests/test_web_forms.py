"""Task forms drawn from their JSON Schemas: questions inside a list of rows (an "array" of "object" items)
are drawn and read back as the same questions at the top of a form are (yes/no as radios, choices, numbers,
required markers, hints, errors beside the field), so the police schemes' face-to-face stage, with its
identity documents and their "Has a photo?", can be completed in the browser."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeshare.app import App
from safeshare.config import BPMN_DIR
from safeshare.services import accounts
from tests import scheme_steps
from tests.builders import Scenario
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, make_webkit
from web.forms import build_fields, error_summary, parse_post
from web.templating import build_environment

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
    first_row = block(page.text, "Document 1</h3>", "Document 2</h3>")
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
    assert "Identity documents seen: Document 2 document: This field is required" in summary
    assert "Must be boolean" not in r.text
    row = block(r.text, "Document 2</h3>", "Document 3</h3>")
    assert 'id="identity_documents-1-document-error"' in row and "This field is required" in row
    assert "govuk-select--error" in tag(row, "select", name="identity_documents-1-document")
    assert "checked" in tag(r.text, "input", name="identity_documents-1-has_photo", value="no")  # kept
    assert "checked" not in tag(r.text, "input", name="identity_documents-1-has_photo", value="yes")
    assert "checked" in tag(r.text, "input", name="identity_documents-0-has_photo", value="yes")
    assert 'value="passport" selected' in block(r.text, 'name="identity_documents-0-document"', "</select>")
    first = block(r.text, "Document 1</h3>", "Document 2</h3>")
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
    schema = json.loads(path.read_text())
    html = render_fields(schema, {}, {})
    for name, spec in schema["properties"].items():
        if spec.get("type") == "array" and spec["items"].get("type") == "object":
            for sub, sub_spec in spec["items"]["properties"].items():
                assert f'name="{name}-0-{sub}"' in html, (name, sub)
                if sub_spec.get("type") == "boolean":
                    assert 'type="radio"' in tag(html, "input", name=f"{name}-0-{sub}", value="yes")
