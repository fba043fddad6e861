"""Rules of sharing without consent (P2), the manager's part (P3) and the disclosure register (P4).

Each function is the one place its rule is decided. The decision form (through
``tasks.forms.check_form_rules``), the automated steps in ``tasks/automated/sharing.py``
and the services in ``safeshare/services/sharing.py`` all call these, so the page, the
API, the CLI and the engine refuse the same things with the same words.

How the procedure's two sections are read together (R11, see docs/traceability.md):
"cannot be shared without the consent ... unless one or more of the following
circumstances apply" lists the *grounds*; "Even where sharing of confidential
information is not authorised, it may lawfully be shared if this can be justified in
the public interest" allows a share where no listed ground fits but the practitioner
judges a public interest (protecting children or others from harm, promoting welfare,
preventing crime and disorder) to be at stake. Either is a basis; neither is none.
Proportionality and "what might happen if it is shared against what might happen if
it is not" are asked of *every* share without consent, whichever basis it rests on,
because the procedure calls proportionality "the key factor in deciding whether or not
to share" and says a failure to share may be "far more serious and dangerous than an
incident of unjustified disclosure".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from rules import Breach, rule
from safeshare.core.clock import as_utc

#: The circumstances the procedure lists for sharing without consent, by the word stored.
GROUND_LABELS: dict[str, str] = {
    "harm_to_child": "Not sharing may result in harm to the child or young person",
    "serious_harm_to_adult": "Not sharing may result in serious harm to an adult",
    "crime_committed": "Not sharing may result in a crime being committed",
    "crime_undetected": "Not sharing may result in a crime not being detected, including where seeking consent "
    "might interfere with an investigation",
    "lacks_understanding_to_withhold": "The young person does not have the understanding to withhold consent, "
    "so cannot override a parent's consent",
    "can_override_parental_refusal": "The young person has the understanding to override a parent's refusal",
    "statutory_duty_or_court_order": "A statutory duty or court order requires the information to be shared",
}
STATUTORY = "statutory_duty_or_court_order"
#: Decisions recorded before the grounds were stored as words kept the procedure's letters.
LEGACY_GROUNDS: dict[str, str] = dict(zip("abcdefg", GROUND_LABELS, strict=True))

#: Labels for reading stored grounds, old letters included.
ALL_GROUND_LABELS: dict[str, str] = {**GROUND_LABELS, **{k: GROUND_LABELS[v] for k, v in LEGACY_GROUNDS.items()}}

PUBLIC_INTERESTS: dict[str, str] = {
    "protect_from_harm": "To protect children or other people from harm",
    "promote_welfare": "To promote the welfare of children",
    "prevent_crime_and_disorder": "To prevent crime and disorder",
}

#: Why consent may not be sought (the same choices in consent seeking and in the share decision).
NOT_SOUGHT_GROUNDS = ("crime_investigation", "immediate_risk_to_child", "statutory_duty")

#: Why the person may not be told before a share under a statutory duty or court order.
NOT_TOLD_REASONS = ("not_told_crime_investigation", "not_told_risk_of_harm", "not_possible")


def ground_label(ground: str) -> str:
    """The words for a stored ground, whether stored as a word or, before, as the procedure's letter."""
    return GROUND_LABELS.get(LEGACY_GROUNDS.get(ground, ground), ground)


def _text(value: Any) -> str:
    return str(value or "").strip()


@rule("R11")
def lawful_basis_for_sharing_without_consent(
    grounds: Collection[str], public_interest: Mapping[str, Any] | None, weighing: Mapping[str, Any] | None
) -> list[Breach]:
    """A share without consent rests on a listed ground or a public-interest judgement, and every one
    records that it is proportionate after weighing what may happen if shared against if not."""
    breaches: list[Breach] = []
    unknown = sorted(set(grounds) - set(GROUND_LABELS))
    if unknown:
        breaches.append(Breach("R11", "Choose the reasons from the list", field="grounds"))
    judgement = public_interest or {}
    if not grounds and not judgement:
        breaches.append(
            Breach(
                "R11",
                "Choose the reasons for sharing without consent that apply, or make a public-interest judgement",
                "If none applies and there is no public interest at stake, decide not to share",
                field="grounds",
            )
        )
    if judgement:
        interests = list(judgement.get("interests") or [])
        if not interests or set(interests) - set(PUBLIC_INTERESTS):
            breaches.append(Breach("R11", "Choose the public interest at stake", field="public_interest"))
        if len(_text(judgement.get("judgement"))) < 10:
            breaches.append(
                Breach("R11", "Say why sharing is justified in the public interest", field="public_interest")
            )
    weighed = weighing or {}
    if len(_text(weighed.get("if_shared"))) < 10 or len(_text(weighed.get("if_not_shared"))) < 10:
        breaches.append(
            Breach(
                "R11",
                "Say what might happen if the information is shared and what might happen if it is not",
                field="weighing",
            )
        )
    if weighed.get("proportionate") is not True:
        breaches.append(
            Breach(
                "R11",
                "Information can be shared without consent only if sharing is in proportion to the need",
                "If it is not, decide not to share, or share less",
                field="weighing",
            )
        )
    return breaches


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


