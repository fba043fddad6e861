"""A task's form, rendered from its JSON Schema and read back from a browser's post.

The schema stays the single source of truth: field order, labels (``title``),
hints (``description``), choices (``enum``, ``oneOf`` consts, booleans) and the
shape of the answer (lists, questions with parts, lists of rows) come from it.
Layout hints come from the form's companion uiSchema (``<form>.uischema.json``,
react-jsonschema-form words: ``ui:order``, ``ui:widget``, ``ui:help``,
``ui:description``, ``ui:options``, plus ``ui:enumHints`` for a hint under each
choice), which the model registry puts in the schema as ``x-uischema``.

How each kind of question is drawn and posted:

* a choice: radios (a drop-down inside a row); yes/no: inline radios;
* a list of choices: checkboxes, posted once per box ticked;
* a question with parts (an object): a fieldset, each part posted as ``<question>.<part>``;
* a date (``format: date``): day, month and year boxes, posted as ``<question>-day`` etc.;
  read back as an ISO date, or kept as typed (so the validator refuses it and the page says
  "Enter a real date");
* a list of rows: the rows given plus one empty row, up to ``maxItems``; spare rows are posted
  as ``<list>-<row>-<question>`` and shown one at a time by "Add another" (all shown without JS);
* a date and time (``format: date-time``): day, month, year, hour and minute boxes, posted as
  ``<question>-day`` ... ``<question>-minute`` and read back as "2026-11-23T14:30" (to the minute), or kept
  as typed so the page asks for a real date and time (the browser's own date-and-time box shows the date
  in the browser's locale, month first in en-US, so it is not used);
* a long answer: a text area, with a character count where ``maxLength`` is set.

A choice may reveal other questions (``ui:options.reveal``: choice -> questions), the GOV.UK
conditional reveal: without JS they are all shown; answers to a question whose choice was not
made are left out when read back, so nothing hidden is validated. A list of choices may offer
an exclusive "none of these" choice (``ui:options.none``) revealing questions that apply when
no choice is ticked.

Posted values are converted to the schema's types and empty answers are left out, so the
server-side validator reports missing fields by name. Fields named ``*_person_id`` are offered
as a choice of the people on the case.

A picker (``ui:options.choices``: the name of a list the page fills from the case, such as "people",
"staff", "recipients", "decisions" or "received") offers the case's own records as a choice, so nobody
types an id or a code: radios, or a drop-down with ``ui:widget: select`` or inside a row. Its answer is
read back in the schema's type (an integer id, or the words chosen). A picker whose list is empty says so
(``ui:options.emptyText``) and cannot be answered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.forms import required_message

#: The rows a list draws at least (given and empty); with JavaScript, the empty ones after the first are shown
#: one by one by "Add another". Never more than the list's ``maxItems``; always one empty row after those given.
LEAST_ROWS = 4
#: The value posted by a list of choices' exclusive "none of these" box; never part of the answer.
NONE_CHOICE = "__none__"
REAL_DATE = "Enter a real date, for example 27 3 2026"
REAL_MOMENT = "Enter a real date and time, for example 27 3 2026 and 14 30"
#: The boxes of a date-and-time question, in the order drawn (a date's are the first three).
MOMENT_PARTS = ("day", "month", "year", "hour", "minute")

#: The words the validator once used for an answer left out (errors passed in by older callers still get the
#: question's own words).
REQUIRED = "This field is required"
#: Lists of choices filled from the case, by the name a uiSchema gives them (``ui:options.choices``):
#: each choice as (value as posted, words shown).
Choices = Mapping[str, list[tuple[str, str]]]


@dataclass
class FormField:
    name: str
    # text, textarea, radios, select, boolean, integer, number, person, string_list, checkboxes, object,
    # object_list, date, datetime, note
    kind: str
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
    rows_shown: int = 0  # object_list: rows drawn open; the rest are spare rows "Add another" opens
    parts: list[FormField] = field(default_factory=list)  # object: its parts, named "<question>.<part>"
    reveals: dict[str, list[FormField]] = field(default_factory=dict)  # choice -> the questions it reveals
    none_option: tuple[str, str] | None = None  # checkboxes: the exclusive "none of these" (value, words)
    max_length: int | None = None  # textarea: drawn with a character count
    widget_rows: int = 4  # textarea: its height
    error_named: bool = False  # the error names the question itself ("Enter your reasons")
    placeholder: str = ""  # select: the words of its empty first choice (``ui:options.placeholder``)
    empty_text: str = ""  # a picker (or a person question) with nothing to choose: what it says instead
    path: str = ""  # where the answer sits in the data ("weighing.if_shared", "items.0.story")

    def date_parts(self) -> dict[str, str]:
        """A date question's day, month and year as drawn: from an ISO date, or as typed."""
        if isinstance(self.value, Mapping):
            return {k: str(self.value.get(k, "")) for k in ("day", "month", "year")}
        try:
            day = dt.date.fromisoformat(str(self.value))
        except ValueError:
            return {"day": "", "month": "", "year": ""}
        return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}

    def moment_parts(self) -> dict[str, str]:
        """A date-and-time question's boxes as drawn: from an ISO date and time (to the minute, the clock time
        as stored, which is what was typed), or as typed."""
        if isinstance(self.value, Mapping):
            return {k: str(self.value.get(k, "")) for k in MOMENT_PARTS}
        try:
            moment = dt.datetime.fromisoformat(str(self.value))
        except ValueError:
            return dict.fromkeys(MOMENT_PARTS, "")
        return {"day": str(moment.day), "month": str(moment.month), "year": str(moment.year),
                "hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}"}


