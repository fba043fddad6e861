"""A task's form, rendered from its JSON Schema and read back from a browser's post.

The schema stays the single source of truth: field order, labels (``title``),
hints (``description``), choices (``enum``, booleans) and list fields come from
it. Posted values are converted to the schema's types and empty answers are
left out, so the server-side validator reports missing fields by name.
Fields named ``*_person_id`` are offered as a choice of the people on the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

OBJECT_ROWS = 4


@dataclass
class FormField:
    name: str
    kind: str  # text, textarea, radios, select, boolean, integer, number, person, string_list, object_list, note
    label: str
    hint: str
    required: bool
    value: Any = None
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    option_hints: dict[str, str] = field(default_factory=dict)
    # object_list only: the questions of a row (as in the schema), then each row's own questions, named
    # "<list>-<row>-<question>" and filled with that row's answers and errors.
    subfields: list[FormField] = field(default_factory=list)
    rows: list[list[FormField]] = field(default_factory=list)
    item_title: str = "Row"


def _label(name: str, spec: Mapping[str, Any]) -> str:
    return str(spec.get("title") or name.replace("_", " ").capitalize())


def _kind(name: str, spec: Mapping[str, Any], in_row: bool = False) -> str:
    """How a question is asked; inside a row the same, except that a choice is a drop-down, to keep rows short."""
    kind = spec.get("type")
    if "enum" in spec:
        return "select" if in_row else "radios"
    if kind == "boolean":
        return "boolean"
    if kind == "integer":
        return "person" if name.endswith("_person_id") else "integer"
    if kind == "number":
        return "number"
    if kind == "array":
        items = spec.get("items", {})
        if items.get("type") == "object":
            if in_row:
                raise ValueError(f"The form question {name!r} is a list of rows inside a row: forms cannot draw that")
            return "object_list"
        return "string_list"
    if kind == "string" and (spec.get("minLength", 0) >= 10 or spec.get("format") == "textarea"):
        return "textarea"
    return "text"


def _required_anywhere(schema: Mapping[str, Any]) -> Iterator[str]:
    """Fields required outright or by a condition (``allOf``/``if``/``then``): never labelled "optional"."""
    yield from schema.get("required", [])
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            yield from _required_anywhere(part)
    for key in ("then", "else"):
        if isinstance(schema.get(key), Mapping):
            yield from _required_anywhere(schema[key])


def _option_hints(description: str, values: list[str]) -> tuple[str, dict[str, str]]:
    """Split "a: means this. b: means that." into a hint per option, when the description is written so."""
    pattern = r"(?:^|(?<=\s))(" + "|".join(re.escape(v) for v in values) + r"): "
    parts = re.split(pattern, description)
    if len(parts) < 3:
        return description, {}
    hints = {parts[i]: parts[i + 1].strip()[:1].upper() + parts[i + 1].strip()[1:] for i in range(1, len(parts) - 1, 2)}
    return parts[0].strip(), hints


def _words(name: str) -> str:
    return name.replace("_", " ")


def error_summary(fields: list[FormField]) -> list[dict[str, str]]:
    """GOV.UK error summary entries: the question, then what is wrong, linking to the field.

    A question in a row is named by its list, row and question, and the link goes to it in that row.
    """
    entries = []
    for f in fields:
        if f.error:
            entries.append({"text": f"{f.label}: {f.error}" if f.label else f.error, "href": f"#{f.name}"})
        for i, row in enumerate(f.rows):
            for sub, cell in zip(f.subfields, row, strict=True):
                if cell.error:
                    entries.append({"text": f"{f.label}: {f.item_title} {i + 1} {_words(sub.name)}: {cell.error}",
                                    "href": f"#{cell.name}"})
    return entries


def field_errors_by_field(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors keyed by top-level field, nested ones prefixed with where they are (e.g. "Row 1 agency: ...")."""
    result: dict[str, str] = {}
    for path, message in errors.items():
        head, _, rest = path.partition(".")
        if rest:
            index, _, sub = rest.partition(".")
            where = f"Row {int(index) + 1}" if index.isdigit() else index
            message = f"{where}{' ' + _words(sub) if sub else ''}: {message}"
        result[head] = f"{result[head]}; {message}" if head in result else message
    return result


def _row_errors(
    errors: Mapping[str, str], lists: Mapping[str, set[str]]
) -> tuple[dict[str, str], dict[tuple[str, int, str], str]]:
    """Split off the errors of a question in a row ("list.row.question[.more]"), shown beside that question."""
    rest: dict[str, str] = {}
    in_rows: dict[tuple[str, int, str], str] = {}
    for path, message in errors.items():
        head, index, sub = [*path.split(".", 3), "", ""][:3]
        if head in lists and index.isdigit() and sub in lists[head]:
            key = (head, int(index), sub)
            in_rows[key] = f"{in_rows[key]}; {message}" if key in in_rows else message
        else:
            rest[path] = message
    return rest, in_rows


