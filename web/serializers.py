"""Records as JSON-plain dicts for API responses (what a page shows, an API client gets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.data_protection import describe as describe_data_protection
from safeshare.core.records import (
    AuditEvent,
    Case,
    ConsentRecord,
    Disclosure,
    Document,
    OpenTask,
    Person,
    ProcessInstance,
    ReceivedInformation,
    SchemeApplication,
    User,
)
from safeshare.services.case_view import CaseView


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task_json(task: OpenTask, now: datetime) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "title": task.title,
        "process": task.process_id,
        "step": task.task_spec,
        "role": task.role,
        "case_id": task.case_id,
        "instance_id": task.instance_id,
        "assignee_id": task.assignee_id,
        "due_at": iso(task.due_at),
        "overdue": bool(task.due_at and task.due_at < now),
        "created_at": iso(task.created_at),
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "team_id": user.team_id,
        "roles": sorted(r.value for r in user.roles),
        "is_active": user.is_active,
    }


def case_summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "reference": case.reference, "title": case.title, "team_id": case.team_id,
            "opened_at": iso(case.opened_at)}


def person_json(person: Person, pr_holder_ids: set[int]) -> dict[str, Any]:
    return {
        "id": person.id,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "relationship_to_child": person.relationship_to_child,
        "is_subject": person.is_subject,
        "has_parental_responsibility": person.id in pr_holder_ids,
    }


def consent_json(c: ConsentRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "episode_id": c.episode_id,
        "outcome": c.outcome,
        "consent_from": c.consent_from,
        "consenting_person_id": c.consenting_person_id,
        "recipients": c.recipients,
        "restrictions": c.restrictions,
        "status": c.status,
        "recorded_at": iso(c.recorded_at),
        "not_sought_ground": c.not_sought_ground,
    }


def document_json(d: Document) -> dict[str, Any]:
    return {"id": d.id, "kind": d.kind, "title": d.title, "sha256": d.sha256, "created_at": iso(d.created_at)}


def instance_json(i: ProcessInstance) -> dict[str, Any]:
    return {"id": i.id, "process": i.process_id, "status": i.status, "outcome": i.outcome,
            "case_id": i.case_id, "episode_id": i.episode_id, "started_at": iso(i.started_at),
            "completed_at": iso(i.completed_at)}


def audit_json(e: AuditEvent) -> dict[str, Any]:
    return {"seq": e.seq, "occurred_at": iso(e.occurred_at), "actor": e.actor_name, "event": e.event_type,
            "summary": e.summary}


def case_json(view: CaseView, now: datetime) -> dict[str, Any]:
    return {
        **case_summary(view.case),
        "people": [person_json(p, view.pr_holder_ids) for p in view.people],
        "episodes": [{"id": e.id, "purpose": e.purpose, "started_at": iso(e.started_at),
                      "closed_at": iso(e.closed_at)} for e in view.episodes],
        "consents": [consent_json(c) for c in view.consents],
        "documents": [document_json(d) for d in view.documents],
        "processes": [instance_json(i) for i in view.instances],
        "open_tasks": [task_json(t, now) for t in view.open_tasks],
        "completed_tasks": [{"title": t.title, "role": t.role, "completed_at": iso(t.completed_at),
                             "instance_id": t.instance_id} for t in view.completed_tasks],
    }


def disclosure_json(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.id,
        "made_at": iso(d.made_at),
        "made_by_id": d.made_by_id,
        "basis": d.basis,
        "recipient_agency": d.recipient_agency,
        "recipient_contact": d.recipient_contact,
        "method": d.method,
        "purpose": d.purpose,
        "items": [{"content": i.content, "kind": i.kind} for i in d.items],
        "recipient_told_consent_status": d.recipient_told_consent_status,
        "decision_summary": d.decision_summary,
        "grounds": d.grounds,
        "restrictions_on_use": d.restrictions_on_use,
        "data_protection": d.data_protection,
        "data_protection_basis": describe_data_protection(d.data_protection),
    }


def received_json(r: ReceivedInformation) -> dict[str, Any]:
    return {
        "id": r.id,
        "details": r.details,
        "provided_by_agency": r.provided_by_agency,
        "provided_by_person": r.provided_by_person,
        "received_at": iso(r.received_at),
        "without_consent": r.without_consent,
        "reasons_given": r.reasons_given,
        "restrictions": r.restrictions,
    }


def scheme_json(a: SchemeApplication, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": a.id,
        "reference": a.reference,
        "scheme": a.scheme,
        "route": a.route,
        "status": a.status,
        "instance_id": a.instance_id,
        "received_at": iso(a.received_at),
        "completion_due_at": iso(a.completion_due_at),
        "outcome": a.outcome,
        "completed_at": iso(a.completed_at),
    }
    if full:
        body |= {
            "applicant": a.applicant, "subject": a.subject, "person_at_risk": a.person_at_risk,
            "children": a.children, "case_linked": a.linked_case_id is not None, "concern": a.concern,
            "initial_checks": a.initial_checks, "identity_check": a.identity_check,
            "risk_assessment": a.risk_assessment, "decision": a.decision, "outcome_detail": a.outcome_detail,
            "exceptional_delay_reason": a.exceptional_delay_reason,
        }
    return body
