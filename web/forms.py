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
    kind: str  # text, textarea, radios, boolean, integer, number, person, string_list, object_list
    label: str
    hint: str
    required: bool
    value: Any = None
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    option_hints: dict[str, str] = field(default_factory=dict)
    subfields: list[FormField] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    item_title: str = "Row"


def _label(name: str, spec: Mapping[str, Any]) -> str:
    return str(spec.get("title") or name.replace("_", " ").capitalize())


def _kind(name: str, spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if "enum" in spec:
        return "radios"
    if kind == "boolean":
        return "boolean"
    if kind == "integer":
        return "person" if name.endswith("_person_id") else "integer"
    if kind == "number":
        return "number"
    if kind == "array":
        items = spec.get("items", {})
        return "object_list" if items.get("type") == "object" else "string_list"
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


def error_summary(fields: list[FormField]) -> list[dict[str, str]]:
    """GOV.UK error summary entries: the question, then what is wrong, linking to the field."""
    return [
        {"text": f"{f.label}: {f.error}" if f.label else f.error, "href": f"#{f.name}"} for f in fields if f.error
    ]


def field_errors_by_field(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors keyed by top-level field, nested ones prefixed with where they are (e.g. "Row 1 agency: ...")."""
    result: dict[str, str] = {}
    for path, message in errors.items():
        head, _, rest = path.partition(".")
        if rest:
            index, _, sub = rest.partition(".")
            where = f"Row {int(index) + 1}" if index.isdigit() else index
            message = f"{where}{' ' + sub.replace('_', ' ') if sub else ''}: {message}"
        result[head] = f"{result[head]}; {message}" if head in result else message
    return result


def build_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    people: list[tuple[int, str]] | None = None,
) -> list[FormField]:
    """The fields to show, in schema order, filled with ``values`` and each with its error."""
    values = values or {}
    by_field = field_errors_by_field(errors or {})
    required = set(_required_anywhere(schema))
    fields: list[FormField] = []
    for name, spec in (schema.get("properties") or {}).items():
        kind = _kind(name, spec)
        f = FormField(
            name=name,
            kind=kind,
            label=_label(name, spec),
            hint=str(spec.get("description", "")),
            required=name in required,
            value=values.get(name),
            error=by_field.get(name, ""),
        )
        if kind == "radios":
            f.options = [(str(v), str(v).replace("_", " ").capitalize()) for v in spec["enum"]]
            f.hint, f.option_hints = _option_hints(f.hint, [str(v) for v in spec["enum"]])
        elif kind == "person":
            f.options = [(str(pid), label) for pid, label in (people or [])]
        elif kind == "string_list":
            f.value = "\n".join(str(v) for v in values.get(name) or [])
        elif kind == "object_list":
            item = spec.get("items", {})
            f.subfields = [
                FormField(
                    sub,
                    "select" if "enum" in s else "text",
                    _label(sub, s),
                    str(s.get("description", "")),
                    sub in item.get("required", []),
                    options=[(str(v), str(v).replace("_", " ").capitalize()) for v in s.get("enum", [])],
                )
                for sub, s in (item.get("properties") or {}).items()
            ]
            f.item_title = str(item.get("title") or "Row")
            given = list(values.get(name) or [])
            f.rows = [given[i] if i < len(given) else {} for i in range(max(OBJECT_ROWS, len(given)))]
        fields.append(f)
    if "(form)" in by_field:
        fields.insert(0, FormField("(form)", "note", "", "", False, error=by_field["(form)"]))
    return fields


def _convert(kind: str, raw: str) -> Any:
    if kind in {"integer", "person"}:
        return int(raw) if raw.lstrip("-").isdigit() else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"yes": True, "no": False}.get(raw, raw)
    return raw


def parse_post(schema: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a posted HTML form into the JSON object the schema describes (empty answers left out)."""
    data: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = _kind(name, spec)
        if kind == "string_list":
            lines = [line.strip() for line in str(form.get(name, "")).splitlines()]
            if any(lines):
                data[name] = [line for line in lines if line]
        elif kind == "object_list":
            subs = list((spec.get("items", {}).get("properties") or {}).keys())
            rows = []
            for i in range(50):
                keys = [f"{name}-{i}-{sub}" for sub in subs]
                if not any(k in form for k in keys):
                    break
                row = {sub: str(form.get(k, "")).strip() for sub, k in zip(subs, keys, strict=True)}
                row = {k: v for k, v in row.items() if v}
                if row:
                    rows.append(row)
            if rows:
                data[name] = rows
        else:
            raw = str(form.get(name, "")).strip()
            if raw:
                data[name] = _convert(kind, raw)
    return data
