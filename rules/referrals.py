"""Rules of referrals to children's social care (P9, R41) and of requests between agencies (P10, R46).

Each function is the one place its rule is decided; the automated steps in
``tasks/automated/referrals.py`` and the services in ``safeshare/services/referrals.py`` call them.

R41 reads the procedure's "This may be the case where making a referral to Children's Social Work
Services under the Referrals procedure" with Working Together to Safeguard Children 2023: immediate
risk means acting at once (police on 999, the duty team) without waiting for a manager; a referral
made without consent is a share without consent, so the reason is recorded and the team is told that
consent was refused or not sought (R22); the team acknowledges and decides within one working day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rules import Breach, rule
from safeshare.core.clock import as_utc

#: How a referral stands with consent, in words.
REFERRAL_CONSENT = {
    "given": "Consent given",
    "refused": "Consent refused",
    "not_sought": "Consent not sought",
}
#: What children's social care may decide on a referral, in words.
REFERRAL_DECISIONS = {
    "no_further_action": "No further action",
    "information_and_advice": "Information and advice given",
    "early_help": "Passed to early help",
    "child_and_family_assessment": "A child and family assessment",
    "strategy_discussion": "A strategy discussion",
}


def moment(value: Any) -> datetime | None:
    """An entered date and time as UTC, or None when it is missing or not a date and time."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return as_utc(parsed)


def _text(value: Any) -> str:
    return str(value or "").strip()


@rule("R41")
def acted_at_once(police_called: bool, duty_team_told: bool, actions_taken: str | None) -> list[Breach]:
    """Immediate risk: the police were called on 999 or the duty team told, before anything else."""
    breaches: list[Breach] = []
    if not police_called and not duty_team_told:
        breaches.append(
            Breach(
                "R41",
                "A child at immediate risk needs action now: call the police on 999 or tell the duty team",
                "Do that first, then record it here",
                field="police_called",
            )
        )
    if len(_text(actions_taken)) < 10:
        breaches.append(Breach("R41", "Say what you did and when", field="actions_taken"))
    return breaches


@rule("R41")
def referral_basis(
    consent_status: str | None, consent_in_force: bool, reason: str | None, team_told: bool | None
) -> list[Breach]:
    """With consent, a consent in force; without it (refused or not sought), the reason and that the
    team was told consent was refused or not sought (R22)."""
    if consent_status == "given":
        if consent_in_force:
            return []
        return [
            Breach(
                "R41",
                "There is no consent in force on this case for the referral",
                "Answer that consent was refused or not sought, and say why you are referring anyway",
                field="referral_consent",
            )
        ]
    if consent_status not in ("refused", "not_sought"):
        return [Breach("R41", "Say whether the family consented to the referral", field="referral_consent")]
    breaches: list[Breach] = []
    if len(_text(reason)) < 10:
        breaches.append(Breach("R41", "Say why you are referring without consent", field="referral_consent_note"))
    if team_told is not True:
        breaches.append(
            Breach(
                "R22",
                "Tell children's social care that consent was refused or not sought",
                "Tell the team, then confirm it on the form",
                field="team_told_consent_status",
            )
        )
    return breaches


@rule("R41")
def response_in_order(when: Any, referral_made_at: datetime, now: datetime, field: str) -> list[Breach]:
    """The team's acknowledgement or decision is entered, not before the referral and not in the future."""
    moment_ = moment(when)
    if moment_ is None:
        return [Breach("R41", "Enter the day and the time", field=field)]
    if moment_ > now:
        return [Breach("R41", "The day and time must be now or in the past", field=field)]
    if moment_ < referral_made_at:
        return [
            Breach(
                "R41",
                "This cannot be before the referral was made",
                f"The referral was made at {referral_made_at:%d %B %Y %H:%M} UTC",
                field=field,
            )
        ]
    return []


@rule("R46")
def request_complete(
    agency: str | None, purpose: str | None, lawful_basis: str | None, due: Any, today: date
) -> list[Breach]:
    """A request between agencies names who asks, the purpose, the lawful basis and a deadline for the answer."""
    breaches: list[Breach] = []
    if len(_text(agency)) < 2:
        breaches.append(Breach("R46", "Enter the agency that is asking", field="agency"))
    if len(_text(purpose)) < 10:
        breaches.append(Breach("R46", "Say what the information is needed for", field="purpose"))
    if len(_text(lawful_basis)) < 5:
        breaches.append(Breach("R46", "Enter the lawful basis the agency gives for asking", field="lawful_basis"))
    due_at = moment(due)
    if due_at is None:
        breaches.append(Breach("R46", "Enter the deadline for the answer", field="due_at"))
    elif due_at.date() < today:
        breaches.append(Breach("R46", "The deadline for the answer must be today or later", field="due_at"))
    return breaches
