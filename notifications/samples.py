"""A realistic sample context for every message template, used by the start-up check.

Each entry is what the code that queues that message passes (``tasks.automated.scheduling.notify``
for the task messages); ``recipient`` is added by the outbox. Add an entry with every new template, so
the check renders it exactly as it will be rendered at 3 a.m.
"""

from __future__ import annotations

from typing import Any

_TASK = {
    "case_reference": "NF-2026-0141",
    "case_id": 1,
    "task_title": "Give advice on sharing",
    "due_at": "25 November 2026 09:00 UTC",
    "escalated_to": "",
    "instance_id": 7,
}
_SCHEME = {
    "scheme": "DVDS right to ask",
    "application_reference": "DVDS-2026-0042",
    "decided_on": "25 November 2026",
    "protects": "the person at risk",
    "next_step": "Arrange the disclosure meeting with a safety plan",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "task_assigned": _TASK,
    "task_reminder": _TASK,
    "consultation_escalated": {**_TASK, "escalated_to": "a senior manager"},
    "deadline_missed": {**_TASK, "task_title": "Initial checks", "escalated_to": "the duty inspector"},
    "consent_form_copy": {
        "person_name": "Joanne Clarke",
        "organisation": "Northfield Early Help",
        "practitioner_name": "Pat Okafor",
        "practitioner_contact": "01632 960 123",
        "recorded_on": "23 November 2026",
        "recipients": ["School nursing service", "Northfield Family Hub"],
        "restrictions": ["Not to be shared with Darren Clarke's employer"],
        "document_reference": "DOC-12",
    },
    # Queued by safeshare.services.sharing (issue #3's template).
    "disclosure_made": {
        "case_reference": "NF-2026-0158",
        "case_id": 2,
        "disclosure_id": 3,
        "made_by": "Sam Reid",
        "made_at": "25 November 2026 11:20 UTC",
        "without_consent": True,
    },
    "scheme_outcome_disclosure": _SCHEME,
    # Subject access requests (bpmn/subject_access_request.bpmn): no case.
    "subject_access_reminder": {
        **_TASK,
        "case_reference": "(no case)",
        "case_id": None,
        "task_title": "Sign off the subject access reply",
    },
    "subject_access_overdue": {
        **_TASK,
        "case_reference": "(no case)",
        "case_id": None,
        "task_title": "Record the reply as sent",
    },
    "scheme_outcome_no_disclosure": {**_SCHEME, "scheme": "CSOR", "application_reference": "CSOR-2026-0007"},
    # h/police (R31): the child's team hears the outcome of a linked application
    "scheme_outcome_for_case_team": {
        "case_reference": "NF-2026-0141",
        "case_id": 1,
        "scheme": "Domestic Violence Disclosure Scheme",
        "application_reference": "DVDS-2026-0042",
        "ended_on": "25 November 2026",
        "outcome": "Police decided not to make a disclosure. This does not mean there is no risk.",
        "support_offered": True,
    },
}

SAMPLE_RECIPIENT = {"id": 1, "name": "Maria Lopez"}
