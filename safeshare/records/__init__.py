"""All SQLAlchemy records, imported here so one metadata knows every table."""

from safeshare.records.audit import AuditChainHead, AuditEvent
from safeshare.records.base import Base
from safeshare.records.consent import ConsentRecord, Document
from safeshare.records.notification import Notification
from safeshare.records.people import Case, Episode, ParentalResponsibility, Person, Role, Team, User, UserRole
from safeshare.records.workflow_state import (
    CompletedTask,
    OpenTask,
    ProcessDefinition,
    ProcessInstance,
    WaitingTimer,
)

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Case",
    "CompletedTask",
    "ConsentRecord",
    "Document",
    "Episode",
    "Notification",
    "OpenTask",
    "ParentalResponsibility",
    "Person",
    "ProcessDefinition",
    "ProcessInstance",
    "Role",
    "Team",
    "User",
    "UserRole",
    "WaitingTimer",
]
