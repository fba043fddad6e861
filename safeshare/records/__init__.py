"""All SQLAlchemy records, imported here so one metadata knows every table."""

from safeshare.records.audit import AuditChainHead, AuditEvent
from safeshare.records.auth import ApiToken, SignInAttempt
from safeshare.records.base import Base
from safeshare.records.consent import ConsentRecord, Document
from safeshare.records.notification import Notification
from safeshare.records.people import (
    Case,
    Episode,
    ParentalResponsibility,
    Person,
    Role,
    SafeguardingLead,
    Team,
    User,
    UserRole,
)
from safeshare.records.referrals import AgencyRequest, Referral
from safeshare.records.retention import RetentionHold, RetentionItem, RetentionReview
from safeshare.records.scheduling import DeadlineSetting, TimerIncident

# -- h/police: R31 link requests and R45 suspected breaches
from safeshare.records.schemes import SchemeApplication, SchemeCaseLink, UndertakingBreach
from safeshare.records.sharing import (
    Disclosure,
    DisclosureItem,
    ManagerAdvice,
    ReceivedInformation,
    ShareDecision,
)
from safeshare.records.sso import SsoIdentity
from safeshare.records.subject_access import SubjectAccessRequest
from safeshare.records.training import TrainingSetting  # h/admin (issue 16): training mode
from safeshare.records.workflow_state import (
    CompletedTask,
    ModelVersion,
    ModelVersionProcess,
    OpenTask,
    ProcessDefinition,
    ProcessInstance,
    WaitingTimer,
)

__all__ = [
    "AgencyRequest",
    "Referral",
    "ApiToken",
    "SignInAttempt",
    "SsoIdentity",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Case",
    "CompletedTask",
    "ConsentRecord",
    "DeadlineSetting",
    "Disclosure",
    "DisclosureItem",
    "Document",
    "Episode",
    "ManagerAdvice",
    "Notification",
    "OpenTask",
    "ParentalResponsibility",
    "Person",
    "ProcessDefinition",
    "ProcessInstance",
    "ReceivedInformation",
    "SafeguardingLead",
    "RetentionHold",
    "RetentionItem",
    "RetentionReview",
    "Role",
    "SchemeApplication",
    "ShareDecision",
    "SubjectAccessRequest",
    "Team",
    "TimerIncident",
    "User",
    "UserRole",
    "WaitingTimer",
    "TrainingSetting",
    "ModelVersion",
    "ModelVersionProcess",
    # -- h/police
    "SchemeCaseLink",
    "UndertakingBreach",
]
