"""Each bad input gets a clear error and leaves the database exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.core.errors import FormValidationError, NotFoundError, PermissionDeniedError, SafeshareError
from safeshare.core.records import AuditEvent, Base, ConsentRecord, OpenTask
from safeshare.services.case_view import view_case
from tasks import service
from tests.builders import Scenario


def snapshot(app: App) -> dict[str, int]:
    """Row counts of every table: 'nothing changed' made checkable."""
    with app.db.read() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


@pytest.fixture
def waiting(scenario: Scenario) -> tuple[Scenario, int, str]:
    case_id, _ = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    return scenario, case_id, scenario.task(instance, "judge_competence").task_id


def attempt(app: App, action: Callable[..., object]) -> SafeshareError:
    before = snapshot(app)
    with pytest.raises(SafeshareError) as err, app.transaction() as s:
        action(s)
    assert snapshot(app) == before
    assert str(err.value).strip()
    return err.value


def test_unknown_task(waiting: tuple[Scenario, int, str]) -> None:
    scenario, _, _ = waiting
    err = attempt(
        scenario.app,
        lambda s: service.complete_task(
            scenario.app, s, scenario.user(s, "pat"), "00000000-0000-0000-0000-000000000000", {}
        ),
    )
    assert isinstance(err, NotFoundError) and "No open task" in err.message


def test_unknown_case_and_other_teams_case_look_the_same(waiting: tuple[Scenario, int, str]) -> None:
    scenario, case_id, _ = waiting
    missing = attempt(scenario.app, lambda s: view_case(scenario.app, s, scenario.user(s, "pat"), 999_999))
    hidden = attempt(scenario.app, lambda s: view_case(scenario.app, s, scenario.user(s, "olu"), case_id))
    assert isinstance(missing, NotFoundError) and isinstance(hidden, NotFoundError)
    assert missing.message.replace("999999", "N") == hidden.message.replace(str(case_id), "N")


def test_wrong_role(waiting: tuple[Scenario, int, str]) -> None:
    scenario, _, task_id = waiting
    with scenario.app.transaction() as s:  # free the task so only the role stands in the way
        service.unclaim_task(scenario.app, s, scenario.user(s, "pat"), task_id)
    err = attempt(
        scenario.app,
        lambda s: service.complete_task(
            scenario.app,
            s,
            scenario.user(s, "max"),
            task_id,
            {"child_competent": True, "competence_reasons": "Manager pretending"},
        ),
    )
    assert isinstance(err, PermissionDeniedError) and "practitioner role" in err.message


def test_form_data_that_fails_the_schema(waiting: tuple[Scenario, int, str]) -> None:
    scenario, _, task_id = waiting
    err = attempt(
        scenario.app,
        lambda s: service.complete_task(
            scenario.app, s, scenario.user(s, "pat"), task_id, {"child_competent": "yes", "surprise": 1}
        ),
    )
    assert isinstance(err, FormValidationError)
    assert set(err.field_errors) == {"child_competent", "competence_reasons", "surprise"}
    with scenario.app.db.read() as s:
        assert s.get(OpenTask, task_id) is not None


def test_form_data_that_is_not_an_object(waiting: tuple[Scenario, int, str]) -> None:
    scenario, _, task_id = waiting
    err = attempt(
        scenario.app,
        lambda s: service.complete_task(scenario.app, s, scenario.user(s, "pat"), task_id, ["not", "an", "object"]),
    )
    assert isinstance(err, FormValidationError)


def test_cli_reports_errors_on_one_line_with_nonzero_exit(
    waiting: tuple[Scenario, int, str], tmp_path: Path, database_url: str
) -> None:
    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    scenario, _, task_id = waiting
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"child_competent": "maybe"}))
    before = snapshot(scenario.app)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["task", "complete", task_id, "--as", "pat", "--data", str(bad), "--database-url", database_url]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: The form has 2 problem(s)")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = runner.invoke(
        cli,
        [
            "task",
            "complete",
            task_id,
            "--as",
            "pat",
            "--data",
            str(tmp_path / "nope.json"),
            "--database-url",
            database_url,
        ],
    )
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    nobody = runner.invoke(cli, ["tasks", "--as", "nobody", "--database-url", database_url])
    assert nobody.exit_code == 1 and "No active user 'nobody'" in nobody.stderr
    no_db = runner.invoke(cli, ["tasks", "--as", "pat", "--database-url", "postgresql://x@127.0.0.1:1/none"])
    assert no_db.exit_code == 1 and "Cannot connect to the database" in no_db.stderr
    assert snapshot(scenario.app) == before


def test_cli_completes_a_task_from_a_json_file(
    waiting: tuple[Scenario, int, str], tmp_path: Path, database_url: str
) -> None:
    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    scenario, case_id, task_id = waiting
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"child_competent": True, "competence_reasons": "She explained it back clearly"}))
    runner = CliRunner()
    listed = runner.invoke(cli, ["tasks", "--as", "pat", "--database-url", database_url])
    assert task_id in listed.stdout and "Judge the child's understanding" in listed.stdout
    shown = runner.invoke(cli, ["task", "show", task_id, "--as", "pat", "--database-url", database_url])
    assert '"child_competent"' in shown.stdout
    done = runner.invoke(
        cli, ["task", "complete", task_id, "--as", "pat", "--data", str(good), "--database-url", database_url]
    )
    assert done.exit_code == 0, done.stderr
    assert "waiting for the next step" in done.stdout
    case = runner.invoke(cli, ["case", "show", str(case_id), "--as", "pat", "--database-url", database_url])
    assert case.exit_code == 0 and "Pat Practitioner completed '" in case.stdout and "viewed case" in case.stdout
    assert "task_completed" not in case.stdout  # the trail in words, not its codes
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type == "case_viewed")) == 1


def test_text_the_database_cannot_store_is_a_clear_error(waiting: tuple[Scenario, int, str]) -> None:
    """A NUL character in a lookup or a record is refused as bad input on every database, not a crash."""
    from safeshare.services.directory import user_by_username

    scenario, _, _ = waiting
    err = attempt(scenario.app, lambda s: user_by_username(s, "pat\x00"))
    assert isinstance(err, (NotFoundError, SafeshareError))
    assert "NUL" in str(err) or "No active user" in str(err)


def test_reassigning_a_task_tells_the_new_holder(waiting: tuple[Scenario, int, str]) -> None:
    """The task_assigned message goes to the person a manager hands the task to, in the same transaction."""
    from safeshare.core.records import Notification

    scenario, _, task_id = waiting
    with scenario.app.transaction() as s:
        service.reassign_task(scenario.app, s, scenario.user(s, "max"), task_id, scenario.user(s, "pip"))
    with scenario.app.db.read() as s:
        notes = list(s.scalars(select(Notification).where(Notification.template == "task_assigned")))
    assert {(n.recipient_user_id, n.channel) for n in notes} == {
        (scenario.users["pip"], "email"),
        (scenario.users["pip"], "in_app"),
    }
    assert "Judge the child's understanding" in notes[0].subject


# -- every problem with an answer in words that name the question (issue 12) ----------------------------

#: A form with one question per JSON Schema keyword our forms use, each broken by BAD below.
WORDED_FORM = {
    "type": "object",
    "properties": {
        "notes": {"type": "string", "title": "Meeting notes", "minLength": 10},
        "why": {"type": "string", "title": "Why is the application closed?", "minLength": 10},
        "letter": {"type": "string", "title": "Letter text", "maxLength": 20},
        "route": {"type": "string", "title": "Which scheme is this?", "enum": ["csor", "dvds"]},
        "kind": {"type": "string", "title": "Kind of record", "oneOf": [{"const": "fact"}, {"const": "opinion"}]},
        "grounds": {"type": "array", "title": "Grounds that apply", "uniqueItems": True,
                    "items": {"type": "string", "enum": ["harm", "crime"]}},
        "documents": {"type": "array", "title": "Identity documents seen", "minItems": 2, "maxItems": 3,
                      "items": {"type": "object", "title": "Document",
                                "properties": {"seen": {"type": "boolean", "title": "Seen?"}}}},
        "count": {"type": "integer", "title": "Number of children", "minimum": 1},
        "person_id": {"type": "integer", "title": "Who gave consent", "minimum": 1},
        "understood": {"type": "boolean", "title": "Did the person understand?"},
        "outcome": {"type": "string", "title": "Outcome", "enum": ["given", "refused"]},
        "restrictions": {"type": "array", "title": "Restrictions", "items": {"type": "string"}},
        "extra": {"type": "string", "title": "Anything else they asked for"},
        "reason": {"type": "string", "title": "Reason"},
    },
    "required": ["reason"],
    "allOf": [
        {"if": {"properties": {"outcome": {"const": "given"}}, "required": ["outcome"]},
         "then": {"properties": {"restrictions": {"maxItems": 0}, "understood": {"const": True}}}},
        {"if": {"properties": {"outcome": {"const": "refused"}}, "required": ["outcome"]},
         "then": {"anyOf": [{"required": ["restrictions"]}, {"required": ["extra"]}]}},
    ],
    "additionalProperties": False,
}
WORDED = {  # keyword: (answers that break it, the question's path, the message)
    "required": ({}, "reason", "Enter reason"),
    "minLength": ({"notes": "short"}, "notes", "Meeting notes must be 10 characters or more"),
    "minLength (a question)": ({"why": "short"}, "why",
                               "Your answer to “Why is the application closed?” must be 10 characters or more"),
    "maxLength": ({"letter": "x" * 21}, "letter", "Letter text must be 20 characters or fewer"),
    "enum": ({"route": "mi5"}, "route", "Select an answer to “Which scheme is this?” from the list"),
    "oneOf": ({"kind": "rumour"}, "kind", "Select an answer to “Kind of record” from the list"),
    "enum (a list)": ({"grounds": ["harm", "whim"]}, "grounds.1",
                      "Select answers to “Grounds that apply” from the list"),
    "uniqueItems": ({"grounds": ["harm", "harm"]}, "grounds", "Select each answer to “Grounds that apply” only once"),
    "minItems": ({"documents": [{}]}, "documents", "Add at least 2 documents to “Identity documents seen”"),
    "maxItems": ({"documents": [{}] * 4}, "documents", "Add no more than 3 documents to “Identity documents seen”"),
    "maxItems 0": ({"outcome": "given", "restrictions": ["x"]}, "restrictions",
                   "Leave “Restrictions” empty with the answers you gave"),
    "const": ({"outcome": "given", "understood": False}, "understood",
              "The answer to “Did the person understand?” must be Yes with the answers you gave"),
    "anyOf": ({"outcome": "refused"}, "(form)", "Answer “Restrictions” or “Anything else they asked for”"),
    "minimum": ({"count": 0}, "count", "Number of children must be 1 or more"),
    "minimum (a record picked)": ({"person_id": 0}, "person_id",
                                  "Select an answer to “Who gave consent” from the list"),
    "type integer": ({"count": "two"}, "count", "Number of children must be a whole number"),
    "type boolean": ({"understood": "maybe"}, "understood", "Select yes or no for “Did the person understand?”"),
    "additionalProperties": ({"secret_flag": 1}, "secret_flag", "“Secret flag” is not a question on this form"),
}
GENERIC = ("This field is required", "is too short", "is too long", "is not one of", "is not valid under",
           "should have", "Must be ", "Choose one of", "Field required", "non-unique", "was expected")


@pytest.mark.parametrize("keyword", list(WORDED))
def test_each_problem_is_told_in_words_that_name_the_question(keyword: str) -> None:
    from tasks.forms import validate_form

    answers, path, message = WORDED[keyword]
    with pytest.raises(FormValidationError) as err:
        validate_form(WORDED_FORM, {"reason": "Because", **answers} if keyword != "required" else answers)
    assert err.value.field_errors[path] == message
    said = " ".join(err.value.field_errors.values())
    assert not [g for g in GENERIC if g in said], said


def test_every_keyword_our_forms_use_has_its_words() -> None:
    """A keyword a form starts to use gets its words here (and in tasks.forms.problem_in_words) first."""
    used: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                used.add(key)
                if key == "properties":
                    for spec in value.values():
                        walk(spec)
                elif not key.startswith("x-") and key not in ("enum", "const"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for form in Path("bpmn/forms").glob("*.schema.json"):
        walk(json.loads(form.read_text(encoding="utf-8")))
    checked = {"required", "minLength", "maxLength", "enum", "oneOf", "const", "uniqueItems", "minItems",
               "maxItems", "anyOf", "minimum", "type", "additionalProperties"}
    assert {k.split(" ")[0] for k in WORDED} == checked
    # Words that describe a form or only choose a branch, never broken by an answer themselves.
    describing = {"$schema", "$comment", "title", "description", "properties", "items", "format", "allOf", "if",
                  "then", "else", "contains", "not", "x-labels", "x-hints", "x-errorMessages"}
    keywords = {k for k in used if not k.startswith("x-")}
    assert keywords <= checked | describing, keywords - checked - describing


@pytest.mark.parametrize(("error_type", "context", "words"), [
    ("missing", None, "Enter reason"),
    ("string_too_short", {"min_length": 3}, "Reason must be 3 characters or more"),
    ("string_too_long", {"max_length": 200}, "Reason must be 200 characters or fewer"),
    ("literal_error", {"expected": "'a' or 'b'"}, "Select an answer to “Reason” from the list"),
    ("int_parsing", None, "Reason must be a whole number"),
    ("greater_than_equal", {"ge": 1}, "Reason must be 1 or more"),
])
def test_the_api_checks_of_a_request_are_told_in_the_same_words(
    error_type: str, context: dict[str, object] | None, words: str
) -> None:
    from tasks.forms import request_problem_in_words

    assert request_problem_in_words("reason", error_type, context) == words
