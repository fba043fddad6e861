"""Compile every piece of model code when the models load, so a forbidden one stops start-up.

Without this a condition such as ``__import__("os")`` on a path nobody has taken yet passes
start-up and fails only the first time a case reaches it. Here every script, gateway
condition, timer expression, service parameter, multi-instance expression and DMN cell is
compiled with the same rules it runs under (:mod:`workflows.restricted`), and the first
fault names its file and element.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs import BpmnProcessSpec

from safeshare.core.errors import ModelError
from workflows.restricted import compile_errors

#: (file, element, is a script, source)
Piece = tuple[str, str, bool, str]
# DMNEngine.evaluate: "?" outside quotes stands for the input's value.
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _element(task_spec: Any) -> str:
    name = task_spec.bpmn_name
    return f"{task_spec.bpmn_id!r} ({name})" if name else repr(task_spec.bpmn_id)


def _dmn_cells(file: str, table: Any) -> Iterator[Piece]:
    """The expressions SpiffWorkflow's DMN engine builds from a table's cells, as it builds them."""
    for rule in table.rules:
        where = f"decision table {table.id!r}, rule {rule.row_number}"
        for entry in rule.inputEntries:
            input_expr = entry.input.expression or ""
            for match in entry.lhs:
                if match is None:
                    continue
                if _QUESTION_MARK.search(match):
                    yield file, where, False, input_expr
                    yield file, where, False, _QUESTION_MARK.sub("dmninputexpr", match)
                    continue
                yield file, where, False, input_expr
                try:  # DMNEngine.needs_eq: a cell that parses alone is compared with ==, else appended
                    ast.parse(match)
                    combined = f"({input_expr}) == ({match})"
                except SyntaxError:
                    combined = input_expr + match  # a cell like ">= 18" or "in (1, 2)"
                yield file, where, False, combined
        for output in rule.outputEntries:
            if getattr(output, "text", None):
                yield file, where, False, output.text


def _dmn_file(table_id: str, dmn_sources: dict[str, str], default: str) -> str:
    return next((name for name, text in dmn_sources.items() if f'"{table_id}"' in text), default)


def _pieces(spec: BpmnProcessSpec, dmn_sources: dict[str, str]) -> Iterator[Piece]:
    file = Path(spec.file).name if getattr(spec, "file", None) else spec.name
    for task_spec in spec.task_specs.values():
        where = _element(task_spec) if getattr(task_spec, "bpmn_id", None) else repr(task_spec.name)
        for attr in ("script", "prescript", "postscript"):
            if getattr(task_spec, attr, None):
                yield file, where, True, getattr(task_spec, attr)
        for attr in ("condition", "cardinality"):
            if isinstance(getattr(task_spec, attr, None), str):
                yield file, where, False, getattr(task_spec, attr)
        for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
            if condition is not None and getattr(condition, "args", None):
                yield file, f"{where}, an outgoing flow", False, condition.args[0]
        event = getattr(task_spec, "event_definition", None)
        expression = getattr(event, "expression", None)
        if isinstance(expression, str):
            yield file, where, False, expression
        for param in (getattr(task_spec, "operation_params", None) or {}).values():
            if isinstance(param, dict) and isinstance(param.get("value"), str):
                yield file, where, False, param["value"]
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is not None:
            table = engine.decision_table
            yield from _dmn_cells(_dmn_file(table.id, dmn_sources, file), table)


def check_model_code(specs: list[BpmnProcessSpec], dmn_sources: dict[str, str]) -> int:
    """Compile every piece of model code in ``specs``; raise on the first that may not run.

    ``dmn_sources`` maps each DMN file's name to its text (to name the file a table came from).
    Returns how many pieces were checked.
    """
    checked = 0
    for spec in specs:
        for file, where, script, source in _pieces(spec, dmn_sources):
            errors = compile_errors(source, script=script)
            if errors:
                raise ModelError(
                    f"The model file {file}, element {where}, has code that may not run: {errors[0]}",
                    "Fix the expression or script in the model, then start again",
                )
            checked += 1
    return checked
