"""The operator registry: every service task of every model is held against its operator's declaration
when the models load, and handlers get typed parameters, never a ``_params`` key in the task data."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from safeshare.core.config import BPMN_DIR
from safeshare.core.errors import ModelError
from tasks.automated import HANDLERS, scheduling
from tasks.automated.operators import OPERATORS
from tasks.operator_registry import service_tasks
from workflows.context import ServiceContext
from workflows.model_registry import ModelRegistry

REMINDER = """<spiffworkflow:serviceTaskOperator id="compute_deadline" resultVariable="consultation_reminder_at">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="kind" type="str" value="'consultation'" />
            <spiffworkflow:parameter id="which" type="str" value="'reminder'" />"""


def test_every_service_task_of_every_model_fits_its_operator() -> None:
    models = ModelRegistry(BPMN_DIR)
    uses = list(service_tasks(models))
    assert {u.operator for u in uses} == set(OPERATORS.operators)  # every declared operator is used
    OPERATORS.check(models)
    assert set(HANDLERS) == set(OPERATORS.operators)


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [
        (REMINDER.replace('id="compute_deadline"', 'id="compute_deadlines"'), "unknown operator 'compute_deadlines'"),
        (REMINDER.replace("""<spiffworkflow:parameter id="kind" type="str" value="'consultation'" />""", ""),
         "compute_deadline needs the parameter 'kind'"),
        (REMINDER.replace('id="which"', 'id="when"'), "compute_deadline takes no parameter 'when'"),
        (REMINDER.replace("value=\"'consultation'\"", 'value="48"'),
         "compute_deadline's parameter 'kind' is wrong: input should be a valid string (got 48)"),
        (REMINDER.replace("value=\"'consultation'\"", "value=\"'consultations'\""),
         "compute_deadline's parameter 'kind' is wrong: there is no deadline kind 'consultations'"),
        (REMINDER.replace("value=\"'reminder'\"", "value=\"'nudge'\""),
         "compute_deadline's parameter 'which' is wrong: input should be 'deadline' or 'reminder' (got 'nudge')"),
    ],
    ids=["unknown operator", "missing parameter", "unexpected parameter", "wrong type", "unknown kind", "bad choice"],
)
def test_a_model_that_does_not_fit_its_operator_stops_loading_with_one_line(
    tmp_path: Path, replacement: str, problem: str
) -> None:
    folder = _models_with(tmp_path, REMINDER, replacement)
    with pytest.raises(ModelError) as stopped:
        OPERATORS.check(ModelRegistry(folder))
    message = str(stopped.value)
    where = "manager_consultation.bpmn, service task 'compute_consultation_reminder_task'"
    assert message.startswith(f"{where}: {problem}")
    assert "\n" not in message


def test_the_cli_refuses_to_start_on_such_a_model_with_exit_code_1(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    folder = _models_with(tmp_path, REMINDER, REMINDER.replace('id="which"', 'id="when"'))
    monkeypatch.setenv("SAFESHARE_BPMN_DIR", str(folder))
    result = CliRunner().invoke(cli, ["tasks", "--as", "pat", "--database-url", database_url])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "manager_consultation.bpmn, service task 'compute_consultation_reminder_task'" in result.stderr
    assert "takes no parameter 'when'" in result.stderr


def test_a_parameter_computed_at_run_time_is_checked_when_it_runs() -> None:
    """Values given as expressions over task data are known only then: a wrong one names the task."""
    ctx = ServiceContext(None, None, None, None, None, "set_due", "Set the due time", {"kind": 48})  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="Service task 'set_due' \\(compute_deadline\\): parameter 'kind'"):
        HANDLERS["compute_deadline"](ctx, {"urgency": "standard"})


def test_task_data_of_the_wrong_type_is_refused_before_the_handler_runs() -> None:
    ctx = ServiceContext(None, None, None, None, None, "record", "Record", {})  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="task data 'application_id'"):
        HANDLERS["record_identity_check"](ctx, {"application_id": "not a number"})


def test_handlers_take_typed_parameters_not_a_params_key() -> None:
    seen: dict[str, Any] = {}

    def compute(ctx: ServiceContext, data: dict[str, Any], params: scheduling.DeadlineParameters) -> str:
        seen.update(data=data, params=params)
        return "2026-01-01T00:00:00+00:00"

    from tasks.operator_registry import Operator

    handler = Operator("compute_deadline", compute, scheduling.DeadlineData).handler()
    ctx = ServiceContext(None, None, None, None, None, "t", "T", {"kind": "consultation", "which": "reminder"})  # type: ignore[arg-type]
    assert handler(ctx, {"urgency": "urgent"}) == "2026-01-01T00:00:00+00:00"
    assert seen["params"] == scheduling.DeadlineParameters(kind="consultation", which="reminder")
    assert "_params" not in seen["data"]


def _models_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, folder)
    model = folder / "manager_consultation.bpmn"
    text = model.read_text()
    assert old in text, "the consultation model changed; update this test"
    model.write_text(text.replace(old, new, 1))
    return folder
