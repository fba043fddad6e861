"""The operator registry: the one contract between the BPMN models and the service-task handlers.

Why: a model names an operator and its parameters as strings; checked only when a step ran,
a misspelt operator or parameter surfaced weeks later in a running instance. Here each
operator is declared once with a typed parameters model and a typed view of the task data
it reads and the value it writes, and :meth:`OperatorRegistry.check` holds every service task
of every model against those declarations when the models load: an unknown operator, a
missing or unexpected parameter or a parameter of the wrong type stops start-up with one
line naming the file, the element and the problem.

The engine knows none of this: it calls a plain handler ``(ctx, data)`` by operator name with
the evaluated parameters on the context (``ctx.operation_params``). The registry adapts:
it parses the parameters into the operator's model and the task data into its typed view,
and hands both to the operator's function, so no handler reads an untyped parameter bag.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec

from safeshare.core.errors import ModelError
from workflows.context import ServiceContext
from workflows.engine import Handler
from workflows.model_registry import ModelRegistry


class NoParameters(BaseModel):
    """For operators that take no parameters: any parameter a model gives one is unexpected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameters(BaseModel):
    """Base of an operator's parameters: strict types, nothing undeclared."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TaskData(BaseModel):
    """Base of an operator's typed view of the task data: the keys it reads, with their types.

    Task data holds much more than one operator reads, so other keys are ignored; values are
    checked (leniently: JSON numbers and strings as forms send them) before the operator runs.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)


@dataclass(frozen=True)
class Operator:
    """One service-task operator: its name in the models, what it takes, reads and writes, and its code.

    ``run`` is called ``run(ctx, data)``, or ``run(ctx, data, params)`` when the operator declares
    parameters (``params``: an instance of its parameters model). ``data`` has been checked against
    ``reads`` first, so the keys the operator reads have the types it declares; what it returns is
    checked against ``writes`` before the model's result variable receives it.
    """

    name: str
    run: Callable[..., Any]
    reads: type[TaskData]

    @property
    def params(self) -> type[BaseModel]:
        """The parameters model: the annotation of ``run``'s third argument, if it has one."""
        hints = get_type_hints(self.run)
        names = list(inspect.signature(self.run).parameters)
        return hints[names[2]] if len(names) > 2 else NoParameters

    @property
    def writes(self) -> Any:
        """The type of the value written to the task's result variable: ``run``'s return annotation."""
        return get_type_hints(self.run)["return"]

    @property
    def takes_parameters(self) -> bool:
        return self.params is not NoParameters

    def handler(self) -> Handler:
        """The plain ``(ctx, data)`` callable the engine calls: parameters come from ``ctx``."""
        result_type: TypeAdapter[Any] = TypeAdapter(self.writes)
        params_model = self.params

        def call(ctx: ServiceContext, data: dict[str, Any]) -> Any:
            where = f"Service task {ctx.task_spec!r} ({self.name})"
            try:
                self.reads.model_validate(data)
            except ValidationError as exc:
                raise ModelError(f"{where}: {_first_problem(exc, 'task data')}", _FIX) from exc
            if params_model is not NoParameters:
                try:
                    params = params_model.model_validate(dict(ctx.operation_params))
                except ValidationError as exc:
                    raise ModelError(f"{where}: {_first_problem(exc)}", _FIX) from exc
                result = self.run(ctx, data, params)
            else:
                result = self.run(ctx, data)
            return result_type.validate_python(result)

        call.__name__ = self.name
        call.__doc__ = self.run.__doc__
        return call


_FIX = "Fix the model's service task or its operator's declaration"


def _first_problem(exc: ValidationError, what: str = "parameter") -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "value"
    if error["type"] == "missing":
        return f"{what} {where!r} is missing"
    if error["type"] == "extra_forbidden":
        return f"{what} {where!r} is not one it takes"
    return f"{what} {where!r}: {error['msg'].lower()} (got {error.get('input')!r})"


@dataclass(frozen=True)
class ServiceTaskUse:
    """One service task in one model: where it is and what it asks of its operator."""

    file: str
    element: str
    operator: str
    parameters: Mapping[str, str]  # parameter name -> the expression the model gives


def service_tasks(models: ModelRegistry) -> Iterator[ServiceTaskUse]:
    """Every service task of every current model (a process called by several is listed once)."""
    seen: set[tuple[str, str]] = set()
    for process_id in models.process_ids:
        model = models.current(process_id)
        for spec in (model.spec, *model.subprocess_specs.values()):
            yield from _service_tasks_of(spec, seen)


def _service_tasks_of(spec: BpmnProcessSpec, seen: set[tuple[str, str]]) -> Iterator[ServiceTaskUse]:
    for task_spec in spec.task_specs.values():
        operator = getattr(task_spec, "operation_name", None)
        if operator is None or (spec.name, task_spec.bpmn_id) in seen:
            continue
        seen.add((spec.name, task_spec.bpmn_id))
        params = getattr(task_spec, "operation_params", None) or {}
        yield ServiceTaskUse(
            Path(spec.file or spec.name).name,
            str(task_spec.bpmn_id),
            str(operator),
            {name: str(p.get("value", "")) for name, p in params.items()},
        )


class OperatorRegistry:
    """Every operator, declared once; the source of the engine's handler table."""

    def __init__(self, operators: list[Operator]) -> None:
        self.operators = {op.name: op for op in operators}
        if len(self.operators) != len(operators):
            raise ValueError("an operator is declared twice")

    def handlers(self) -> dict[str, Handler]:
        return {name: op.handler() for name, op in self.operators.items()}

    def check(self, models: ModelRegistry) -> None:
        """Hold every service task of every model against its operator's declaration.

        Raises :class:`ModelError` on the first problem, in one line naming the file and element.
        Parameter values that are literals are type-checked now; an expression over task data is
        checked when it runs (its value is not known before).
        """
        for use in service_tasks(models):
            problem = self.problem(use)
            if problem:
                raise ModelError(f"{use.file}, service task {use.element!r}: {problem}", _FIX)

    def problems(self, models: ModelRegistry) -> list[str]:
        """Every service task's problem, one line each (a model set checked before it is deployed)."""
        return [
            f"The model file {use.file}, service task '{use.element}': {problem}"
            for use in service_tasks(models)
            if (problem := self.problem(use))
        ]

    def problem(self, use: ServiceTaskUse) -> str | None:
        operator = self.operators.get(use.operator)
        if operator is None:
            return f"unknown operator {use.operator!r} (known: {', '.join(sorted(self.operators))})"
        fields = operator.params.model_fields
        for name in use.parameters:
            if name not in fields:
                return f"{operator.name} takes no parameter {name!r}"
        for name, field in fields.items():
            if field.is_required() and name not in use.parameters:
                return f"{operator.name} needs the parameter {name!r}"
        literals: dict[str, Any] = {}
        for name, expression in use.parameters.items():
            try:
                literals[name] = ast.literal_eval(expression)
            except (ValueError, SyntaxError):
                continue  # an expression over task data: checked when the step runs
        try:
            operator.params.model_validate(literals)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else ""
                if error["type"] == "missing" and name in use.parameters:
                    continue  # given as an expression: its value is known only when the step runs
                got = "" if error["type"] == "value_error" else f" (got {error.get('input')!r})"
                return f"{operator.name}'s parameter {name!r} is wrong: {_reason(error)}{got}"
        return None


def _reason(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return message[:1].lower() + message[1:]
