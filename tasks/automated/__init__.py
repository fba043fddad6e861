"""Automated (service) task handlers, by the operator id the BPMN names.

A handler receives the step's :class:`~workflows.context.ServiceContext` and the
task data, writes its records through ``ctx.session`` and returns a JSON-plain
value. It raises :class:`~safeshare.errors.DomainRuleError` to refuse.
"""

from __future__ import annotations

from tasks.automated import consent, scheduling, scheme_outcomes
from tasks.automated import schemes as scheme_steps
from tasks.automated import sharing as sharing_steps
from workflows.engine import Handler

HANDLERS: dict[str, Handler] = {
    "record_consent": consent.record_consent,
    "produce_consent_form": consent.produce_consent_form,
    "compute_deadline": scheduling.compute_deadline,
    "notify": scheduling.notify,
    "record_manager_advice": sharing_steps.record_manager_advice,
    "record_share_decision": sharing_steps.record_share_decision,
    "record_informing": sharing_steps.record_informing,
    "record_disclosure": sharing_steps.record_disclosure,
    "record_received_information": sharing_steps.record_received_information,
    "record_scheme_stage": scheme_steps.record_scheme_stage,
    "record_identity_check": scheme_steps.record_identity_check,
    "record_scheme_decision": scheme_steps.record_scheme_decision,
    "prepare_undertaking": scheme_outcomes.prepare_undertaking,
    "record_scheme_disclosure": scheme_outcomes.record_scheme_disclosure,
    "record_unsigned_decision": scheme_outcomes.record_unsigned_decision,
    "record_scheme_no_disclosure": scheme_outcomes.record_scheme_no_disclosure,
    "record_time_limit_review": scheme_outcomes.record_time_limit_review,
}