def _field(
    name: str,
    spec: Mapping[str, Any],
    *,
    required: bool,
    value: Any = None,
    error: str = "",
    people: list[tuple[int, str]] | None = None,
    in_row: bool = False,
) -> FormField:
    """One question, drawn the same way at the top of a form and in a row (bar a choice, see :func:`_kind`)."""
    kind = _kind(name, spec, in_row)
    f = FormField(name=name, kind=kind, label=_label(name, spec), hint=str(spec.get("description", "")),
                  required=required, value=value, error=error)
    if kind in {"radios", "select"}:
        # "x-labels" (value -> words) where plain capitalisation would mangle a name: "MARAC", "ViSOR".
        labels = spec.get("x-labels") or {}
        f.options = [(str(v), labels.get(str(v)) or str(v).replace("_", " ").capitalize()) for v in spec["enum"]]
        f.hint, f.option_hints = _option_hints(f.hint, [str(v) for v in spec["enum"]])
        if kind == "select" and f.option_hints:  # a drop-down cannot show a hint per choice: the hint lists them
            labels = dict(f.options)
            f.hint = " ".join([f.hint, *(f"{labels[v]}: {h}" for v, h in f.option_hints.items())]).strip()
            f.option_hints = {}
    elif kind == "person":
        f.options = [(str(pid), label) for pid, label in (people or [])]
    elif kind == "string_list":
        f.value = "\n".join(str(v) for v in value or [])
    return f


def build_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    people: list[tuple[int, str]] | None = None,
) -> list[FormField]:
    """The fields to show, in schema order, filled with ``values`` and each with its error."""
    values = values or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    lists = {name: set(_items(spec).get("properties") or {}) for name, spec in properties.items()
             if _kind(name, spec) == "object_list"}
    errors, row_errors = _row_errors(errors or {}, lists)
    by_field = field_errors_by_field(errors)
    required = set(_required_anywhere(schema))
    fields: list[FormField] = []
    for name, spec in properties.items():
        f = _field(name, spec, required=name in required, value=values.get(name), error=by_field.get(name, ""),
                   people=people)
        if f.kind == "object_list":
            item = _items(spec)
            item_required = set(_required_anywhere(item))
            item_properties: Mapping[str, Any] = item.get("properties") or {}
            f.subfields = [_field(sub, s, required=sub in item_required, people=people, in_row=True)
                           for sub, s in item_properties.items()]
            f.item_title = str(item.get("title") or "Row")
            given = [row if isinstance(row, Mapping) else {} for row in (values.get(name) or [])]
            f.rows = [
                [
                    _field(sub, s, required=sub in item_required, people=people, in_row=True,
                           value=row.get(sub), error=row_errors.get((name, i, sub), ""))
                    for sub, s in item_properties.items()
                ]
                for i, row in enumerate([*given, *[{}] * (OBJECT_ROWS - len(given))])
            ]
            for i, cells in enumerate(f.rows):  # posted as "<list>-<row>-<question>"
                for cell in cells:
                    cell.name = f"{name}-{i}-{cell.name}"
            f.value = None
        fields.append(f)
    if "(form)" in by_field:
        fields.insert(0, FormField("(form)", "note", "", "", False, error=by_field["(form)"]))
    return fields


def _items(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    items = spec.get("items")
    return items if isinstance(items, Mapping) else {}


def _convert(kind: str, raw: str) -> Any:
    """A posted answer in the question's type; an answer that does not convert is kept as typed, so the
    validator names it beside its field."""
    if kind in {"integer", "person"}:
        return int(raw) if raw.lstrip("-").isdigit() else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"yes": True, "no": False}.get(raw, raw)
    if kind == "string_list":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def _answer(form: Mapping[str, Any], key: str, kind: str) -> Any:
    """The answer posted as ``key``, converted; None when left empty."""
    raw = str(form.get(key, "")).strip()
    return _convert(kind, raw) if raw else None


def parse_post(schema: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a posted HTML form into the JSON object the schema describes (empty answers left out).

    A list's rows are read from every "<list>-<row>-<question>" posted (an unanswered yes/no posts nothing,
    so a row is not taken to end the list because of it); rows left wholly empty are left out.
    """
    data: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = _kind(name, spec)
        if kind == "object_list":
            subs = {sub: _kind(sub, s, in_row=True) for sub, s in (_items(spec).get("properties") or {}).items()}
            pattern = re.compile(rf"{re.escape(name)}-(\d+)-(?:{'|'.join(re.escape(sub) for sub in subs)})")
            indices = sorted({int(m.group(1)) for key in form if (m := pattern.fullmatch(str(key)))})
            rows = []
            for i in indices:
                answers = {sub: _answer(form, f"{name}-{i}-{sub}", sub_kind) for sub, sub_kind in subs.items()}
                row = {sub: answer for sub, answer in answers.items() if answer is not None}
                if row:
                    rows.append(row)
            if rows:
                data[name] = rows
        else:
            answer = _answer(form, name, kind)
            if answer is not None:
                data[name] = answer
    return data
