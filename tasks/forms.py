"""Validate submitted form data against a user task's JSON Schema.

Errors are keyed by field path so the web UI can show each beside its field
and the CLI can print them one per line.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from safeshare.core.errors import FormValidationError

_REQUIRED = re.compile(r"'([^']+)' is a required property")
_EXTRA = re.compile(r"\('([^']+)' was unexpected\)")


def _field_of(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        match = _REQUIRED.search(error.message)
        if match:
            return f"{path}.{match.group(1)}" if path else match.group(1)
    if error.validator == "additionalProperties":
        match = _EXTRA.search(error.message)
        if match:
            return match.group(1)
    return path or "(form)"


def _spec_at(schema: Any, path: list[Any]) -> Any:
    """The schema of the question at ``path`` (through parts and rows); {} when the schema does not say."""
    spec = schema
    for step in path:
        if not isinstance(spec, dict):
            return {}
        spec = spec.get("items", {}) if isinstance(step, int) else (spec.get("properties") or {}).get(step, {})
    return spec if isinstance(spec, dict) else {}


def _is_choice(spec: dict[str, Any]) -> bool:
    items = spec.get("items")
    parts: list[dict[str, Any]] = [spec, items] if isinstance(items, dict) else [spec]
    choice_words = ("enum", "oneOf", "const")
    return spec.get("type") in ("boolean", "integer") or any(key in part for part in parts for key in choice_words)


def _title(name: str, spec: dict[str, Any]) -> str:
    return str(spec.get("title") or name.replace("_", " ").capitalize() or "this question").strip()


def _subject(title: str) -> str:
    """The question as the subject of a sentence: "Meeting notes", or "Your answer to “Why …?”"."""
    return f"Your answer to “{title}”" if title.endswith("?") else title[:1].upper() + title[1:]


def _plural(word: str) -> str:
    word = word.strip().lower()
    irregular = {"child": "children", "person": "people"}
    if word in irregular:
        return irregular[word]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def _items_of(spec: dict[str, Any]) -> dict[str, Any]:
    items = spec.get("items")
    return items if isinstance(items, dict) else {}


def _list_kind(spec: dict[str, Any]) -> str:
    """How a list is answered: "choices" (boxes ticked), "rows" (add another) or "lines" (typed)."""
    items = _items_of(spec)
    if any(key in items for key in ("enum", "oneOf", "const")):
        return "choices"
    return "rows" if items.get("type") == "object" else "lines"


def _things(spec: dict[str, Any]) -> str:
    """What one entry of a list of rows is called, in the plural ("documents"), else "entries"."""
    items = _items_of(spec)
    return _plural(str(items["title"])) if items.get("title") else "entries"


def _type_of(spec: dict[str, Any], given: Any = None) -> str:
    kinds = given if given is not None else spec.get("type")
    if isinstance(kinds, list):
        kinds = next((k for k in kinds if k != "null"), "string")
    return str(kinds or "")


def required_message(name: str, spec: dict[str, Any]) -> str:
    """What to say when a question is left unanswered, naming it: the form's own words (``x-errorMessages``),
    else "Select an answer to ..." for a choice, "Complete ..." for a question with parts, "Answer ..." for a
    question or a list, "Enter ..." for an answer to type."""
    own = spec.get("x-errorMessages")
    if isinstance(own, dict) and own.get("required"):
        return str(own["required"])
    title = _title(name, spec)
    if _is_choice(spec):
        return f"Select an answer to “{title}”"
    if spec.get("type") == "object" and not title.endswith("?"):
        return f"Complete “{title}”"
    if spec.get("type") in ("object", "array") or title.endswith("?"):
        return f"Answer “{title}”"
    return f"Enter {title[:1].lower()}{title[1:]}"


def _yes_no(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def problem_in_words(keyword: str, limit: Any, name: str, spec: dict[str, Any], *, others: str = "") -> str:
    """What is wrong with the answer to one question, in words that name the question (GOV.UK style):
    the one home of every message a person reads about a form answer, by the JSON Schema keyword the answer
    breaks (``limit`` is the keyword's value in the schema). The web pages, the API's error body and the CLI
    all show these; pydantic's checks of the API's own requests are put in the same words
    (:func:`request_problem_in_words`). ``others`` names the questions an ``anyOf`` offers."""
    own = spec.get("x-errorMessages")
    if isinstance(own, dict) and own.get(keyword):
        return str(own[keyword])
    title = _title(name, spec)
    subject = _subject(title)
    kind = _list_kind(spec) if _type_of(spec) == "array" else ""
    if keyword == "required" or (keyword in ("minLength", "minItems") and isinstance(limit, int) and limit <= 1):
        return required_message(name, spec)
    if keyword == "minLength":
        return f"{subject} must be {limit} characters or more"
    if keyword == "maxLength":
        return f"{subject} must be {limit} characters or fewer"
    if keyword == "minItems":
        if kind == "choices":
            return f"Select at least {limit} answers to “{title}”"
        return f"Add at least {limit} {_things(spec)} to “{title}”"
    if keyword == "maxItems":
        if limit == 0:
            return f"Leave “{title}” empty with the answers you gave"
        if kind == "choices":
            return f"Select no more than {limit} answers to “{title}”"
        return f"Add no more than {limit} {_things(spec)} to “{title}”"
    if keyword == "uniqueItems":
        return f"Select each answer to “{title}” only once" if kind == "choices" else \
            f"Give each answer to “{title}” only once"
    if keyword in ("enum", "oneOf") or (keyword == "const" and _type_of(spec) != "boolean"):
        if kind == "choices":
            return f"Select answers to “{title}” from the list"
        return f"Select an answer to “{title}” from the list"
    if keyword == "const":
        return f"The answer to “{title}” must be {_yes_no(limit)} with the answers you gave"
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum") and name.endswith("_id"):
        return f"Select an answer to “{title}” from the list"  # a record picked from a list: an id not offered
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"{subject} must be {limit} or more" if keyword == "minimum" else f"{subject} must be more than {limit}"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"{subject} must be {limit} or less" if keyword == "maximum" else f"{subject} must be less than {limit}"
    if keyword == "type":
        wanted = _type_of(spec, limit)
        if wanted == "integer":
            return f"{subject} must be a whole number"
        if wanted == "number":
            return f"{subject} must be a number"
        if wanted == "boolean":
            return f"Select yes or no for “{title}”"
        if wanted == "string" and spec.get("format") == "date":
            return f"Enter a real date for “{title}”"
        if wanted in ("object", "array"):
            return required_message(name, spec)
        return f"Enter {title[:1].lower()}{title[1:]} as words" if not title.endswith("?") else \
            f"Answer “{title}” in words"
    if keyword == "format":
        what = {"date": "a real date", "date-time": "a real date and time"}.get(str(limit), "in the form asked for")
        return f"{subject} must be {what}"
    if keyword == "additionalProperties":
        return f"“{title}” is not a question on this form"
    if keyword == "anyOf" and others:
        return f"Answer {others}"
    if not name:
        return "Check your answers: some of them do not fit together"
    return f"Check your answer to “{title}”"


def _anyof_questions(error: ValidationError, schema: dict[str, Any]) -> str:
    """The questions an ``anyOf`` of ``required`` alternatives offers, in words: "“A” or “B”"."""
    names: list[str] = []
    for option in error.validator_value if isinstance(error.validator_value, list) else []:
        if isinstance(option, dict):
            names.extend(n for n in option.get("required", []) if n not in names)
    titles = [f"“{_title(n, _spec_at(schema, [*error.absolute_path, n]))}”" for n in names]
    return " or ".join(titles)


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        match = _REQUIRED.search(error.message)
        name = match.group(1) if match else ""
        return required_message(name, _spec_at(schema, [*path, name]))
    if error.validator == "additionalProperties":
        match = _EXTRA.search(error.message)
        name = match.group(1) if match else ""
        return problem_in_words("additionalProperties", None, name, {"title": name.replace("_", " ").capitalize()})
    spec = _spec_at(schema, path)
    name = str(next((p for p in reversed(path) if isinstance(p, str)), ""))
    if path and isinstance(path[-1], int) and not spec.get("title"):  # one answer in a list: named by the list
        spec = _spec_at(schema, path[:-1])
    if error.validator in ("minItems", "maxItems", "uniqueItems") and not spec:
        spec = dict(error.schema) if isinstance(error.schema, dict) else {}
    others = _anyof_questions(error, schema) if error.validator == "anyOf" else ""
    return problem_in_words(str(error.validator), error.validator_value, name, spec, others=others)


#: pydantic's error types (the API's own request checks) by the JSON Schema keyword that says the same.
_PYDANTIC_KEYWORDS = {
    "missing": "required", "string_too_short": "minLength", "string_too_long": "maxLength",
    "too_short": "minItems", "too_long": "maxItems", "literal_error": "enum", "enum": "enum",
    "int_parsing": "type", "int_type": "type", "int_from_float": "type", "float_parsing": "type",
    "float_type": "type", "bool_parsing": "type", "bool_type": "type", "string_type": "type",
    "greater_than_equal": "minimum", "greater_than": "exclusiveMinimum", "less_than_equal": "maximum",
    "less_than": "exclusiveMaximum", "date_parsing": "format", "date_from_datetime_parsing": "format",
    "datetime_parsing": "format", "datetime_from_date_parsing": "format", "dict_type": "type",
    "list_type": "type", "model_type": "type",
}
_PYDANTIC_TYPES = {
    "int": "integer", "float": "number", "bool": "boolean", "string": "string", "dict": "object",
    "list": "array", "model": "object", "date": "string", "datetime": "string",
}


def request_problem_in_words(name: str, error_type: str, context: dict[str, Any] | None = None) -> str:
    """A pydantic error about one field of an API request, in the words :func:`problem_in_words` uses."""
    context = context or {}
    keyword = _PYDANTIC_KEYWORDS.get(error_type, "")
    spec: dict[str, Any] = {"title": name.replace("_", " ").capitalize() if name else ""}
    prefix = error_type.split("_", 1)[0]
    if prefix in _PYDANTIC_TYPES:
        spec["type"] = _PYDANTIC_TYPES[prefix]
    if error_type.startswith("date"):
        spec["format"] = "date-time" if error_type.startswith("datetime") else "date"
    if error_type.startswith("string"):
        spec["type"] = "string"
    limit: Any = {
        "minLength": context.get("min_length"), "maxLength": context.get("max_length"),
        "minItems": context.get("min_length"), "maxItems": context.get("max_length"),
        "minimum": context.get("ge"), "exclusiveMinimum": context.get("gt"), "maximum": context.get("le"),
        "exclusiveMaximum": context.get("lt"), "type": spec.get("type"), "format": spec.get("format"),
    }.get(keyword)
    if keyword == "enum":
        spec["enum"] = []
    if keyword in ("minItems", "maxItems"):
        spec["type"] = "array"
    return problem_in_words(keyword or "other", limit, name, spec)


def validate_form(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Return ``data`` if it fits ``schema``; otherwise raise with every field's problem."""
    if not isinstance(data, dict):
        raise FormValidationError(
            "The form data must be a JSON object of field names to values",
            {"(form)": "Send an object"},
        )
    errors: dict[str, str] = {}
    for error in sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path)):
        errors.setdefault(_field_of(error), _message(error, schema))
    if errors:
        fields = ", ".join(f"{name}: {msg}" for name, msg in errors.items())
        raise FormValidationError(
            f"The form has {len(errors)} problem(s): {fields}",
            errors,
            "Correct the fields named and submit again",
        )
    return data
