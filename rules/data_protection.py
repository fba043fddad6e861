"""The data-protection basis of every share (R47), beside the procedure's own ground.

Why a rule of its own: the procedure's "consent" and its grounds for sharing without it say when
sharing is *right*; UK GDPR and the Data Protection Act 2018 ask, separately, on what *lawful basis*
personal data is processed (Article 6), on what condition special category data is (Article 9) and,
for some of those conditions, which condition of DPA 2018 Schedule 1 is met. The 2024 national advice
says the two must not be confused: consent in the procedure's sense is usually not the data-protection
basis, and a share without the person's consent can never rest on consent as its data-protection basis.

Each share records all three (Schedule 1 only where the Article 9 condition needs one). Defaults are
offered from the share's ground (:func:`default_basis`), so a practitioner who is not a lawyer records
the usual basis and can change it; what was chosen, and whether it was the default, is on the register.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from rules import Breach, rule

#: UK GDPR Article 6(1) lawful bases a safeguarding share can rest on, by the word stored.
ARTICLE_6: dict[str, str] = {
    "public_task": "Article 6(1)(e): a task in the public interest or in the exercise of official authority",
    "legal_obligation": "Article 6(1)(c): a legal obligation",
    "vital_interests": "Article 6(1)(d): to protect someone's life (vital interests)",
    "consent": "Article 6(1)(a): the person's consent",
    "legitimate_interests": "Article 6(1)(f): legitimate interests (not for a public authority's own tasks)",
}

#: UK GDPR Article 9(2) conditions for special category data (health, sex life, ethnicity ...), or none.
ARTICLE_9: dict[str, str] = {
    "no_special_category": "No special category data is shared",
    "substantial_public_interest": "Article 9(2)(g): reasons of substantial public interest",
    "health_or_social_care": "Article 9(2)(h): health or social care",
    "social_protection_law": "Article 9(2)(b): employment, social security and social protection law",
    "vital_interests": "Article 9(2)(c): to protect someone's life where they cannot consent",
    "legal_claims_or_courts": "Article 9(2)(f): legal claims, or courts acting in their judicial capacity",
    "explicit_consent": "Article 9(2)(a): the person's explicit consent",
}

#: DPA 2018 Schedule 1 conditions, by the word stored.
SCHEDULE_1: dict[str, str] = {
    "safeguarding": "Schedule 1, paragraph 18: safeguarding of children and of individuals at risk",
    "preventing_unlawful_acts": "Schedule 1, paragraph 10: preventing or detecting unlawful acts",
    "statutory_purposes": "Schedule 1, paragraph 6: statutory and government purposes",
    "health_or_social_care": "Schedule 1, paragraph 2: health or social care purposes",
    "social_protection": "Schedule 1, paragraph 1: employment, social security and social protection",
}

#: The Schedule 1 conditions each Article 9 condition accepts; an Article 9 condition not named here
#: needs no Schedule 1 condition (Article 9(2)(a), (c) and (f) stand on their own).
SCHEDULE_1_FOR: dict[str, tuple[str, ...]] = {
    "substantial_public_interest": ("safeguarding", "preventing_unlawful_acts", "statutory_purposes"),
    "health_or_social_care": ("health_or_social_care",),
    "social_protection_law": ("social_protection",),
}

#: A basis resting on the person's consent (impossible for a share without it).
CONSENT_BASES = frozenset({"consent", "explicit_consent"})


@dataclass(frozen=True)
class DataProtectionBasis:
    """Article 6 basis, Article 9 condition and, where that needs one, the Schedule 1 condition."""

    article_6: str
    article_9: str
    schedule_1: str | None

    def as_record(self, from_defaults: bool) -> dict[str, Any]:
        """As stored on the register entry, with whether it was the default offered."""
        return {
            "article_6": self.article_6,
            "article_9": self.article_9,
            "schedule_1": self.schedule_1,
            "from_defaults": from_defaults,
        }


_SAFEGUARDING = DataProtectionBasis("public_task", "substantial_public_interest", "safeguarding")
_CRIME = DataProtectionBasis("public_task", "substantial_public_interest", "preventing_unlawful_acts")
_STATUTE = DataProtectionBasis("legal_obligation", "substantial_public_interest", "statutory_purposes")
_COURT_ORDER = DataProtectionBasis("legal_obligation", "legal_claims_or_courts", None)


def default_basis(grounds: Collection[str], legal_basis_kind: str | None = None) -> DataProtectionBasis:
    """The basis offered for a share: from the decision's grounds without consent, safeguarding otherwise.

    A statutory duty is a legal obligation (with Schedule 1 paragraph 6), a court order a legal obligation
    the court imposes (Article 9(2)(f)); preventing or detecting a crime is paragraph 10; harm to a child or
    an adult, a young person's understanding and a public-interest judgement are safeguarding (paragraph 18).
    A share with the person's consent is offered the same safeguarding basis: consent in the procedure's
    sense is not the data-protection basis (the 2024 advice), though the practitioner may choose it.
    """
    chosen = set(grounds)
    if "statutory_duty_or_court_order" in chosen:
        return _COURT_ORDER if legal_basis_kind == "court_order" else _STATUTE
    if chosen & {
        "harm_to_child",
        "serious_harm_to_adult",
        "lacks_understanding_to_withhold",
        "can_override_parental_refusal",
    }:
        return _SAFEGUARDING
    if chosen & {"crime_committed", "crime_undetected"}:
        return _CRIME
    return _SAFEGUARDING


def label(value: str | None) -> str:
    """The words for a stored article, condition or paragraph."""
    if not value:
        return ""
    return ARTICLE_6.get(value) or ARTICLE_9.get(value) or SCHEDULE_1.get(value) or value


def describe(record: Mapping[str, Any] | None) -> str:
    """The basis as one line of words for the register ("Not recorded" for entries made before it was)."""
    if not record:
        return "Not recorded"
    parts = [label(record.get("article_6")), label(record.get("article_9")), label(record.get("schedule_1"))]
    return "; ".join(p for p in parts if p)


@rule("R47")
def data_protection_basis_complete(basis: DataProtectionBasis, with_consent: bool) -> list[Breach]:
    """Every share names its UK GDPR Article 6 basis and Article 9 condition, and the DPA 2018 Schedule 1
    condition where the Article 9 condition needs one; a share without consent never rests on consent."""
    breaches: list[Breach] = []
    if basis.article_6 not in ARTICLE_6:
        breaches.append(
            Breach("R47", "Choose the lawful basis for sharing (UK GDPR Article 6)", field="article_6_basis")
        )
    if basis.article_9 not in ARTICLE_9:
        breaches.append(
            Breach(
                "R47",
                "Choose the condition for sharing special category data (UK GDPR Article 9)",
                field="article_9_condition",
            )
        )
    accepted = SCHEDULE_1_FOR.get(basis.article_9, ())
    if accepted and basis.schedule_1 not in accepted:
        breaches.append(
            Breach(
                "R47",
                "Choose the Data Protection Act 2018 Schedule 1 condition that goes with the Article 9 condition",
                "For example, paragraph 18, safeguarding of children and of individuals at risk",
                field="schedule_1_condition",
            )
        )
    if not accepted and basis.schedule_1 is not None and basis.article_9 in ARTICLE_9:
        breaches.append(
            Breach(
                "R47",
                "This Article 9 condition needs no Schedule 1 condition: leave it empty",
                field="schedule_1_condition",
            )
        )
    if not with_consent and {basis.article_6, basis.article_9} & CONSENT_BASES:
        breaches.append(
            Breach(
                "R47",
                "Information shared without the person's consent cannot have consent as its data-protection basis",
                "Choose another basis, for example a task in the public interest",
                field="article_6_basis" if basis.article_6 in CONSENT_BASES else "article_9_condition",
            )
        )
    return breaches
