"""The closed vocabularies of the records: one ``StrEnum`` per state machine, and the audit event types.

Why: statuses were free strings compared in some thirty places; a typo was a silent new state.
Each state machine's values are listed once here, the database refuses any other value (a CHECK
constraint built by :func:`one_of`, migration ``0050_arch``), and code compares with the members.
A ``StrEnum`` member equals its string, so rows read back as plain strings compare equal.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class InstanceStatus(StrEnum):
    """A process instance: ``running`` while it starts, ``waiting`` on a person or a timer,
    ``completed`` at an end event, ``error`` when the timer sweep parked it (an administrator retries)."""

    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    ERROR = "error"


class NotificationStatus(StrEnum):
    """An outbox message: ``pending`` until delivered (``sent``) or out of attempts (``failed``, requeued by hand)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ConsentStatus(StrEnum):
    """A consent record: ``active`` until fresh consent in the same episode supersedes it (R9)."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"  # by the person, at any time (R44)


class SchemeStatus(StrEnum):
    """A police scheme application: ``open`` until its outcome (a disclosure or a letter) closes it."""

    OPEN = "open"
    CLOSED = "closed"


class AuditEventType(StrEnum):
    """Every kind of event the audit trail records (``safeshare.core.audit.record_event``)."""

    ACCESS_REFUSED = "access_refused"
    API_TOKEN_ISSUED = "api_token_issued"
    API_TOKEN_REVOKED = "api_token_revoked"
    CASE_OPENED = "case_opened"
    CASE_VIEWED = "case_viewed"
    CONSENT_RECORDED = "consent_recorded"
    CONSENT_SUPERSEDED = "consent_superseded"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DEADLINE_CHANGED = "deadline_changed"
    DEADLINE_RESET = "deadline_reset"
    DISCLOSURE_RECORDED = "disclosure_recorded"
    DOCUMENT_DOWNLOADED = "document_downloaded"
    DOCUMENT_INTEGRITY_FAILED = "document_integrity_failed"
    DOCUMENT_PRODUCED = "document_produced"
    EPISODE_STARTED = "episode_started"
    EXPORT_MADE = "export_made"
    INDIVIDUAL_INFORMED = "individual_informed"
    INDIVIDUAL_NOT_INFORMED = "individual_not_informed"
    INFORMATION_RECEIVED_RECORDED = "information_received_recorded"
    INSTANCE_PARKED = "instance_parked"
    INSTANCE_RETRIED = "instance_retried"
    MANAGER_ADVICE_RECORDED = "manager_advice_recorded"
    NOTIFICATION_FAILED = "notification_failed"
    NOTIFICATION_REQUEUED = "notification_requeued"
    NOTIFICATION_SENT = "notification_sent"
    PASSWORD_SET = "password_set"
    PERSON_ADDED = "person_added"
    PROCESS_COMPLETED = "process_completed"
    PROCESS_STARTED = "process_started"
    PROCESS_VIEWED = "process_viewed"
    REPORT_VIEWED = "report_viewed"
    RETENTION_HOLD_LIFTED = "retention_hold_lifted"
    RETENTION_HOLD_PLACED = "retention_hold_placed"
    RETENTION_REVIEW_LISTED = "retention_review_listed"
    SCHEME_APPLICATION_CLOSED = "scheme_application_closed"
    SCHEME_APPLICATION_RECEIVED = "scheme_application_received"
    SCHEME_APPLICATION_VIEWED = "scheme_application_viewed"
    SCHEME_DECISION_RECORDED = "scheme_decision_recorded"
    SCHEME_DISCLOSURE_MADE = "scheme_disclosure_made"
    SCHEME_DISCLOSURE_WITHHELD = "scheme_disclosure_withheld"
    SCHEME_EXCEPTIONAL_DELAY_RECORDED = "scheme_exceptional_delay_recorded"
    SCHEME_IDENTITY_CHECKED = "scheme_identity_checked"
    SCHEME_INITIAL_CHECKS_RECORDED = "scheme_initial_checks_recorded"
    SCHEME_MEETING_REARRANGED = "scheme_meeting_rearranged"
    SCHEME_NO_DISCLOSURE = "scheme_no_disclosure"
    SCHEME_RISK_ASSESSMENT_RECORDED = "scheme_risk_assessment_recorded"
    SCHEME_UNDERTAKING_REFUSED = "scheme_undertaking_refused"
    SESSIONS_ENDED = "sessions_ended"
    SHARE_DECISION_RECORDED = "share_decision_recorded"
    SIGNED_IN = "signed_in"
    SIGN_IN_CLEARED = "sign_in_cleared"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_REFUSED = "sign_in_refused"
    TASK_CLAIMED = "task_claimed"
    TEAM_CREATED = "team_created"
    TASK_COMPLETED = "task_completed"
    TASK_REASSIGNED = "task_reassigned"
    TASK_UNCLAIMED = "task_unclaimed"
    TIMER_FIRED = "timer_fired"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    # -- h/pages: case records from pages, the API and the CLI
    PARENTAL_RESPONSIBILITY_RECORDED = "parental_responsibility_recorded"

    # -- h/lists (issue 12: cancelling a process, the case's audit trail page) --
    PROCESS_CANCELLED = "process_cancelled"

    # -- h/refer: referrals (P9), requests between agencies (P10), the chronology --
    REFERRAL_IMMEDIATE_ACTION = "referral_immediate_action"
    REFERRAL_MADE = "referral_made"
    REFERRAL_ACKNOWLEDGED = "referral_acknowledged"
    REFERRAL_DECIDED = "referral_decided"
    REFERRAL_FOLLOWED_UP = "referral_followed_up"
    AGENCY_REQUEST_RECORDED = "agency_request_recorded"
    AGENCY_REQUEST_ANSWERED = "agency_request_answered"
    CHRONOLOGY_VIEWED = "chronology_viewed"
    CHRONOLOGY_EXPORTED = "chronology_exported"
    # -- h/ready (issue 16): subject access requests ----------------------------------------------
    SUBJECT_ACCESS_REQUESTED = "subject_access_requested"
    SUBJECT_ACCESS_EXTENDED = "subject_access_extended"
    SUBJECT_ACCESS_SIGNED_OFF = "subject_access_signed_off"
    SUBJECT_ACCESS_SENT = "subject_access_sent"
    # -- h/admin (issue 16): administration in the browser, training mode ----------------------------
    TRAINING_DATABASE_CREATED = "training_database_created"
    TRAINING_CLOCK_MOVED = "training_clock_moved"
    # -- h/models (issue 16): model versions deployed, running work moved to them ---------------------
    MODEL_VERSION_DEPLOYED = "model_version_deployed"
    INSTANCE_MIGRATED = "instance_migrated"
    INSTANCE_MIGRATION_REFUSED = "instance_migration_refused"
    # -- h/police: R31 link to a child's case asked of its team; R45 suspected breach of an undertaking --
    SCHEME_CASE_LINK_ASKED = "scheme_case_link_asked"
    SCHEME_CASE_LINK_ANSWERED = "scheme_case_link_answered"
    SCHEME_OUTCOME_SENT_TO_CASE_TEAM = "scheme_outcome_sent_to_case_team"
    SCHEME_BREACH_REPORTED = "scheme_breach_reported"
    SCHEME_BREACH_DECIDED = "scheme_breach_decided"
    # -- the child's team reviews an outcome; a partner agency asks under right to know --------
    SCHEME_OUTCOME_REVIEWED = "scheme_outcome_reviewed"
    SCHEME_RIGHT_TO_KNOW_REQUESTED = "scheme_right_to_know_requested"
    # -- R4 a team's designated safeguarding lead; P10 requests we send to another agency --
    SAFEGUARDING_LEAD_NAMED = "safeguarding_lead_named"
    SAFEGUARDING_LEAD_ENDED = "safeguarding_lead_ended"
    AGENCY_REQUEST_SENT = "agency_request_sent"
    AGENCY_REQUEST_ANSWER_RECEIVED = "agency_request_answer_received"


def one_of(column: str, vocabulary: type[StrEnum]) -> CheckConstraint:
    """A CHECK constraint (named ``ck_<table>_<column>``) that keeps ``column`` within ``vocabulary``."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return CheckConstraint(f"{column} IN ({values})", name=column)
