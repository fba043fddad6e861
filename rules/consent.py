"""Rules of consent (P1): the restrictions a person sets on who may receive their information (R7).

A restriction is a structured choice (an agency, a named person, a purpose, or "not to the
person themselves") so it can be enforced exactly; anything else the person asked for is
kept in their words as a note, which a person confirms on every share. A restriction that
contradicts a recipient the same consent names is refused when consent is recorded, not
discovered (or overridden) at the first share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rules import Breach, rule

RESTRICTION_KINDS: dict[str, str] = {
    "not_to_agency": "Not to be shared with an agency",
    "not_to_person": "Not to be shared with a named person",
    "only_for_purpose": "Only to be used for one purpose",
    "not_to_the_person_themselves": "Not to be shared with the person themselves",
}
#: The detail each kind of restriction needs.
NEEDS: dict[str, str] = {"not_to_agency": "agency", "not_to_person": "person", "only_for_purpose": "purpose"}

_TARGET = re.compile(
    r"^\s*not\s+(?:to\s+be\s+)?(?:(?:shared|disclosed|given|passed|sent)\s+(?:on\s+)?(?:with|to)\s+|to\s+)"
    r"(?:the\s+)?(.+?)\s*\.?$",
    re.IGNORECASE,
)


def norm(text: Any) -> str:
    return " ".join(str(text or "").casefold().split())


def overlaps(a: Any, b: Any) -> bool:
    """Whether two names refer to the same party: one contains the other, ignoring case and spacing."""
    x, y = norm(a), norm(b)
    return bool(x and y and (x in y or y in x))


def note_target(note: str) -> str | None:
    """The party a restriction written in words names ('Not to be shared with the school', 'not to police')."""
    match = _TARGET.match(note)
    return match.group(1) if match else None


def restriction_text(choice: Mapping[str, Any]) -> str:
    """A structured restriction in words, as the case page, the consent form and a share show it."""
    kind = choice.get("kind")
    if kind == "not_to_agency":
        return f"Not to be shared with {choice.get('agency')}"
    if kind == "not_to_person":
        return f"Not to be shared with {choice.get('person')}"
    if kind == "only_for_purpose":
        return f"Only to be used for: {choice.get('purpose')}"
    return "Not to be shared with the person themselves"


def _party(choice: Mapping[str, Any]) -> str | None:
    kind = choice.get("kind")
    return str(choice.get("agency") if kind == "not_to_agency" else choice.get("person") or "") or None


@rule("R7")
def restrictions_are_consistent(
    recipients: Iterable[Mapping[str, Any]], choices: Iterable[Mapping[str, Any]], notes: Iterable[str]
) -> list[Breach]:
    """Each structured restriction has its detail, and none (nor a note that names a party) forbids a
    recipient the same consent names: the person cannot both agree and refuse the same recipient."""
    breaches: list[Breach] = []
    named = [r for r in recipients if r.get("agency")]
    for choice in choices:
        kind = choice.get("kind")
        if kind not in RESTRICTION_KINDS:
            breaches.append(Breach("R7", "Choose the kind of restriction", field="restriction_choices"))
            continue
        need = NEEDS.get(str(kind))
        if need and len(norm(choice.get(need))) < 2:
            what = {"agency": "the agency", "person": "the person's name", "purpose": "the purpose"}[need]
            breaches.append(Breach("R7", f"Enter {what} for the restriction '{RESTRICTION_KINDS[kind]}'",
                                   field="restriction_choices"))
    parties = [(restriction_text(c), _party(c)) for c in choices if c.get("kind") in ("not_to_agency", "not_to_person")]
    parties += [(n, note_target(n)) for n in notes]
    for text, party in parties:
        for recipient in named:
            if party and (overlaps(party, recipient.get("agency")) or overlaps(party, recipient.get("contact"))):
                breaches.append(Breach(
                    "R7",
                    f"The person agreed to sharing with {recipient['agency']} but also asked: '{text}'",
                    "Ask the person which they want, then remove the recipient or the restriction",
                    field="restriction_choices",
                ))
    return breaches


@rule("R7")
def share_respects_restrictions(
    choices: Iterable[Mapping[str, Any]], notes: Iterable[str], agency: str, contact: str, confirmed: bool
) -> list[Breach]:
    """A share never goes to an agency or person the person restricted; a purpose restriction, and anything
    the person asked for in their own words, is confirmed by whoever shares, each time."""
    to_confirm: list[str] = []
    for choice in choices:
        party = _party(choice)
        if choice.get("kind") in ("not_to_agency", "not_to_person") and (
            overlaps(party, agency) or overlaps(party, contact)
        ):
            return [Breach("R7", f"The consent restricts this share: '{restriction_text(choice)}'",
                           "Do not share with this recipient; the person's restriction stands",
                           field="recipient_agency")]
        if choice.get("kind") == "only_for_purpose":
            to_confirm.append(restriction_text(choice))
    for note in notes:
        target = note_target(note)
        if target is not None and (overlaps(target, agency) or overlaps(target, contact)):
            return [Breach("R7", f"The consent restricts this share: '{note}'",
                           "Do not share with this recipient; the person's restriction stands",
                           field="recipient_agency")]
        to_confirm.append(note)
    if to_confirm and not confirmed:
        return [Breach("R7", f"The consent has restrictions that need a person to check: {'; '.join(to_confirm)}",
                       "Confirm on the form that this share respects each restriction",
                       field="restrictions_respected")]
    return []


SIGNATURE_METHODS = ("typed_name", "verbal_with_witness")
COPY_GIVEN = ("in_person", "post", "email")


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


@rule("R8")
def consent_in_writing(
    outcome: str,
    method: str | None,
    signed_name: str | None,
    signed_on: Any,
    witness_name: str | None,
    copy_given: str | None,
    person_name: str | None,
    today: date,
) -> list[Breach]:
    """Consent is not in force until it is signed: the person types their name in the page, with the date
    (today or before), or gives it out loud with a named witness; how they were given their copy is recorded."""
    if outcome not in ("given", "given_with_restrictions"):
        return []
    breaches: list[Breach] = []
    if method == "typed_name":
        if len(norm(signed_name)) < 2:
            breaches.append(Breach("R8", "Ask the person to type their name to sign", field="signed_name"))
        elif person_name and norm(signed_name) != norm(person_name):
            breaches.append(Breach("R8", f"The name typed to sign must be the name of the person consenting, "
                                   f"{person_name}", field="signed_name"))
        day = _day(signed_on)
        if day is None:
            breaches.append(Breach("R8", "Enter the date they signed, for example 2026-11-23", field="signed_on"))
        elif day > today:
            breaches.append(Breach("R8", "The date they signed must be today or in the past", field="signed_on"))
    elif method == "verbal_with_witness":
        if len(norm(witness_name)) < 2:
            breaches.append(Breach("R8", "Enter who witnessed the consent given out loud", field="witness_name"))
        elif person_name and norm(witness_name) == norm(person_name):
            breaches.append(Breach("R8", "The witness must be someone other than the person consenting",
                                   field="witness_name"))
    else:
        breaches.append(Breach("R8", "Say how the person signed their consent", field="consent_signature"))
    if copy_given not in COPY_GIVEN:
        breaches.append(Breach("R8", "Say how the person was given their copy of the consent form",
                               field="copy_given"))
    return breaches


#: How the person told us they withdraw their consent (R44).
WITHDRAWAL_HOW: dict[str, str] = {
    "in_person": "In person",
    "phone": "By phone",
    "in_writing": "In writing",
    "email": "By email",
}


@rule("R44")
def withdrawal_recorded(status: str, outcome: str, how: str | None) -> list[Breach]:
    """Consent in force can be withdrawn at any time, by any means: the withdrawal records how the person
    told us. Consent that is not in force (refused, superseded or already withdrawn) has nothing to withdraw."""
    if status != "active" or outcome not in ("given", "given_with_restrictions"):
        return [Breach("R44", "This consent is not in force, so there is nothing to withdraw",
                       "Check the case's consent records", field="consent_id")]
    if how not in WITHDRAWAL_HOW:
        return [Breach("R44", "Say how the person told you they are withdrawing their consent", field="how")]
    return []


@rule("R44")
def consent_in_force(status: str, withdrawn_at: Any) -> list[Breach]:
    """A withdrawn consent stops every later share: nothing more is shared on it, whenever the share began."""
    if status == "withdrawn":
        when = f" on {withdrawn_at:%d %B %Y}" if withdrawn_at is not None else ""
        return [Breach("R44", f"The person withdrew their consent{when}, so nothing more may be shared on it",
                       "Seek consent again, or decide whether to share without consent", field="consent_record_id")]
    return []


@rule("R9")
def consent_of_this_episode(consent_episode_id: int, current_episode_id: int | None) -> list[Breach]:
    """A share on consent uses the consent of the episode of work in progress: consent is obtained every time
    an episode begins, so an earlier episode's consent does not carry over."""
    if current_episode_id is not None and consent_episode_id != current_episode_id:
        return [Breach("R9", "This consent was given for an earlier episode of work, which has ended",
                       "Seek consent for the current episode first", field="consent_record_id")]
    return []
