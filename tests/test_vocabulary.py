"""Closed vocabularies: every audit event the code records is an ``AuditEventType``; statuses are enums."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from safeshare.core.config import PROJECT_ROOT
from safeshare.core.records.vocabulary import AuditEventType

APPLICATION = ("safeshare", "tasks", "workflows", "notifications", "web", "rules")
# Functions that pass their argument on to record_event as the event type, and its position.
RECORDERS = {"record_event": 3, "_audit": 2}


def _event_types_in(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in RECORDERS and len(node.args) > RECORDERS[name]:
                found.append((node.lineno, node.args[RECORDERS[name]]))
    return found


def _possible_values(expr: ast.expr) -> list[str] | None:
    """The strings an event-type expression can be; a regex for an f-string; None if it is a plain name."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        return (_possible_values(expr.body) or []) + (_possible_values(expr.orelse) or [])
    if isinstance(expr, ast.JoinedStr):
        pattern = "".join(re.escape(str(v.value)) if isinstance(v, ast.Constant) else "[a-z_]+" for v in expr.values)
        return [f"re:{pattern}"]
    return None


def test_every_audit_event_the_code_records_is_in_the_vocabulary() -> None:
    members = {m.value for m in AuditEventType}
    unknown: list[str] = []
    seen = 0
    for package in APPLICATION:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for line, expr in _event_types_in(ast.parse(path.read_text())):
                values = _possible_values(expr)
                if values is None:  # a variable: the wrapper's own calls are checked (RECORDERS)
                    continue
                for value in values:
                    seen += 1
                    if value.startswith("re:"):
                        if not any(re.fullmatch(value[3:], m) for m in members):
                            unknown.append(f"{Path(path).relative_to(PROJECT_ROOT)}:{line}: {value[3:]}")
                    elif value not in members:
                        unknown.append(f"{Path(path).relative_to(PROJECT_ROOT)}:{line}: {value}")
    assert seen > 40, "the scan found too few events: has record_event moved?"
    assert not unknown, f"audit event types missing from AuditEventType: {unknown}"