def _label(name: str, spec: Mapping[str, Any]) -> str:
    return str(spec.get("title") or name.replace("_", " ").capitalize())


def _items(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    items = spec.get("items")
    return items if isinstance(items, Mapping) else {}


def _choices(spec: Mapping[str, Any]) -> list[tuple[str, str, str]] | None:
    """The choices a question offers, as (value, words, hint): from ``enum`` (words from ``x-labels``) or from
    ``oneOf`` consts with their titles and descriptions; None when it offers none."""
    if "enum" in spec:
        labels = spec.get("x-labels") or {}
        return [(str(v), labels.get(str(v)) or str(v).replace("_", " ").capitalize(), "") for v in spec["enum"]]
    one_of = spec.get("oneOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, Mapping) and "const" in o for o in one_of):
        return [(str(o["const"]), str(o.get("title") or str(o["const"]).replace("_", " ").capitalize()),
                 str(o.get("description") or "")) for o in one_of]
    return None


def _kind(name: str, spec: Mapping[str, Any], ui: Mapping[str, Any] | None = None, in_row: bool = False) -> str:
    """How a question is asked; inside a row the same, except that a choice is a drop-down, to keep rows short."""
    ui = ui or {}
    widget = ui.get("ui:widget")
    kind = spec.get("type")
    if picker_source(ui) and kind in ("integer", "string"):
        return "select" if widget == "select" or in_row else "radios"
    if _choices(spec) is not None and kind != "array":
        if widget == "select" or in_row:
            return "select"
        return "radios"
    if kind == "boolean":
        return "boolean"
    if kind == "integer":
        return "person" if name.endswith("_person_id") else "integer"
    if kind == "number":
        return "number"
    if kind == "array":
        items = _items(spec)
        if items.get("type") == "object":
            if in_row:
                raise ValueError(f"The form question {name!r} is a list of rows inside a row: forms cannot draw that")
            return "object_list"
        if _choices(items) is not None and widget != "textarea":
            return "checkboxes"
        return "string_list"
    if kind == "object":
        if in_row:
            raise ValueError(f"The form question {name!r} has parts, inside a row: forms cannot draw that")
        return "object"
    if kind == "string" and spec.get("format") == "date" and widget not in ("text", "textarea"):
        return "date"
    if kind == "string" and spec.get("format") == "date-time" and widget not in ("text", "textarea"):
        return "datetime"
    if widget == "textarea" or (kind == "string" and (
            spec.get("minLength", 0) >= 10 or spec.get("format") == "textarea" or spec.get("maxLength", 0) > 100)):
        return "textarea"
    return "text"


def _required_anywhere(schema: Mapping[str, Any]) -> Iterator[str]:
    """Fields required outright or by a condition (``allOf``/``if``/``then``): never labelled "optional"."""
    yield from schema.get("required", [])
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            if isinstance(part, Mapping):
                yield from _required_anywhere(part)
    for key in ("then", "else"):
        if isinstance(schema.get(key), Mapping):
            yield from _required_anywhere(schema[key])


def _option_hints(description: str, values: list[str]) -> tuple[str, dict[str, str]]:
    """Split "a: means this. b: means that." into a hint per option, when the description is written so:
    every option named once, in the schema's order, each followed by ": ". Otherwise the description is
    one hint for the question (a hint under the wrong choice is worse than none)."""
    if not values:
        return description, {}
    pattern = r"(?:^|(?<=\s))(" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + r"): "
    parts = re.split(pattern, description)
    named = parts[1::2]
    if named != values:
        return description, {}
    hints = {}
    for value, text in zip(named, parts[2::2], strict=True):
        text = text.strip()
        hints[value] = text[:1].upper() + text[1:]
    return parts[0].strip(), hints


def _words(name: str) -> str:
    return name.replace("_", " ")


def _ordered(properties: Mapping[str, Any], ui: Mapping[str, Any]) -> list[str]:
    """The questions in ``ui:order`` (with "*" for the rest, in schema order), else in schema order."""
    order = ui.get("ui:order")
    names = list(properties)
    if not isinstance(order, list):
        return names
    listed = [n for n in order if n in properties]
    rest = [n for n in names if n not in listed]
    if "*" in order:
        star = order.index("*")
        before = [n for n in order[:star] if n in properties]
        return [*before, *rest, *[n for n in order[star + 1:] if n in properties]]
    return [*listed, *rest]


def picker_source(ui: Mapping[str, Any]) -> str:
    """The name of the list from the case a question offers (``ui:options.choices``); "" when it is not a picker."""
    source = _options(ui).get("choices")
    return source if isinstance(source, str) else ""


def _ui_of(ui: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    sub = ui.get(name)
    return sub if isinstance(sub, Mapping) else {}


def _options(ui: Mapping[str, Any]) -> Mapping[str, Any]:
    options = ui.get("ui:options")
    return options if isinstance(options, Mapping) else {}


def uischema_of(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The uiSchema the model registry put with the form (``x-uischema``); empty when there is none."""
    ui = schema.get("x-uischema")
    return ui if isinstance(ui, Mapping) else {}


# ---------------------------------------------------------------- errors


class _Errors:
    """The validator's errors by data path ("weighing.if_shared", "items.0.story"), each taken by one question:
    the deepest question whose path it is under."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.left = dict(errors)

    def take(self, path: str, *, deep: bool, placed: bool = True) -> str:
        """The errors at ``path`` (and, with ``deep``, under it), joined once each; they are then taken.
        With ``placed``, an error under the question says where ("Row 2 ..."); a list of choices' errors about
        one of its answers do not (its boxes have no rows)."""
        found: list[str] = []
        for key in list(self.left):
            if key == path or (deep and key.startswith(path + ".")):
                rest = key[len(path) + 1:]
                message = self.left.pop(key)
                if rest and placed:
                    index, _, sub = rest.partition(".")
                    where = f"Row {int(index) + 1}" if index.isdigit() else _words(index)
                    message = f"{where}{' ' + _words(sub) if sub else ''}: {message}"
                if message not in found:
                    found.append(message)
        return "; ".join(found)


def error_summary(fields: list[FormField]) -> list[dict[str, str]]:
    """GOV.UK error summary entries: the question, then what is wrong, linking to the field.

    A question in a row is named by its list, row and question, and the link goes to it in that row;
    a part of a question, or a revealed question, by its own words.
    """
    entries: list[dict[str, str]] = []
    for f in fields:
        if f.error:
            href = f"#{f.name}-day" if f.kind in ("date", "datetime") else f"#{f.name}"
            entries.append({"text": f"{f.label}: {f.error}" if f.label and not f.error_named else f.error,
                            "href": href})
        for i, row in enumerate(f.rows):
            for sub, cell in zip(f.subfields, row, strict=True):
                if cell.error:
                    href = f"#{cell.name}-day" if cell.kind in ("date", "datetime") else f"#{cell.name}"
                    where = f"{f.label}: {f.item_title} {i + 1}"
                    text = f"{where}: {cell.error}" if cell.error_named else \
                        f"{where} {_words(sub.name)}: {cell.error}"
                    entries.append({"text": text, "href": href})
        entries.extend(error_summary(f.parts))
        for revealed in f.reveals.values():
            entries.extend(error_summary(revealed))
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


# ---------------------------------------------------------------- building the questions


def _field(
    name: str,
    spec: Mapping[str, Any],
    ui: Mapping[str, Any],
    *,
    path: str,
    required: bool,
    value: Any,
    errors: _Errors,
    choices: Choices,
    in_row: bool = False,
) -> FormField:
    """One question, drawn the same way at the top of a form, as a part and in a row (bar a choice, see
    :func:`_kind`); its error is the validator's at its path (a part's or a row's own errors go to them)."""
    kind = _kind(name, spec, ui, in_row)
    hint = str(ui.get("ui:description", spec.get("description", "")))
    f = FormField(name=name, kind=kind, label=str(ui.get("ui:title") or _label(name, spec)), hint=hint,
                  required=required, value=value, path=path)
    options = _options(ui)
    if source := picker_source(ui):
        f.options = list(choices.get(source, []))
        f.empty_text = str(options.get("emptyText") or "None recorded on this case")
        f.placeholder = str(options.get("placeholder") or "")
        f.value = None if value is None else str(value)
    elif kind in {"radios", "select", "checkboxes"}:
        choices_ = _choices(_items(spec) if kind == "checkboxes" else spec) or []
        labels = options.get("enumNames") or ui.get("ui:enumNames")
        f.options = [(v, str(labels[i]) if isinstance(labels, list) and i < len(labels) else words)
                     for i, (v, words, _) in enumerate(choices_)]
        explicit = ui.get("ui:enumHints") or spec.get("x-hints") or _items(spec).get("x-hints")
        if isinstance(explicit, Mapping):  # hints named per choice: the description stays whole
            f.option_hints = {str(k): str(v) for k, v in explicit.items()}
        elif any(h for _, _, h in choices_):
            f.option_hints = {v: h for v, _, h in choices_ if h}
        else:
            f.hint, f.option_hints = _option_hints(f.hint, [v for v, _, _ in choices_])
        if kind == "select" and f.option_hints:  # a drop-down cannot show a hint per choice: the hint lists them
            words = dict(f.options)
            f.hint = " ".join([f.hint, *(f"{words[v]}: {h}" for v, h in f.option_hints.items() if v in words)]).strip()
            f.option_hints = {}
        none = options.get("none")
        if kind == "checkboxes" and isinstance(none, Mapping):
            f.none_option = (NONE_CHOICE, str(none.get("label") or "None of these"))
    elif kind == "person":
        f.options = list(choices.get("people", []))
        f.empty_text = "No people are recorded on this case"
    elif kind == "string_list":
        f.value = "\n".join(str(v) for v in value or []) if isinstance(value, list) else value
    elif kind == "textarea":
        f.max_length = spec.get("maxLength") or options.get("maxLength")
        f.widget_rows = int(options.get("rows", 4))
    if ui.get("ui:help"):
        f.hint = f"{f.hint} {ui['ui:help']}".strip()

    if kind == "object":
        _build_parts(f, spec, ui, value, errors, choices)
        f.value = None
    elif kind == "object_list":
        _build_rows(f, spec, ui, value, errors, choices)
        f.value = None
    f.error = errors.take(path, deep=kind not in {"object", "object_list"}, placed=kind != "checkboxes")
    own = options.get("errorMessages")  # the question's own words for an error, by the schema word it breaks
    unanswered = f.error == required_message(path.rsplit(".", 1)[-1], dict(spec))
    if (unanswered or f.error == REQUIRED) and isinstance(own, Mapping) and own.get("required"):
        f.error, unanswered = str(own["required"]), True
    f.error_named = unanswered or _names_question(f.error, f.label)  # the error summary shows the message alone
    if kind == "date" and value is not None and not _is_date(value):
        f.error = REAL_DATE  # typed but not a date: the validator's "Must be string" says nothing to a person
        f.error_named = False
    if kind == "datetime" and isinstance(value, Mapping):
        f.error = REAL_MOMENT  # typed but not a date and time
        f.error_named = False
    return f


def _names_question(error: str, label: str) -> bool:
    """Whether an error already names its question (the form engine's words quote it or say it)."""
    if not error or error == REQUIRED:
        return False
    return "“" in error or bool(label) and label.lower().rstrip("?") in error.lower()


def _is_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _build_parts(f: FormField, spec: Mapping[str, Any], ui: Mapping[str, Any], value: Any, errors: _Errors,
                 choices: Choices) -> None:
    given = value if isinstance(value, Mapping) else {}
    f.parts = _questions(spec, ui, given, errors, choices, prefix=f.name, path=f.path)


def _build_rows(f: FormField, spec: Mapping[str, Any], ui: Mapping[str, Any], value: Any, errors: _Errors,
                choices: Choices) -> None:
    item = _items(spec)
    item_ui = _ui_of(ui, "items")
    item_required = set(_required_anywhere(item))
    item_properties: Mapping[str, Any] = item.get("properties") or {}
    order = _ordered(item_properties, item_ui)
    nowhere = _Errors({})
    f.subfields = [_field(sub, item_properties[sub], _ui_of(item_ui, sub), path=sub, required=sub in item_required,
                          value=None, errors=nowhere, choices=choices, in_row=True) for sub in order]
    f.item_title = str(item_ui.get("ui:title") or item.get("title") or "Row")
    given = [row if isinstance(row, Mapping) else {} for row in (value if isinstance(value, list) else [])]
    most = spec.get("maxItems")
    total = max(LEAST_ROWS, len(given) + 1)
    if isinstance(most, int):
        total = max(len(given), min(total, most))
    opened = _options(ui).get("openRows")  # rows open at first, where a list usually needs more than one
    f.rows_shown = min(total, max(len(given) + 1, opened if isinstance(opened, int) else 1))
    f.rows = []
    for i in range(total):
        row = given[i] if i < len(given) else {}
        cells = [_field(f"{f.name}-{i}-{sub}", item_properties[sub], _ui_of(item_ui, sub),
                        path=f"{f.path}.{i}.{sub}", required=sub in item_required, value=row.get(sub),
                        errors=errors, choices=choices, in_row=True) for sub in order]
        f.rows.append(cells)


def _questions(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: _Errors,
    choices: Choices,
    *,
    prefix: str = "",
    path: str = "",
) -> list[FormField]:
    """The questions of an object (a form, or a question with parts), in order, with the revealed ones moved
    under the choice that reveals them."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = set(_required_anywhere(schema))
    fields = [
        _field(f"{prefix}.{name}" if prefix else name, properties[name], _ui_of(ui, name),
               path=f"{path}.{name}" if path else name, required=name in required, value=values.get(name),
               errors=errors, choices=choices)
        for name in _ordered(properties, ui)
    ]
    by_key = {f.path.rsplit(".", 1)[-1]: f for f in fields}
    moved: set[str] = set()
    for f in fields:
        for choice, names in _reveals(f, _ui_of(ui, f.path.rsplit(".", 1)[-1])).items():
            f.reveals[choice] = [by_key[n] for n in names if n in by_key and n not in moved]
            moved.update(names)
    if f_none := [f for f in fields if f.none_option and NONE_CHOICE in f.reveals]:
        for f in f_none:  # "none of these" is ticked when nothing else is and its questions were answered
            revealed = f.reveals[NONE_CHOICE]
            if not f.value and any(r.value not in (None, "", [], {}) or _has_error(r) for r in revealed):
                f.value = [NONE_CHOICE]
    return [f for f in fields if f.path.rsplit(".", 1)[-1] not in moved]


def _has_error(f: FormField) -> bool:
    return bool(f.error) or any(_has_error(p) for p in f.parts) or any(c.error for row in f.rows for c in row)


def _reveals(f: FormField, ui: Mapping[str, Any]) -> dict[str, list[str]]:
    """What each choice of ``f`` reveals (``ui:options.reveal``, and the "none of these" choice's questions)."""
    options = _options(ui)
    reveal = options.get("reveal")
    result: dict[str, list[str]] = {}
    if isinstance(reveal, Mapping) and f.kind in {"radios", "boolean", "checkboxes"}:
        for choice, names in reveal.items():
            key = {"true": "yes", "false": "no"}.get(str(choice).lower(), str(choice)) if f.kind == "boolean" \
                else str(choice)
            result[key] = [str(n) for n in ([names] if isinstance(names, str) else names)]
    none = options.get("none")
    if f.none_option and isinstance(none, Mapping) and none.get("reveal"):
        names = none["reveal"]
        result[NONE_CHOICE] = [str(n) for n in ([names] if isinstance(names, str) else names)]
    return result


def build_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    people: list[tuple[int, str]] | None = None,
    uischema: Mapping[str, Any] | None = None,
    choices: Choices | None = None,
) -> list[FormField]:
    """The questions to show, in order, filled with ``values`` and each with its error (a part's, a row's and
    a revealed question's errors beside them; an error no question takes is a note at the top).

    ``choices`` are the lists from the case a picker offers, by name; ``people`` (the people on the case, for
    ``*_person_id`` questions) is the list named "people"."""
    ui = uischema if uischema is not None else uischema_of(schema)
    left = _Errors(errors or {})
    lists: dict[str, list[tuple[str, str]]] = dict(choices or {})
    if people is not None:
        lists["people"] = [(str(pid), label) for pid, label in people]
    fields = _questions(schema, ui, values or {}, left, lists)
    loose = field_errors_by_field(left.left)
    for f in fields:  # an error under a question that has no place for it (e.g. a part not in the form)
        if f.name in loose:
            f.error = f"{f.error}; {loose.pop(f.name)}" if f.error else loose.pop(f.name)
    if loose:
        note = "; ".join(v if k == "(form)" else f"{_words(k)}: {v}" for k, v in loose.items())
        fields.insert(0, FormField("(form)", "note", "", "", False, error=note))
    return fields


# ---------------------------------------------------------------- reading a post


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


def _all(form: Mapping[str, Any], key: str) -> list[str]:
    """Every value posted as ``key`` (a browser posts a ticked box once each)."""
    getlist = getattr(form, "getlist", None)
    raw: Iterable[Any] = getlist(key) if callable(getlist) else (
        form[key] if isinstance(form.get(key), list) else ([form[key]] if key in form else []))
    return [str(v).strip() for v in raw if str(v).strip()]


def _moment(form: Mapping[str, Any], key: str) -> Any:
    """A date and time posted as day, month, year, hour and minute: "2026-11-23T14:30"; as typed when it is
    not a real date and time (the validator refuses it and the page asks for one); None when empty."""
    typed = {part: str(form.get(f"{key}-{part}", "")).strip() for part in MOMENT_PARTS}
    if not any(typed.values()):
        return None
    try:
        if len(typed["year"]) != 4:
            raise ValueError("a year has 4 digits")
        year, month, day, hour, minute = (int(typed[part]) for part in ("year", "month", "day", "hour", "minute"))
        moment = dt.datetime(year, month, day, hour, minute)
    except ValueError:
        return typed
    return moment.strftime("%Y-%m-%dT%H:%M")


def _date(form: Mapping[str, Any], key: str) -> Any:
    """A date posted as day, month and year: an ISO date; as typed when it is not a date; None when empty."""
    typed = {part: str(form.get(f"{key}-{part}", "")).strip() for part in ("day", "month", "year")}
    if not any(typed.values()):
        return None
    try:
        if len(typed["year"]) != 4:
            raise ValueError("a year has 4 digits")
        return dt.date(int(typed["year"]), int(typed["month"]), int(typed["day"])).isoformat()
    except ValueError:
        return typed  # not a date: the validator refuses it (not a string) and the page asks for a real date


def _answer(form: Mapping[str, Any], key: str, kind: str, spec: Mapping[str, Any], ui: Mapping[str, Any]) -> Any:
    """The answer posted as ``key`` (a question's HTML name), converted; None when left empty."""
    if kind == "checkboxes":
        ticked = [v for v in _all(form, key) if v != NONE_CHOICE]
        return ticked or None
    if kind == "date":
        return _date(form, key)
    if kind == "datetime":
        return _moment(form, key)
    if kind == "object":
        return _object(spec, ui, form, prefix=key) or None
    if kind == "object_list":
        return _rows(key, spec, ui, form) or None
    raw = str(form.get(key, "")).strip()
    if raw and kind in {"radios", "select"} and spec.get("type") == "integer":
        return _convert("integer", raw)  # a picker of records: the id chosen
    return _convert(kind, raw) if raw else None


def _rows(name: str, spec: Mapping[str, Any], ui: Mapping[str, Any], form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A list's rows, read from every "<list>-<row>-<question>" posted (an unanswered yes/no posts nothing,
    so a row is not taken to end the list because of it); rows left wholly empty are left out."""
    item = _items(spec)
    item_ui = _ui_of(ui, "items")
    properties: Mapping[str, Any] = item.get("properties") or {}
    subs = {sub: _kind(sub, s, _ui_of(item_ui, sub), in_row=True) for sub, s in properties.items()}
    if not subs:
        return []
    questions = "|".join(re.escape(sub) for sub in subs)
    pattern = re.compile(rf"{re.escape(name)}-(\d+)-(?:{questions})(?:-day|-month|-year)?")
    indices = sorted({int(m.group(1)) for key in form if (m := pattern.fullmatch(str(key)))})
    rows = []
    for i in indices:
        answers = {sub: _answer(form, f"{name}-{i}-{sub}", kind, properties[sub], _ui_of(item_ui, sub))
                   for sub, kind in subs.items()}
        row = {sub: answer for sub, answer in answers.items() if answer is not None}
        if row:
            rows.append(row)
    return rows


def _object(
    schema: Mapping[str, Any], ui: Mapping[str, Any], form: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    kinds = {}
    for name, spec in properties.items():
        sub_ui = _ui_of(ui, name)
        kinds[name] = _kind(name, spec, sub_ui)
        answer = _answer(form, f"{prefix}.{name}" if prefix else name, kinds[name], spec, sub_ui)
        if answer is not None:
            data[name] = answer
    for name in properties:  # answers to questions a choice not made would reveal are not part of the answer
        probe = FormField(name, kinds[name], "", "", False, options=[("", "")] if kinds[name] == "checkboxes" else [])
        if kinds[name] == "checkboxes" and isinstance(_options(_ui_of(ui, name)).get("none"), Mapping):
            probe.none_option = (NONE_CHOICE, "")
        for choice, revealed in _reveals(probe, _ui_of(ui, name)).items():
            if not _chosen(data.get(name), choice, kinds[name]):
                for hidden in revealed:
                    data.pop(hidden, None)
    return data


def _chosen(answer: Any, choice: str, kind: str) -> bool:
    """Whether ``choice`` was made: a list of choices that has it (the "none" choice: that has nothing ticked);
    a choice or yes/no that is it, or not yet answered (the revealed answers are then kept and redrawn)."""
    if kind == "checkboxes":
        return not answer if choice == NONE_CHOICE else choice in (answer or [])
    if answer is None:
        return True
    if kind == "boolean":
        return {"yes": True, "no": False}.get(choice) == answer
    return str(answer) == choice


def parse_post(
    schema: Mapping[str, Any], form: Mapping[str, Any], uischema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Turn a posted HTML form into the JSON object the schema describes (empty answers left out)."""
    return _object(schema, uischema if uischema is not None else uischema_of(schema), form)


# ---------------------------------------------------------------- a period asked for on a page (exports, reports)


@dataclass
class PeriodAnswer:
    """The days a page's "From" and "To" date inputs gave, as ISO dates for the service, what was typed (to draw
    it again) and each date's error in words, by the date's name ("from", "to")."""

    days: dict[str, str | None] = field(default_factory=dict)
    typed: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_period(params: Mapping[str, Any], labels: Mapping[str, str]) -> PeriodAnswer:
    """Read each date of a period (``labels``: name -> its words, "start date") from day, month and year boxes
    ("from-day" ...), or from a bookmarked ISO date ("from=2026-11-01"); a date that is not real, outside the
    days a period may name, or a period that ends before it starts is an error on that date, in words."""
    from safeshare.core.date_bounds import EARLIEST, LATEST

    answer = PeriodAnswer()
    for name, words in labels.items():
        typed = {part: str(params.get(f"{name}-{part}", "")).strip() for part in ("day", "month", "year")}
        iso = str(params.get(name, "") or "").strip()
        if not any(typed.values()) and iso:
            try:
                day = dt.date.fromisoformat(iso)
                typed = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
            except ValueError:
                typed = {"day": iso, "month": "", "year": ""}
        answer.typed[name] = typed
        answer.days[name] = None
        if not any(typed.values()):
            continue
        value = _date({f"{name}-{part}": v for part, v in typed.items()}, name)
        if not isinstance(value, str):
            answer.errors[name] = f"The {words} must be a real date, for example 27 3 2026"
        elif not EARLIEST <= dt.date.fromisoformat(value) <= LATEST:
            answer.errors[name] = f"The {words} must be between {EARLIEST:%-d %B %Y} and {LATEST:%-d %B %Y}"
        else:
            answer.days[name] = value
    first, last = (answer.days.get(n) for n in list(labels)[:2]) if len(labels) == 2 else (None, None)
    if first and last and last < first:
        start_words, end_words = labels.values()
        answer.errors[list(labels)[1]] = f"The {end_words} must be the same as or after the {start_words}"
    return answer
