"""Run model expressions and scripts under RestrictedPython, within a budget.

SpiffWorkflow evaluates gateway conditions, script tasks and DMN cells with
full Python by default, so a model could ``import os``. Models are data edited
by analysts, not code reviewed like ours: they get no imports, no dunder
attribute access, no file or network access, only plain data and a few helpers.
They also run under a budget of steps, time and size (:mod:`workflows.budget`),
compiled into the code here, so no model can stall its step and the database
lock the step's transaction holds.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any, cast

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from safeshare.core.errors import ModelError
from workflows.budget import BINOP, GROWING_METHODS, MAX_INT_BITS, TICK, Budget, Guards

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

#: The longest text constant a model's code may hold.
MAX_CONSTANT_TEXT = 10_000
_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Pow: "**",
    ast.Mult: "*",
    ast.Add: "+",
    ast.LShift: "<<",
    ast.Mod: "%",
}
_WIDE_SPEC = re.compile(r"\d{4,}")


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _tick() -> ast.Call:
    return _call(TICK)


class BudgetedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus the budget: ticks in every loop and call, guarded operators,
    and a refusal of what the budget could not bound (``try``, ``*`` unpacking, wide f-strings)."""

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        node.body.insert(0, ast.Expr(_tick()))
        return ast.fix_missing_locations(node)

    def visit_For(self, node: ast.For) -> Any:
        node = cast(ast.For, super().visit_For(node))
        node.body.insert(0, ast.Expr(_tick()))
        return ast.fix_missing_locations(node)

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        node = cast(ast.comprehension, super().visit_comprehension(node))
        node.ifs.insert(0, _tick())
        return node  # a comprehension has no position: the enclosing expression's fix gives one

    def visit_ListComp(self, node: ast.ListComp) -> Any:
        return ast.fix_missing_locations(cast(ast.ListComp, super().visit_ListComp(node)))

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        return ast.fix_missing_locations(cast(ast.SetComp, super().visit_SetComp(node)))

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        return ast.fix_missing_locations(cast(ast.DictComp, super().visit_DictComp(node)))

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return ast.fix_missing_locations(cast(ast.GeneratorExp, super().visit_GeneratorExp(node)))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, ast.Expr(_tick()))
        return ast.fix_missing_locations(node)

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = ast.BoolOp(op=ast.And(), values=[_tick(), node.body])
        return ast.fix_missing_locations(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        return ast.fix_missing_locations(ast.copy_location(_call(BINOP, ast.Constant(op), node.left, node.right), node))

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "Imports are not allowed in a model")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "Imports are not allowed in a model")
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        self.error(node, "Catching errors (try) is not allowed in a model")
        return node

    def visit_Starred(self, node: ast.Starred) -> Any:
        if isinstance(node.ctx, ast.Load):
            self.error(node, "Unpacking with * is not allowed in a model: join lists with +")
        return self.node_contents_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self.error(node, "A computed format in an f-string is not allowed in a model")
            elif any(_WIDE_SPEC.search(str(p.value)) for p in parts if isinstance(p, ast.Constant)):
                self.error(node, "A format width of 1000 or more is not allowed in a model")
        return self.node_contents_visit(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, str | bytes) and len(value) > MAX_CONSTANT_TEXT:
            self.error(node, f"A text constant longer than {MAX_CONSTANT_TEXT:,} characters is not allowed")
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            self.error(node, "A number this large is not allowed in a model")
        return self.node_contents_visit(node)


def compile_errors(source: str, *, script: bool) -> list[str]:
    """Why ``source`` may not run as model code (an empty list if it may): for checks at load time."""
    try:
        (_compile_exec if script else _compile_eval)(source)
    except ModelError as exc:
        return [exc.message]
    return []


@lru_cache(maxsize=2048)
def _compile_eval(expression: str) -> CodeType:
    result = compile_restricted_eval(expression, policy=BudgetedTransformer)
    if result.errors or result.code is None:
        raise ModelError(
            f"The model expression {expression!r} is not allowed: {'; '.join(result.errors)}",
            "Model expressions may only read task data and call the engine's helpers: no imports",
        )
    return result.code


@lru_cache(maxsize=512)
def _compile_exec(script: str) -> CodeType:
    result = compile_restricted_exec(script, policy=BudgetedTransformer)
    if result.errors or result.code is None:
        raise ModelError(
            f"The model script is not allowed: {'; '.join(result.errors)}",
            "Model scripts may only read and set task data: no imports, no names starting with _",
        )
    return result.code


def _budget_globals(budget: Budget) -> dict[str, Any]:
    """The guards and builtins of code running under ``budget``."""
    guards = Guards(budget)

    def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
        value = safer_getattr(obj, name, *default)
        if name in GROWING_METHODS and isinstance(obj, str | bytes | list):
            return guards.method(obj, name, value)
        return value

    builtins = dict(_ALLOWED_BUILTINS)
    builtins.update(range=guards.bounded_range, pow=guards.power, sum=guards.sum_numbers, _getattr_=guarded_getattr)
    return {
        "__builtins__": builtins,
        "_getattr_": guarded_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": lambda obj: obj,
        "_inplacevar_": guards.inplace,
        TICK: budget.tick,
        BINOP: guards.binop,
    }


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that compiles everything with RestrictedPython.

    ``service_caller`` handles service tasks: the engine binds it per operation
    so handlers write through the current transaction. ``budget`` is shared by all
    the code one engine operation runs; without one, each evaluation gets a fresh default budget.
    """

    def __init__(
        self,
        helpers: dict[str, Any] | None = None,
        service_caller: ServiceCaller | None = None,
        budget: Budget | None = None,
    ) -> None:
        super().__init__(helpers or {})
        self.service_caller = service_caller
        self.budget = budget
        self._globals = _budget_globals(budget) if budget is not None else None

    def _scope(self) -> dict[str, Any]:
        base = self._globals if self._globals is not None else _budget_globals(Budget())
        return dict(base)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code = _compile_eval(expression)
        scope = self._scope()
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(code, scope)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        code = _compile_exec(script)
        base = self._scope()
        scope = dict(base)
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(copy.copy(context))
        exec(code, scope)
        hidden = set(base) | set(self.globals) | set(external_context or {})
        for key, value in scope.items():
            if key in hidden or key.startswith("_") or callable(value):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        if self.service_caller is None:
            raise ModelError("A service task ran outside the engine", "Run processes through the workflow engine")
        return self.service_caller(context, **kwargs)
