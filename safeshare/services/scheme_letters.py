"""The police schemes' documents and letters: produced by the scheme steps and by closing an application
from its page, so they live below both (a service), with the national helplines every letter prints."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from notifications.documents import store_document
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import Case, SchemeApplication, User

SCHEME_NAMES = {"csor": "Child Sex Offender Disclosure Scheme", "dvds": "Domestic Violence Disclosure Scheme"}

# National helplines printed on every letter (the force may add its own local services in the letter).
HELPLINES = {
    "dvds": [
        ("National Domestic Abuse Helpline (free, 24 hours)", "0808 2000 247"),
        ("Men's Advice Line", "0808 8010 327"),
    ],
    "csor": [
        ("NSPCC Helpline", "0808 800 5000"),
        ("Stop It Now", "0808 1000 900"),
    ],
}


def produce_document(
    session: Session,
    clock: Clock,
    actor: User | None,
    application: SchemeApplication,
    kind: str,
    title: str,
    *,
    force_address: tuple[str, ...],
    **extra: Any,
) -> int:
    """A scheme document, kept off every case file (police records), with its production audited.

    ``force_address``: the app's configured postal address of the force (settings, read once at start-up)."""
    officer = session.get(User, actor.id) if actor else None
    linked = session.get(Case, application.linked_case_id) if application.linked_case_id else None
    document = store_document(
        session,
        clock,
        case_id=None,  # police records stay off the child's case file
        kind=kind,
        title=f"{title}, {application.reference}",
        context={
            "application": application,
            "scheme_name": SCHEME_NAMES[application.scheme],
            "officer": officer,
            "today": clock.now(),
            "force_address": force_address,
            "helplines": HELPLINES[application.scheme],
            "linked_case_reference": linked.reference if linked else None,
            **extra,
        },
        actor=actor,
        source_record_id=application.id,
    )
    record_event(
        session,
        clock,
        actor,
        "document_produced",
        f"{application.reference}: {title} produced",
        detail={"application_id": application.id, "document_id": document.id, "sha256": document.sha256},
    )
    return document.id


def letter_recipient(application: SchemeApplication, data: dict[str, Any]) -> dict[str, Any]:
    """Who a letter goes to and the safe way to reach them: the applicant, or for right to know the person
    at risk (R29), through the way recorded at first contact unless the form gives another (R36)."""
    party = application.person_at_risk if application.route == "right_to_know" else application.applicant
    party = party or {}
    safe = str(data.get("safe_contact") or "").strip() or str(party.get("safe_contact") or "").strip()
    if not safe:
        raise DomainRuleError(
            "R36",
            "No safe way to send the letter is recorded",
            "Enter a safe way to send the letter, as agreed with them",
        )
    return {"name": party.get("name") or "", "safe_contact": safe}
