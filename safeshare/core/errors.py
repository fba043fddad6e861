"""Errors a user can act on.

Every error carries what is wrong and what to do about it, so the CLI, the API
and the web UI can show it as it is. Anything else escaping a service is a bug.
"""

from __future__ import annotations


class SafeshareError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` says what to do."""

    status_code = 400

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}".strip() if self.hint else self.message


class NotFoundError(SafeshareError):
    """An id names nothing the user may see (also used to hide what they may not know exists)."""

    status_code = 404


class PermissionDeniedError(SafeshareError):
    """The user is known and the record exists, but their role or case access does not allow this."""

    status_code = 403


class FormValidationError(SafeshareError):
    """Submitted form data does not fit the task's form; ``field_errors`` maps field path to message."""

    status_code = 422

    def __init__(self, message: str, field_errors: dict[str, str], hint: str = "") -> None:
        super().__init__(message, hint)
        self.field_errors = field_errors


class ConflictError(SafeshareError):
    """Someone else changed the same thing first (e.g. completed the task)."""

    status_code = 409


class UnstorableError(SafeshareError):
    """Well-formed input a database cannot hold (a NUL character, a number out of range): refused as a
    whole, with nothing written, like any other content the procedure cannot take."""

    status_code = 422


class DomainRuleError(SafeshareError):
    """A rule of the procedure forbids this; the message names the rule."""

    status_code = 422

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(f"{message} ({rule})", hint)
        self.rule = rule
        self.plain = message

    def for_people(self) -> str:
        """What a page shows: the message and what to do, without the rule id (kept for logs and the API)."""
        return f"{self.plain}. {self.hint}".strip() if self.hint else self.plain


class ModelError(SafeshareError):
    """A BPMN/DMN model is missing, malformed, or tried something it may not do."""

    status_code = 500


class ConfigurationError(SafeshareError):
    """Settings are wrong (e.g. a database URL that does not connect)."""

    status_code = 500
