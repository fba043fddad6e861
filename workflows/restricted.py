"""Run model expressions and scripts under RestrictedPython.

SpiffWorkflow evaluates gateway conditions, script tasks and DMN cells with
full Python by default, so a model could ``import os``. Models are data edited
by analysts, not code reviewed like ours: they get no imports, no dunder
attribute access, no file or network access, only plain data and a few helpers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from safeshare.errors import ModelError

ServiceCaller = Callable[..., str]

_ALLOWED_BUILTINS: dict[str, Any] = {
    **safe_builtins,
    "all": all,
    "any": any,
    "dict": dict,
    "enumerate": enumerate,
    "list": list,
    "max": max,
    "min": min,
    "sorted": sorted,
    "sum": sum,
    "set": set,
    "map": map,
    "filter": filter,
    "reversed": reversed,
}


def _inplace(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
    }
    if op not in ops:
        raise ModelError(f"The operator {op} is not allowed in a model script", "Use + - or * only")
    return ops[op](x, y)


def _base_globals() -> dict[str, Any]:
    return {
        "__builtins__": _ALLOWED_BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": lambda obj: obj,
        "_inplacevar_": _inplace,
    }


@lru_cache(maxsize=2048)
def _compile_eval(expression: str) -> CodeType:
    result = compile_restricted_eval(expression)
    if result.errors or result.code is None:
        raise ModelError(
            f"The model expression {expression!r} is not allowed: {'; '.join(result.errors)}",
            "Model expressions may only read task data and call the engine's helpers: no imports",
        )
    return result.code


@lru_cache(maxsize=512)
def _compile_exec(script: str) -> CodeType:
    result = compile_restricted_exec(script)
    if result.errors or result.code is None:
        raise ModelError(
            f"The model script is not allowed: {'; '.join(result.errors)}",
            "Model scripts may only read and set task data: no imports, no names starting with _",
        )
    return result.code


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that compiles everything with RestrictedPython.

    ``service_caller`` handles service tasks: the engine binds it per operation
    so handlers write through the current transaction.
    """

    def __init__(self, helpers: dict[str, Any] | None = None, service_caller: ServiceCaller | None = None) -> None:
        super().__init__(helpers or {})
        self.service_caller = service_caller

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code = _compile_eval(expression)
        scope = _base_globals()
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython with guarded builtins

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        code = _compile_exec(script)
        scope = _base_globals()
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(copy.copy(context))
        exec(code, scope)  # noqa: S102 - compiled by RestrictedPython with guarded builtins
        hidden = set(_base_globals()) | set(self.globals) | set(external_context or {})
        for key, value in scope.items():
            if key in hidden or key.startswith("_") or callable(value):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        if self.service_caller is None:
            raise ModelError("A service task ran outside the engine", "Run processes through the workflow engine")
        return self.service_caller(context, **kwargs)
