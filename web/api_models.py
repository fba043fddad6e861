"""The API's answers as Pydantic models: what each operation returns, in the OpenAPI document.

The serializers (``web.serializers``) build the dicts; these models say what a client may rely on,
so the document describes the API (types, which fields may be null) and FastAPI checks every
answer against it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every refusal: what is wrong, what to do, and the fields it concerns (by name)."""

    error: str
    hint: str = ""
    fields: dict[str, str] = Field(default_factory=dict)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation gives, each with the error body."""
    described = {
        400: "The request is malformed (for example, the body is not JSON)",
        401: "Not signed in: send a valid API token",
        403: "Your role or case access does not allow this",
        404: "No such record that you may see",
        409: "Someone changed the same thing first, or it conflicts with a saved record",
        422: "The request breaks a rule or a field is not valid: the fields are named",
        429: "Too many attempts: wait and try again",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}


#: What every signed-in operation may answer besides success.
SIGNED_IN_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


class Task(BaseModel):
    id: str
    title: str
    process: str
    step: str
    role: str
    case_id: int | None
    instance_id: int
    assignee_id: int | None
    due_at: datetime | None
    overdue: bool
    created_at: datetime | None


class QueuedTask(Task):
    escalation: bool


class CaseSummary(BaseModel):
    id: int
    reference: str
    title: str
    team_id: int
    opened_at: datetime | None


class TaskWithForm(Task):
    case: CaseSummary | None
    form_schema: dict[str, Any]
    restrictions_in_force: list[Any]


class TaskList(BaseModel):
    tasks: list[Task]


class QueuedTaskList(BaseModel):
    tasks: list[QueuedTask]


class Instance(BaseModel):
    id: int
    process: str
    status: str
    outcome: str | None
    case_id: int | None
    episode_id: int | None
    started_at: datetime | None
    completed_at: datetime | None


class InstanceStep(BaseModel):
    instance_id: int
    status: str
    outcome: str | None


class User(BaseModel):
    id: int
    username: str
    display_name: str
    team_id: int | None
    roles: list[str]
    is_active: bool


class UserList(BaseModel):
    users: list[User]


class ApiTokenInfo(BaseModel):
    """An API token as listed: never the token itself."""

    id: int
    username: str
    name: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    state: Literal["active", "expired", "revoked"]


class ApiTokenList(BaseModel):
    tokens: list[ApiTokenInfo]


class SessionsEnded(BaseModel):
    user_id: int
    username: str


class Token(BaseModel):
    token: str
    token_type: str


class PersonOnCase(BaseModel):
    id: int
    full_name: str
    date_of_birth: date | None
    relationship_to_child: str
    is_subject: bool
    has_parental_responsibility: bool


class PeopleList(BaseModel):
    people: list[PersonOnCase]


class Consent(BaseModel):
    id: int
    episode_id: int | None
    outcome: str
    consent_from: str | None
    consenting_person_id: int | None
    recipients: Any
    restrictions: Any
    status: str
    recorded_at: datetime | None
    not_sought_ground: str | None


class CaseDocument(BaseModel):
    id: int
    kind: str
    title: str
    sha256: str
    created_at: datetime | None


class Episode(BaseModel):
    id: int
    purpose: str
    started_at: datetime | None
    closed_at: datetime | None


class CompletedTask(BaseModel):
    title: str
    role: str
    completed_at: datetime | None
    instance_id: int


class CaseDetail(CaseSummary):
    model_config = {"extra": "allow"}

    people: list[PersonOnCase]
    episodes: list[Episode]
    consents: list[Consent]
    documents: list[CaseDocument]
    processes: list[Instance]
    open_tasks: list[Task]
    completed_tasks: list[CompletedTask]
    restrictions_in_force: list[Any]


class CaseList(BaseModel):
    cases: list[CaseSummary]


class AuditEntry(BaseModel):
    seq: int
    occurred_at: datetime | None
    actor: str | None
    event: str
    summary: str


class AuditTrail(BaseModel):
    events: list[AuditEntry]


class Diagram(Instance):
    bpmn_xml: str
    done: list[str]
    current: list[str]
    overdue: list[str]
    names: dict[str, str]


class Disclosure(BaseModel):
    model_config = {"extra": "allow"}

    id: int
    made_at: datetime | None
    made_by_id: int | None
    basis: str
    recipient_agency: str | None
    recipient_contact: str | None
    method: str | None
    purpose: str | None
    items: list[dict[str, Any]]
    recipient_told_consent_status: bool | None
    decision_summary: str | None
    grounds: Any
    restrictions_on_use: Any
    data_protection: dict[str, Any] | None = None
    data_protection_basis: str = ""


class DisclosureRegister(BaseModel):
    disclosures: list[Disclosure]


class Received(BaseModel):
    model_config = {"extra": "allow"}

    id: int
    details: str
    provided_by_agency: str | None
    provided_by_person: str | None
    received_at: datetime | None
    without_consent: bool | None
    reasons_given: str | None
    restrictions: Any


class ReceivedList(BaseModel):
    received: list[Received]


class SchemeApplication(BaseModel):
    model_config = {"extra": "allow"}

    id: int
    reference: str
    scheme: str
    route: str
    status: str
    instance_id: int | None
    received_at: datetime | None
    completion_due_at: datetime | None
    outcome: str | None
    completed_at: datetime | None


class StartedApplication(SchemeApplication):
    process: Instance


class ApplicationList(BaseModel):
    applications: list[SchemeApplication]


class QueuedApplication(SchemeApplication):
    stage: str | None
    stage_due_at: datetime | None
    timescale: str | None


class PoliceQueue(BaseModel):
    applications: list[QueuedApplication]


class FailedNotification(BaseModel):
    id: int
    template: str
    recipient_email: str | None
    subject: str | None
    attempts: int
    last_error: str | None
    created_at: datetime | None


class FailedNotifications(BaseModel):
    notifications: list[FailedNotification]


class DeadlineList(BaseModel):
    deadlines: list[dict[str, Any]]


class ReportSection(BaseModel):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str | None


class Report(BaseModel):
    generated_at: datetime
    period: str
    sections: list[ReportSection]


# -- in-app messages (h/pages) -------------------------------------------------------------------


class Message(BaseModel):
    """One in-app message to me."""

    id: int
    subject: str
    body: str
    case_id: int | None
    sent_at: datetime
    read_at: datetime | None


class MessageList(BaseModel):
    unread: int
    messages: list[Message]


class MessagesMarked(BaseModel):
    marked: int
