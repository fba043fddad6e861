"""What a consent or a decision to share without consent covers, and whether a share stays inside it (R19).

"Information should only be shared on a need-to-know basis, i.e. necessary for the purpose for which
they are sharing it and shared only with those people who need it." A consent says with whom (its
recipients, R6), for what purposes and which kinds of information; a decision to share without consent
says the same. Each item of a disclosure is marked with the kind of information it is, and the share
with its purpose, both chosen from the lists below, so the check compares choices, never text: retyping
an item's words cannot take it outside or inside the scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules import Breach, rule

#: The kinds of information a consent or a decision can cover, and an item shared can be.
INFORMATION_KINDS: dict[str, str] = {
    "education": "School attendance, learning and behaviour",
    "health": "Health and development",
    "family_and_home": "Family and home circumstances",
    "concerns_about_harm": "Concerns about harm or neglect",
    "police_and_offending": "Police involvement and offending",
    "contact_details": "Names, addresses and contact details",
}

#: The purposes a consent or a decision can cover, and a share can be for.
PURPOSES: dict[str, str] = {
    "plan_support": "To plan and provide support for the child and family",
    "assess_needs": "To assess the child's needs",
    "health_care": "To provide health care",
    "education_support": "To support the child's education",
    "protect_from_harm": "To protect the child or others from harm",
    "prevent_or_detect_crime": "To prevent or detect crime",
}


def _list(values: Iterable[Any] | None) -> list[str]:
    return [str(v) for v in values or []]


def scope_record(information: Iterable[Any] | None, purposes: Iterable[Any] | None) -> dict[str, list[str]]:
    """The scope as stored on a consent or a decision: the kinds of information and the purposes, in order."""
    return {"information": sorted(set(_list(information))), "purposes": sorted(set(_list(purposes)))}


def _words(values: Iterable[str], labels: Mapping[str, str]) -> str:
    """The values in words, in the order the list offers them."""
    chosen = set(values)
    return "; ".join(label for key, label in labels.items() if key in chosen) or "nothing"


@rule("R19")
def scope_is_named(
    information: Iterable[Any] | None, purposes: Iterable[Any] | None, fields: tuple[str, str]
) -> list[Breach]:
    """A consent given, or a decision to share, names which kinds of information and which purposes it
    covers, each from the list: silence is not consent, and nothing is covered by default."""
    breaches: list[Breach] = []
    info, why = _list(information), _list(purposes)
    if not info or set(info) - set(INFORMATION_KINDS):
        breaches.append(Breach("R19", "Choose the kinds of information that may be shared", field=fields[0]))
    if not why or set(why) - set(PURPOSES):
        breaches.append(Breach("R19", "Choose the purposes the information may be shared for", field=fields[1]))
    return breaches


@rule("R19")
def share_within_scope(
    covered_by: str,
    scope: Mapping[str, Any] | None,
    purpose: str | None,
    items: Iterable[Mapping[str, Any]],
) -> list[Breach]:
    """A share stays inside what the consent (or the decision to share without consent) covers: its purpose
    is one the scope names, and every item is a kind of information the scope names. ``covered_by`` is "the
    consent" or "the decision to share without consent". A scope never recorded covers nothing."""
    if not scope:
        again = "Seek consent again" if covered_by == "the consent" else "Record a new decision"
        return [
            Breach(
                "R19",
                f"{covered_by.capitalize()} does not say what information it covers or what for",
                f"{again}, naming the kinds of information and the purposes",
                field="disclosed_items",
            )
        ]
    info, purposes = _list(scope.get("information")), _list(scope.get("purposes"))
    breaches: list[Breach] = []
    if purpose not in PURPOSES:
        breaches.append(Breach("R19", "Choose what the information was shared for", field="disclosure_purpose_kind"))
    elif purpose not in purposes:
        breaches.append(
            Breach(
                "R19",
                f"{covered_by.capitalize()} does not cover sharing '{PURPOSES[purpose].lower()}' "
                f"(it covers: {_words(purposes, PURPOSES).lower()})",
                "Share only for a purpose it covers, or seek consent (or decide again) for this one",
                field="disclosure_purpose_kind",
            )
        )
    for position, item in enumerate(items, start=1):
        kind = str(item.get("information_kind") or "")
        content = " ".join(str(item.get("content") or "").split())
        named = f"Item {position}, '{content[:60]}'"
        if kind not in INFORMATION_KINDS:
            breaches.append(Breach("R19", f"{named}: choose what kind of information it is", field="disclosed_items"))
        elif kind not in info:
            breaches.append(
                Breach(
                    "R19",
                    f"{named}, is {INFORMATION_KINDS[kind].lower()}, which {covered_by} does not cover "
                    f"(it covers: {_words(info, INFORMATION_KINDS).lower()})",
                    "Leave this item out, or seek consent (or decide again) to share it",
                    field="disclosed_items",
                )
            )
    return breaches


def scope_words(scope: Mapping[str, Any] | None) -> tuple[str, str]:
    """A scope in words for pages and documents: (the kinds of information, the purposes)."""
    if not scope:
        return "Not recorded", "Not recorded"
    return (_words(_list(scope.get("information")), INFORMATION_KINDS), _words(_list(scope.get("purposes")), PURPOSES))
