"""Validate submitted form data against a user task's JSON Schema.

Errors are keyed by field path so the web UI can show each beside its field
and the CLI can print them one per line.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from safeshare.errors import FormValidationError

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


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    if error.validator == "required":
        return "This field is required"
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
