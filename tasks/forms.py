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


def required_message(name: str, spec: dict[str, Any]) -> str:
    """What to say when a question is left unanswered, naming it: the form's own words (``x-errorMessages``),
    else "Select an answer to ..." for a choice, "Complete ..." for a question with parts, "Answer ..." for a
    question or a list, "Enter ..." for an answer to type."""
    own = spec.get("x-errorMessages")
    if isinstance(own, dict) and own.get("required"):
        return str(own["required"])
    title = str(spec.get("title") or name.replace("_", " ").capitalize()).strip()
    if _is_choice(spec):
        return f"Select an answer to “{title}”"
    if spec.get("type") == "object" and not title.endswith("?"):
        return f"Complete “{title}”"
    if spec.get("type") in ("object", "array") or title.endswith("?"):
        return f"Answer “{title}”"
    return f"Enter {title[:1].lower()}{title[1:]}"


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    if error.validator == "required":
        match = _REQUIRED.search(error.message)
        name = match.group(1) if match else ""
        return required_message(name, _spec_at(schema, [*error.absolute_path, name]))
    if error.validator == "additionalProperties":
        return "This field is not part of the form"
    if error.validator == "minLength":
        return f"Enter at least {error.validator_value} characters"
    if error.validator == "minItems":
        return f"Give at least {error.validator_value}"
    if error.validator == "enum":
        return "Choose one of: " + ", ".join(str(v) for v in error.validator_value)
    if error.validator == "anyOf":
        return "Answer at least one of the questions this choice needs"
    if error.validator in ("oneOf", "const"):
        return "Choose one of the options given"
    if error.validator == "type":
        return f"Must be {error.validator_value}"
    return error.message


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
