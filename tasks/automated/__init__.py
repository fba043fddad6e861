"""Automated (service) task handlers, by the operator id the BPMN names.

A handler receives the step's :class:`~workflows.context.ServiceContext` and the
task data, writes its records through ``ctx.session`` and returns a JSON-plain
value. It raises :class:`~safeshare.core.errors.DomainRuleError` to refuse. Each is
declared once in :mod:`tasks.automated.operators` with what it reads, takes and
writes; ``HANDLERS`` is the table the engine calls, built from those declarations.
"""

from __future__ import annotations

from tasks.automated.operators import OPERATORS
from workflows.engine import Handler

HANDLERS: dict[str, Handler] = OPERATORS.handlers()
