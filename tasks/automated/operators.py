"""Every service-task operator the models may name, declared once (``tasks.operator_registry``).

Each declaration gives the task data the operator reads, with types; its parameters model and
the type of the value it writes into the task's result variable come from its function's
signature (a third ``params`` argument, and the return annotation), so they are stated once.
"""

from __future__ import annotations

from typing import Any

from tasks.automated import consent, referrals, scheduling, scheme_links, scheme_outcomes
from tasks.automated import schemes as scheme_steps
from tasks.automated import sharing as sharing_steps
from tasks.automated import subject_access as sar_steps
from tasks.operator_registry import Operator, OperatorRegistry, TaskData


class ConsentData(TaskData):
    episode_id: int
    child_person_id: int
    consent_outcome: str
    consent_from: str | None = None
    consenting_person_id: int | None = None
    pr_holder_ids: list[int] | None = None
    understanding_confirmed: bool | None = None
    recipients: list[Any] | None = None
    information_covered: list[str] | None = None
    purposes_covered: list[str] | None = None
    restrictions: list[Any] | None = None
    child_competent: bool | None = None
    competence_reasons: str | None = None
    manager_agrees_competence: bool | None = None
    competence_advice: str | None = None
    competence_response: str | None = None
    competence_stand_by_reasons: str | None = None
    not_sought_reason: str | None = None
    not_sought_ground: str | None = None


class ConsentFormData(TaskData):
    consent_record_id: int
    child_person_id: int
    consent_basis: str | None = None


class AdviceData(TaskData):
    advice_decision: str | None = None
    advice_reasons: str | None = None
    escalation_due_at: str | None = None
    question: str | None = None
    urgency: str | None = None
    practitioner_user_id: int | None = None


class ShareDecisionData(TaskData):
    share_route: str | None = None
    advice_decision: str | None = None
    advice_reasons: str | None = None
    grounds: list[str] | None = None
    public_interest: dict[str, Any] | None = None
    share_recipients: list[Any] | None = None
    decision_reasons: str | None = None
    what_to_share: str | None = None
    share_information: list[str] | None = None
    share_purposes: list[str] | None = None
    episode_id: int | None = None
    consent_record_id: int | None = None
    consent_outcome: str | None = None
    manager_advice_id: int | None = None


class InformingData(TaskData):
    share_decision_id: int
    inform_outcome: str
    inform_note: str | None = None


class DisclosureData(TaskData):
    recipient_agency: str | None = None
    disclosure_method: str | None = None
    disclosure_purpose: str | None = None
    disclosure_purpose_kind: str | None = None
    disclosed_items: list[Any] | None = None
    recipient_told_consent_status: bool | None = None
    restrictions_respected: bool | None = None
    restrictions_on_use: list[Any] | None = None


class ReceivedData(TaskData):
    received_details: str
    provided_by_agency: str
    provided_by_person: str | None = None
    received_without_consent: bool | None = None
    reasons_given: str | None = None
    received_restrictions: list[Any] | None = None


class ApplicationData(TaskData):
    application_id: int


class SubjectAccessData(TaskData):
    sar_id: int
    sar_decision: str | None = None
    extension_reason: str | None = None
    withheld_checked: bool | None = None
    sent_on: str | None = None
    sent_method: str | None = None
    sent_to: str | None = None


OPERATORS = OperatorRegistry(
    [
        Operator("record_consent", consent.record_consent, ConsentData),
        Operator("produce_consent_form", consent.produce_consent_form, ConsentFormData),
        Operator("compute_deadline", scheduling.compute_deadline, scheduling.DeadlineData),
        Operator("notify", scheduling.notify, scheduling.NotifyData),
        Operator("record_manager_advice", sharing_steps.record_manager_advice, AdviceData),
        Operator("record_share_decision", sharing_steps.record_share_decision, ShareDecisionData),
        Operator("record_informing", sharing_steps.record_informing, InformingData),
        Operator("record_disclosure", sharing_steps.record_disclosure, DisclosureData),
        Operator("record_received_information", sharing_steps.record_received_information, ReceivedData),
        Operator("record_scheme_stage", scheme_steps.record_scheme_stage, ApplicationData),
        Operator("record_identity_check", scheme_steps.record_identity_check, ApplicationData),
        Operator("record_scheme_decision", scheme_steps.record_scheme_decision, ApplicationData),
        Operator("prepare_undertaking", scheme_outcomes.prepare_undertaking, ApplicationData),
        Operator("record_scheme_disclosure", scheme_outcomes.record_scheme_disclosure, ApplicationData),
        Operator("record_unsigned_decision", scheme_outcomes.record_unsigned_decision, ApplicationData),
        Operator("record_scheme_no_disclosure", scheme_outcomes.record_scheme_no_disclosure, ApplicationData),
        Operator("record_time_limit_review", scheme_outcomes.record_time_limit_review, ApplicationData),
        # h/refer: referral to children's social care (P9)
        Operator("record_immediate_action", referrals.record_immediate_action, referrals.ImmediateActionData),
        Operator("record_referral", referrals.record_referral, referrals.ReferralData),
        Operator("referral_deadline", referrals.referral_deadline, referrals.ReferralRef),
        Operator("record_referral_response", referrals.record_referral_response, referrals.ReferralRef),
        Operator("record_referral_follow_up", referrals.record_referral_follow_up, referrals.ReferralRef),
        # h/refer: a request from another agency (P10)
        Operator("record_agency_request", referrals.record_agency_request, referrals.RequestData),
        Operator("request_deadline", referrals.request_deadline, referrals.RequestRef),
        Operator("record_request_answer", referrals.record_request_answer, referrals.AnswerData),
        Operator("record_agency_answer", referrals.record_agency_answer, referrals.ReceivedAnswerData),
        Operator("subject_access_time", sar_steps.subject_access_time, SubjectAccessData),
        Operator("extend_subject_access", sar_steps.extend_subject_access, SubjectAccessData),
        Operator("keep_subject_access_reply", sar_steps.keep_subject_access_reply, SubjectAccessData),
        Operator("record_subject_access_reply_sent", sar_steps.record_subject_access_reply_sent, SubjectAccessData),
        # h/police: R31 link to a child's case confirmed by its team; R45 suspected breach of an undertaking
        Operator("record_case_link_answer", scheme_links.record_case_link_answer, scheme_links.LinkAnswerData),
        Operator("record_breach_decision", scheme_links.record_breach_decision, scheme_links.BreachDecisionData),
        Operator("record_outcome_review", scheme_links.record_outcome_review, scheme_links.OutcomeReviewData),
    ]
)