@rule("R14")
def statutory_duty_or_order_named(
    grounds: Collection[str], legal_basis: Mapping[str, Any] | None, today: date
) -> list[Breach]:
    """A share because the law requires it names the statute, or the court order: its reference,
    the court and the date it was made (not in the future)."""
    if STATUTORY not in grounds:
        return []
    basis = legal_basis or {}
    kind = basis.get("kind")
    if kind not in ("statute", "court_order"):
        return [Breach("R14", "Say whether a statutory duty or a court order requires the share", field="legal_basis")]
    breaches: list[Breach] = []
    if len(_text(basis.get("reference"))) < 3:
        what = "the statute and section" if kind == "statute" else "the order's reference"
        breaches.append(Breach("R14", f"Enter {what}", field="legal_basis"))
    if kind == "court_order":
        if len(_text(basis.get("court"))) < 3:
            breaches.append(Breach("R14", "Enter the court that made the order", field="legal_basis"))
        made_on = _day(basis.get("made_on"))
        if made_on is None:
            breaches.append(Breach("R14", "Enter the date the order was made, for example 2026-11-20",
                                   field="legal_basis"))
        elif made_on > today:
            breaches.append(Breach("R14", "The date of the order must be today or in the past", field="legal_basis"))
    return breaches


@rule("R14")
def person_told_before_share(outcome: str | None, note: str | None) -> list[Breach]:
    """Before a share the law requires, the person is told what will be shared, why and with whom; not
    telling them (it would prejudice a crime investigation or put someone at risk, or they cannot be
    reached) is recorded with the reason."""
    if outcome == "told":
        return []
    if outcome not in NOT_TOLD_REASONS:
        return [Breach("R14", "Say whether the person has been told before the information is shared",
                       field="inform_outcome")]
    if len(_text(note)) < 10:
        return [Breach("R14", "Say why the person is not being told", "For example, what the police advised",
                       field="inform_note")]
    return []


@rule("R14")
def told_before_disclosure(outcome: str, informed_outcome: str | None) -> list[Breach]:
    """A disclosure on a decision that the law requires the share waits until telling the person (or
    why not) is recorded."""
    if outcome == "must_share" and informed_outcome is None:
        return [Breach("R14", "Tell the person what will be shared, why and with whom before sharing it",
                       "Record that they were told, or why not, first")]
    return []


@rule("R13")
def in_doubt_consults(in_doubt: bool | None) -> list[Breach]:
    """While the practitioner is in doubt no decision is recorded: a manager is consulted first,
    whatever the grounds (a statutory duty included)."""
    if in_doubt:
        return [Breach("R13", "You said you are unsure: ask a manager for advice before deciding",
                       field="in_doubt")]
    return []


@rule("R22")
def decided_by_the_practitioner(
    decider_roles: Collection[str], decider_id: int, adviser_id: int | None
) -> list[Breach]:
    """The decision to share without consent is the practitioner's; the manager only advises, so the
    decision is never credited to the manager who gave the advice."""
    if "practitioner" not in decider_roles or (adviser_id is not None and decider_id == adviser_id):
        return [Breach("R22", "The decision to share without consent is made by the practitioner",
                       "The manager gives advice; the practitioner then decides")]
    return []


@rule("R1")
def consent_considered_first(consent_outcomes: Collection[str], not_sought_reason: str | None) -> list[Breach]:
    """A decision to share without consent starts only once consent has been sought (refused, or given
    for another scope) or a reason for not seeking it is recorded: consent is the first option."""
    if consent_outcomes or len(_text(not_sought_reason)) >= 10:
        return []
    return [Breach("R1", "Seek consent first, or say why consent is not being sought",
                   "Start an episode of work to seek consent, or give the reason", field="not_sought_reason")]


@rule("R15")
def reason_for_not_seeking(ground: str | None, reason: str | None) -> list[Breach]:
    """Not seeking consent because it could undermine the prevention, detection or prosecution of a
    crime (or for another reason) is recorded with the reason, from consent seeking or the share decision."""
    if ground not in NOT_SOUGHT_GROUNDS:
        return [Breach("R15", "Choose why consent is not being sought", field="not_sought_ground")]
    if len(_text(reason)) < 10:
        return [Breach("R15", "Say why consent is not being sought", field="not_sought_reason")]
    return []


def _moment(value: Any) -> datetime | None:
    raw = _text(value)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return as_utc(moment)


@rule("R21")
def disclosure_entry_complete(
    made_at: Any,
    now: datetime,
    decided_at: datetime | None,
    maker_is_staff: bool,
    recipient_agency: str | None,
    recipient_person: str | None,
) -> list[Breach]:
    """The register says when the disclosure was made (entered, not after now and not before the decision
    that allowed it), who made it (a member of staff), and the person and agency who received it."""
    breaches: list[Breach] = []
    moment = _moment(made_at)
    if moment is None:
        breaches.append(Breach("R21", "Enter when the information was shared, for example 2026-11-23T14:30",
                               field="made_at"))
    elif moment > now:
        breaches.append(Breach("R21", "When the information was shared must be now or in the past",
                               field="made_at"))
    elif decided_at is not None and moment < decided_at:
        breaches.append(Breach("R21", "The information cannot have been shared before the decision to share it",
                               f"The decision was recorded at {decided_at:%d %B %Y %H:%M} UTC", field="made_at"))
    if not maker_is_staff:
        breaches.append(Breach("R21", "Who shared the information must be a member of staff on this case's team",
                               field="made_by_user_id"))
    if len(_text(recipient_agency)) < 2:
        breaches.append(Breach("R21", "Enter the agency that received the information", field="recipient_agency"))
    if len(_text(recipient_person)) < 2:
        breaches.append(Breach("R21", "Enter the person who received the information", field="recipient_contact"))
    return breaches
