"""docs/traceability.md stays true: every rule R1 to R37 has a full row, every rule is named by a test,
and every test the table cites exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "traceability.md"
RULES = [f"R{n}" for n in range(1, 38)]
NEW_RULES = [f"R{n}" for n in range(38, 48)]  # added after the line-by-line review (DOMAIN.md); a row once enforced
ROW = re.compile(r"^\|\s*(R\d+)\s*\|(.*)\|\s*$")
CITED = re.compile(r"`(?:(tests/[\w/]+\.py))?::(test_\w+)`")


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def _tests() -> dict[str, dict[str, str]]:
    """Per test file: test function name -> its docstring."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found[f"tests/{path.name}"] = {
            node.name: ast.get_docstring(node) or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        }
    return found


def _names_rule(name: str, doc: str, rule: str) -> bool:
    token = rule.lower()
    return bool(re.search(rf"(?:^|_){token}(?:_|$)", name) or re.search(rf"\b{rule}\b", doc))


def test_every_rule_has_a_row_with_every_cell_filled() -> None:
    rows = _rows()
    ordered = sorted(rows, key=lambda r: int(r[1:]))
    assert [r for r in ordered if r in RULES] == RULES, "docs/traceability.md needs exactly one row per R1..R37"
    assert set(ordered) <= set(RULES + NEW_RULES), f"rows for rules DOMAIN.md does not have: {ordered}"
    empty = [rule for rule, cells in rows.items() if len(cells) != 2 or not all(cells)]
    assert not empty, f"rows with an empty cell: {empty}"


def test_every_rule_in_the_table_is_named_by_a_test() -> None:
    tests = _tests()
    unnamed = [
        rule
        for rule in _rows()
        if not any(_names_rule(name, doc, rule) for per_file in tests.values() for name, doc in per_file.items())
    ]
    assert not unnamed, f"rules no test names (in its name, e.g. test_r12_..., or its docstring): {unnamed}"


def test_every_cited_test_exists() -> None:
    tests = _tests()
    missing = []
    for rule, cells in _rows().items():
        current = None
        for path, name in CITED.findall(cells[1]):
            current = path or current
            if current is None or name not in tests.get(current, {}):
                missing.append(f"{rule}: {current}::{name}")
    assert not missing, f"the table cites tests that do not exist: {missing}"


def test_every_rule_unit_is_named_in_its_rules_row() -> None:
    """The rule layer's units (rules/) each appear, by module and name, in the row of the rule id they carry."""
    import rules.consent
    import rules.data_protection
    import rules.sharing  # noqa: F401  (importing registers their units)
    from rules import REGISTRY

    rows = _rows()
    unnamed = []
    for qualified, unit in REGISTRY.items():
        rule_id = unit.rule_id  # type: ignore[attr-defined]
        if rule_id in rows and qualified not in rows[rule_id][0]:
            unnamed.append(f"{rule_id}: {qualified}")
    assert not unnamed, f"rule units their row of docs/traceability.md does not name: {unnamed}"
