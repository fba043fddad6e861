"""How long each kind of record is kept, and why (the sources are in the README's retention section).

The defaults below are a starting point a partnership's data protection officer confirms or changes:
``SAFESHARE_RETENTION_FILE`` names a JSON file mapping a kind to a number of years, for example
``{"notifications": 1, "police_scheme_records": 6}``; ``null`` for consent or disclosures means "kept
with the case record". Anything else in the file stops start-up with a message naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from safeshare.core.errors import ConfigurationError

CASE_RECORDS = "case_records"
CONSENT = "consent"
DISCLOSURES = "disclosures"
POLICE_SCHEME_RECORDS = "police_scheme_records"
AUDIT = "audit"
NOTIFICATIONS = "notifications"
SIGN_IN_ATTEMPTS = "sign_in_attempts"
SUBJECT_ACCESS = "subject_access_requests"  # h/ready (issue 16)


@dataclass(frozen=True)
class Rule:
    """One kind of record: kept ``years`` from ``counted_from``, then removed as ``action`` says.

    ``years`` None (consent, disclosures only): no period of its own, removed with its case record.
    """

    kind: str
    name: str
    years: int | None
    counted_from: str
    action: str
    source: str


DEFAULTS: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        Rule(
            CASE_RECORDS,
            "Children's case records",
            25,
            "the child's date of birth (the case's opening date when it is not known), once no process is running",
            "names, dates of birth and everything written about the family are removed; counts stay",
            "Children's social care records are kept to the 25th birthday (IRMS Retention Guidelines for Local "
            "Authorities, children's social care). Looked-after children's records are kept to the 75th birthday "
            "(Care Planning, Placement and Case Review (England) Regulations 2010, regulation 50) and records with "
            "a child protection plan longer than 25 years: place a hold on such a case with that reason.",
        ),
        Rule(
            CONSENT,
            "Consent records",
            None,
            "when the consent was recorded",
            "what was agreed, with whom and why is removed; the outcome and dates stay",
            "Part of the child's case record, so kept as long as it (same sources).",
        ),
        Rule(
            DISCLOSURES,
            "Disclosure records",
            None,
            "when the information was shared",
            "what was shared, with which contact and why is removed; the agency, basis and date stay",
            "Part of the child's case record, so kept as long as it; the record of sharing is what shows the "
            "share was lawful (UK GDPR Article 5(2), accountability; ICO data sharing code of practice).",
        ),
        Rule(
            POLICE_SCHEME_RECORDS,
            "Police disclosure scheme records (DVDS and child sex offender disclosure)",
            10,
            "when the application was completed",
            "applicant, subject, people at risk and every check and decision are removed; route, outcome "
            "and dates stay",
            "Police information is reviewed under the Management of Police Information (College of Policing "
            "APP, Information management: retention, review and disposal): 10 years for group 2 (sexual and "
            "violent offending, which these schemes concern), 6 years for group 3.",
        ),
        Rule(
            AUDIT,
            "Audit events not about a case",
            6,
            "the event",
            "the summary and detail are removed; the event, its time, type and hash stay, so the trail still "
            "verifies. Events about a case are removed with the case",
            "Limitation Act 1980 (six years for most claims), then UK GDPR Article 5(1)(e), storage limitation.",
        ),
        Rule(
            NOTIFICATIONS,
            "Emails and in-service messages",
            2,
            "when the message was created",
            "deleted",
            "No statutory period: a local choice under UK GDPR Article 5(1)(e), storage limitation. The audit "
            "trail keeps the fact that a reminder or escalation was sent.",
        ),
        Rule(
            SIGN_IN_ATTEMPTS,
            "Sign-in attempts",
            1,
            "the attempt",
            "deleted",
            "No statutory period: a local choice under UK GDPR Article 5(1)(e), storage limitation; long enough "
            "to look into a misuse of accounts.",
        ),
        # h/ready (issue 16): subject access requests.
        Rule(
            SUBJECT_ACCESS,
            "Subject access requests and their replies",
            1,
            "when the reply was sent",
            "the requester, the person, the identity evidence and the reply are removed; the reference, dates, "
            "status and the reply's fingerprint stay",
            "IRMS Retention Guidelines for Local Authorities (information governance: requests under data "
            "protection law): the last action on the request plus 1 year; 6 years where the reply was appealed or "
            "complained of to the Information Commissioner: place a hold with that reason.",
        ),
    )
}


def load_schedule(path: Path | None) -> dict[str, Rule]:
    """The defaults, with the years from the settings' retention file (``SAFESHARE_RETENTION_FILE``) where it
    gives them."""
    if path is None:
        return dict(DEFAULTS)
    try:
        overrides = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"The retention schedule file {path} cannot be read as JSON ({exc})",
            "Fix SAFESHARE_RETENTION_FILE or the file",
        ) from exc
    if not isinstance(overrides, dict):
        raise ConfigurationError(f"The retention schedule file {path} must hold one JSON object", "Fix the file")
    return with_years(overrides)


def with_years(overrides: Mapping[str, object]) -> dict[str, Rule]:
    """The defaults with some kinds' years changed; an unknown kind or a bad number is refused."""
    schedule = dict(DEFAULTS)
    for kind, years in overrides.items():
        if kind not in DEFAULTS:
            raise ConfigurationError(
                f"The retention schedule names {kind!r}, which is not a kind of record here",
                f"Use one of: {', '.join(DEFAULTS)}",
            )
        if years is None and kind in (CONSENT, DISCLOSURES):
            schedule[kind] = replace(DEFAULTS[kind], years=None)
            continue
        if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 150:
            raise ConfigurationError(
                f"The retention schedule gives {kind!r} {years!r} years",
                "Give a whole number of years from 1 to 150"
                + (" (or null: kept with the case record)" if kind in (CONSENT, DISCLOSURES) else ""),
            )
        schedule[kind] = replace(DEFAULTS[kind], years=years)
    return schedule
