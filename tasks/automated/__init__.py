"""Automated (service) task handlers, by the operator id the BPMN names.

A handler receives the step's :class:`~workflows.context.ServiceContext` and the
task data, writes its records through ``ctx.session`` and returns a JSON-plain
value. It raises :class:`~safeshare.errors.DomainRuleError` to refuse.
"""

from __future__ import annotations

from tasks.automated import consent, scheduling
from workflows.engine import Handler

HANDLERS: dict[str, Handler] = {
    "record_consent": consent.record_consent,
    "produce_consent_form": consent.produce_consent_form,
    "compute_deadline": scheduling.compute_deadline,
    "notify": scheduling.notify,
}
