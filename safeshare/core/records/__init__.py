"""All SQLAlchemy records, imported here so one metadata knows every table."""

from safeshare.core.records.audit import AuditChainHead, AuditEvent
from safeshare.core.records.auth import ApiToken, SignInAttempt
from safeshare.core.records.base import Base
from safeshare.core.records.consent import ConsentRecord, Document
from safeshare.core.records.notification import Notification
from safeshare.core.records.people import (
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
from safeshare.core.records.referrals import AgencyRequest, Referral
from safeshare.core.records.retention import RetentionHold, RetentionItem, RetentionReview
from safeshare.core.records.scheduling import DeadlineSetting, TimerIncident

# -- h/police: R31 link requests and R45 suspected breaches
from safeshare.core.records.schemes import SchemeApplication, SchemeCaseLink, UndertakingBreach
from safeshare.core.records.sharing import (
    Disclosure,
    DisclosureItem,
    ManagerAdvice,
    ReceivedInformation,
    ShareDecision,
)
from safeshare.core.records.sso import SsoIdentity
from safeshare.core.records.subject_access import SubjectAccessRequest
from safeshare.core.records.training import TrainingSetting  # h/admin (issue 16): training mode
from safeshare.core.records.workflow_state import (
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
