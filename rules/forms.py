"""Which rule units a task's form is checked against, beside the JSON Schema.

The schema says what each path of a form needs (its ``if``/``then``), so the page and the
validator see the same questions; some rules need more than the shape of the answers
(a date not in the future, a judgement that sharing is proportionate). The task service
calls :func:`form_breaches` after the schema, and shows each breach beside its question,
before anything moves; the automated step behind the form calls the same units again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from rules import Breach
from rules.consent import consent_in_writing, restrictions_are_consistent
from rules.schemes import forum_met_on
from rules.sharing import (
    lawful_basis_for_sharing_without_consent,
    person_told_before_share,
    statutory_duty_or_order_named,
)

FormRules = Callable[[Mapping[str, Any], datetime], list[Breach]]


def _object(data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = data.get(name)
    return value if isinstance(value, Mapping) else None


def _share_decision(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    """A decision to share (not one deferred to a manager's advice) needs its basis and weighing."""
    if data.get("in_doubt") or data.get("practitioner_decision") != "share":
        return []
    grounds = list(data.get("grounds") or [])
    return [
        *lawful_basis_for_sharing_without_consent(grounds, _object(data, "public_interest"), _object(data, "weighing")),
        *statutory_duty_or_order_named(grounds, _object(data, "legal_basis"), now.date()),
    ]


def _informing(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    return person_told_before_share(data.get("inform_outcome"), data.get("inform_note"))


def _consent(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    if data.get("consent_outcome") not in ("given", "given_with_restrictions"):
        return []
    return [
        *restrictions_are_consistent(
            list(data.get("recipients") or []),
            list(data.get("restriction_choices") or []),
            [str(n) for n in data.get("restrictions") or []],
        ),
        *consent_in_writing(
            str(data.get("consent_outcome")), data.get("consent_signature"), data.get("signed_name"),
            data.get("signed_on"), data.get("witness_name"), data.get("copy_given"), None, now.date(),
        ),
    ]


FORM_RULES: dict[str, FormRules] = {
    "seek_consent.schema.json": _consent,
    "decide_share_without_consent.schema.json": _share_decision,
    "inform_individual.schema.json": _informing,
}


def form_breaches(form: str | None, data: Mapping[str, Any], now: datetime) -> list[Breach]:
    """The breaches of the rules a form is checked against (none for a form without such rules)."""
    check = FORM_RULES.get(form or "")
    return check(data, now) if check else []


# -- h/refer: referral to children's social care (P9, R41) ---------------------------------------------


def _referral_act_now(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    from rules.referrals import acted_at_once

    return acted_at_once(bool(data.get("police_called")), bool(data.get("duty_team_told")), data.get("actions_taken"))


_REFERRAL_FIELDS = {
    "made_at": "referral_made_at",
    "recipient_agency": "receiving_team",
    "recipient_contact": "receiving_contact",
}


def _make_referral(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    """When and to whom (R21); without consent, the reason and that the team was told (R41, R22). Whether a
    consent is in force is the automated step's to check: it reads the case."""
    from dataclasses import replace

    from rules.referrals import referral_basis
    from rules.sharing import disclosure_entry_complete

    entry = disclosure_entry_complete(
        data.get("referral_made_at"), now, None, True, data.get("receiving_team"), data.get("receiving_contact")
    )
    breaches = [replace(b, field=_REFERRAL_FIELDS.get(b.field or "", b.field)) for b in entry]
    if data.get("referral_consent") != "given":
        breaches += referral_basis(
            data.get("referral_consent"), True, data.get("referral_consent_note"), data.get("team_told_consent_status")
        )
    return breaches


FORM_RULES.update(
    {
        "referral_act_now.schema.json": _referral_act_now,
        "make_referral.schema.json": _make_referral,
    }
)


def _scheme_forum_decision(data: Mapping[str, Any], now: datetime) -> list[Breach]:
    """R35: the day the forum met is real and has come."""
    return forum_met_on(data.get("forum"), data.get("meeting_date"), now.date())


FORM_RULES["scheme_dvds_decision.schema.json"] = _scheme_forum_decision
