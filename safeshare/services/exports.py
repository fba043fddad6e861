"""Exports of the disclosure register (R21, R22) and the received-information log (R23), as CSV or JSON.

An export is a disclosure in its own right, so it honours everything a share does:
- need-to-know: only cases the exporting user may see (``safeshare.core.access``);
- restrictions on information received (R23): ``sharing.may_disclose`` decides, for
  the audience the export is for, whether each record (or each disclosed item drawn
  from one) may leave; what may not is left out of the file entirely;
- consent restrictions (R7) for an export to another agency: the register of a case
  goes only to an agency its consent would allow (the same check a share makes).
Filters are named and checked: an unknown one, or a malformed value, is an error
before anything is read. Every export is an audit event; a refused one is too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rules.data_protection import describe as describe_data_protection
from safeshare.core.access import works_on_case
from safeshare.core.audit import record_event, refusals_audited
from safeshare.core.csv_out import csv_bytes
from safeshare.core.date_bounds import bounds_problem
from safeshare.core.errors import DomainRuleError, NotFoundError, SafeshareError
from safeshare.core.records import (
    Case,
    ConsentRecord,
    Disclosure,
    ReceivedInformation,
    ShareDecision,
    User,
)
from safeshare.services import sharing
from safeshare.services.sharing import Audience

if TYPE_CHECKING:
    from safeshare.core.runtime import App

KINDS = ("disclosures", "received")
TITLES = {"disclosures": "disclosure register", "received": "received-information log"}
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
#: Who exports the disclosures and information on their cases (the exports page offers the form only to them,
#: and the navigation shows it only to them).
EXPORT_ROLES = frozenset({"practitioner", "manager", "senior_manager"})

FILTERS = {
    "from": "first day included (YYYY-MM-DD)",
    "to": "last day included (YYYY-MM-DD)",
    "agency": "recipient agency (disclosures) or providing agency (received), exact name, any case",
    "case": "case id or reference",
    "audience": "who the export is for: staff (default), service_user[:NAME], family[:NAME], or agency:NAME",
}
AUDIENCE_KINDS = ("staff", "service_user", "family", "agency")


class ExportFilterError(SafeshareError):
    """An export was asked for with a filter or value it does not understand; ``field`` names the filter
    ("kind", "format", "from", "to", "agency", "case", "audience"), so a page puts the error beside it."""

    status_code = 422

    def __init__(self, message: str, hint: str = "", field: str = "") -> None:
        super().__init__(message, hint)
        self.field = field


@dataclass(frozen=True)
class ExportQuery:
    """Checked filters of one export."""

    kind: str
    start: datetime | None = None
    end: datetime | None = None  # exclusive: the day after the last day included
    agency: str | None = None
    case: str | None = None
    audience: Audience = field(default_factory=lambda: Audience("staff"))


@dataclass(frozen=True)
class ExportResult:
    filename: str
    media_type: str
    content: bytes
    rows: int
    withheld: int  # rows or items left out for the audience; told to the exporter, never put in the file


def parse_filters(kind: str, filters: Mapping[str, str | None]) -> ExportQuery:
    """Turn ``name=value`` filters into an :class:`ExportQuery`, refusing anything unknown or malformed."""
    if kind not in KINDS:
        raise ExportFilterError(f"Unknown export {kind!r}", f"Choose one of: {', '.join(KINDS)}", "kind")
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ExportFilterError(
            f"Unknown export filter{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}",
            "Use: " + "; ".join(f"{k} ({v})" for k, v in FILTERS.items()),
        )
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in filters.items() if v not in (None, "")}
    for name, value in values.items():
        if value is not None and any(ord(ch) < 32 for ch in value):
            raise ExportFilterError(
                f"The filter {name!r} contains control characters", "Type it again as plain text", name
            )
    start = _day(values.get("from"), "from")
    last = _day(values.get("to"), "to")
    if start and last and last < start:
        raise ExportFilterError(
            f"The date range ends ({last:%Y-%m-%d}) before it starts", "Swap 'from' and 'to'", "to"
        )
    return ExportQuery(
        kind=kind,
        start=start,
        end=last + timedelta(days=1) if last else None,
        agency=values.get("agency"),
        case=values.get("case"),
        audience=_audience(values.get("audience") or "staff"),
    )


def _day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ExportFilterError(
            f"The filter {name!r} is not a date: {value!r}", "Write it as YYYY-MM-DD", name
        ) from None
    problem = bounds_problem(day, f"{name!r}")
    if problem:
        raise ExportFilterError(problem, "Choose a date in the period you want", name)
    return datetime.combine(day, time(0), tzinfo=UTC)


def _audience(value: str) -> Audience:
    kind, _, name = value.partition(":")
    if kind not in AUDIENCE_KINDS or (kind == "agency" and not name.strip()):
        raise ExportFilterError(
            f"Unknown audience {value!r}",
            "Use staff, service_user[:NAME], family[:NAME], or agency:NAME (e.g. agency:CAMHS)",
            "audience",
        )
    return Audience(kind, name.strip())  # type: ignore[arg-type]


def _visible_case_ids(session: Session, user: User, query: ExportQuery) -> list[int]:
    """Cases in scope: the one named (need-to-know checked, "not found" otherwise), or all the user may see."""
    if query.case:
        case = (
            session.get(Case, int(query.case))
            if query.case.isdigit() and 0 < int(query.case) < 2**31
            else session.scalar(select(Case).where(Case.reference == query.case))
        )
        if case is None or not works_on_case(user, case):  # the same answer, echoing only what was asked
            raise NotFoundError(
                f"No case {query.case[:40]!r} that you can see", "Check the case number or reference"
            )
        return [case.id]
    return [c.id for c in session.scalars(select(Case).order_by(Case.id)) if works_on_case(user, c)]


def _in_range(stmt: Select[Any], column: Any, query: ExportQuery) -> Select[Any]:
    if query.start:
        stmt = stmt.where(column >= query.start)
    if query.end:
        stmt = stmt.where(column < query.end)
    return stmt


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def _references(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return {c.id: c.reference for c in session.scalars(select(Case).where(Case.id.in_(set(ids))))}


def _consent_allows_agency(session: Session, disclosure: Disclosure, agency: str) -> bool:
    """R7 and R6/R19 for an export to another agency: the same recipient check a share to it would pass.

    Nobody is at hand to confirm that an export respects a free-text restriction the system
    cannot read, so such a restriction keeps the entry out of the export (the safe side).
    """
    consent = session.get(ConsentRecord, disclosure.consent_record_id) if disclosure.consent_record_id else None
    decision = session.get(ShareDecision, disclosure.share_decision_id) if disclosure.share_decision_id else None
    try:
        sharing.check_recipient(consent, decision, agency, "", acknowledged=False)
    except DomainRuleError:
        return False
    return True


def disclosure_rows(session: Session, user: User, query: ExportQuery) -> tuple[list[dict[str, Any]], int]:
    """Register rows the user may see and the audience may receive, and how many rows or items were held back."""
    case_ids = _visible_case_ids(session, user, query)
    stmt = _in_range(select(Disclosure).where(Disclosure.case_id.in_(case_ids)), Disclosure.made_at, query)
    if query.agency:
        stmt = stmt.where(Disclosure.recipient_agency == query.agency)
    disclosures = list(session.scalars(stmt.order_by(Disclosure.made_at, Disclosure.id)))
    refs = _references(session, [d.case_id for d in disclosures])
    names = _names(session, [d.made_by_id for d in disclosures])
    received = {
        r.id: r
        for r in session.scalars(
            select(ReceivedInformation).where(
                ReceivedInformation.id.in_(
                    {i.received_information_id for d in disclosures for i in d.items if i.received_information_id}
                )
            )
        )
    }
    rows: list[dict[str, Any]] = []
    withheld = 0
    for d in disclosures:
        if query.audience.kind == "agency" and not _consent_allows_agency(session, d, query.audience.name):
            withheld += 1
            continue
        items = []
        for item in d.items:
            source = received.get(item.received_information_id) if item.received_information_id else None
            if source is not None and not sharing.may_disclose(source, query.audience)[0]:
                withheld += 1
                continue
            items.append({"kind": item.kind, "content": item.content})
        rows.append(
            {
                "id": d.id,
                "case": refs.get(d.case_id, ""),
                "made_at": d.made_at.isoformat(),
                "made_by": names.get(d.made_by_id, ""),
                "recipient_agency": d.recipient_agency,
                "recipient_contact": d.recipient_contact or "",
                "method": d.method,
                "purpose": d.purpose,
                "basis": d.basis,
                "consent_record_id": d.consent_record_id,
                "share_decision_id": d.share_decision_id,
                "grounds": list(d.grounds or []),
                "public_interest": d.public_interest,
                "decision": d.decision_summary or "",
                "recipient_told_consent_status": d.recipient_told_consent_status,
                "restrictions_on_use": list(d.restrictions_on_use or []),
                "data_protection_basis": describe_data_protection(d.data_protection),
                "items": items,
            }
        )
    return rows, withheld


def received_rows(session: Session, user: User, query: ExportQuery) -> tuple[list[dict[str, Any]], int]:
    """Received-information rows the user may see and the audience may receive (R23), and how many were held back."""
    case_ids = _visible_case_ids(session, user, query)
    stmt = _in_range(
        select(ReceivedInformation).where(ReceivedInformation.case_id.in_(case_ids)),
        ReceivedInformation.received_at,
        query,
    )
    if query.agency:
        stmt = stmt.where(ReceivedInformation.provided_by_agency == query.agency)
    records = list(session.scalars(stmt.order_by(ReceivedInformation.received_at, ReceivedInformation.id)))
    refs = _references(session, [r.case_id for r in records])
    names = _names(session, [r.recorded_by_id for r in records])
    rows: list[dict[str, Any]] = []
    withheld = 0
    for r in records:
        if not sharing.may_disclose(r, query.audience)[0]:
            withheld += 1
            continue
        rows.append(
            {
                "id": r.id,
                "case": refs.get(r.case_id, ""),
                "received_at": r.received_at.isoformat(),
                "provided_by_agency": r.provided_by_agency,
                "provided_by_person": r.provided_by_person or "",
                "details": r.details,
                "without_consent": r.without_consent,
                "reasons_given": r.reasons_given or "",
                "restrictions": [x.get("text") or x.get("code") for x in r.restrictions or []],
                "recorded_by": names.get(r.recorded_by_id, ""),
                "recorded_at": r.recorded_at.isoformat(),
            }
        )
    return rows, withheld


ROW_BUILDERS: dict[str, Callable[[Session, User, ExportQuery], tuple[list[dict[str, Any]], int]]] = {
    "disclosures": disclosure_rows,
    "received": received_rows,
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(
            f"{v['kind']}: {v['content']}" if isinstance(v, dict) and "kind" in v else _cell(v) for v in value
        )
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """Formulas are neutralised by the one CSV writer (:mod:`safeshare.core.csv_out`)."""
    return csv_bytes(columns, ([_cell(r.get(c)) for c in columns] for r in rows))


def _columns(kind: str) -> list[str]:
    """Columns in a fixed order, so an empty export still has its header."""
    if kind == "disclosures":
        return [
            "id", "case", "made_at", "made_by", "recipient_agency", "recipient_contact", "method", "purpose",
            "basis", "consent_record_id", "share_decision_id", "grounds", "public_interest", "decision",
            "recipient_told_consent_status", "restrictions_on_use", "data_protection_basis", "items",
        ]  # fmt: skip
    return [
        "id", "case", "received_at", "provided_by_agency", "provided_by_person", "details", "without_consent",
        "reasons_given", "restrictions", "recorded_by", "recorded_at",
    ]  # fmt: skip


def export(
    app: App,
    user: User,
    kind: str,
    fmt: str = "csv",
    filters: Mapping[str, str | None] | None = None,
    *,
    audit_refusal: bool = True,
) -> ExportResult:
    """Build one export for ``user`` and audit it. Manages its own transactions (call it outside one).

    ``audit_refusal=False`` where the caller audits refused access itself (the web application).
    """
    if fmt not in FORMATS:
        raise ExportFilterError(f"Unknown export format {fmt!r}", f"Choose one of: {', '.join(FORMATS)}", "format")
    query = parse_filters(kind, dict(filters or {}))
    refusal = refusals_audited(app.db, app.clock, user, f"export {kind}", {"filters": dict(filters or {})})
    with refusal if audit_refusal else nullcontext(), app.db.read() as session:
        rows, withheld = ROW_BUILDERS[kind](session, user, query)
        case_id = _visible_case_ids(session, user, query)[0] if query.case else None
    columns = _columns(kind)
    if fmt == "csv":
        content = to_csv(rows, columns)
    else:
        document = {"export": kind, "generated_at": app.clock.now().isoformat(), "rows": rows}
        content = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    stamp = app.clock.now().strftime("%Y%m%d-%H%M")
    with app.transaction() as session:
        record_event(
            session,
            app.clock,
            session.get(User, user.id),
            "export_made",
            f"{user.display_name} exported the {TITLES[kind]} ({len(rows)} rows, {fmt.upper()}, "
            f"for {query.audience.kind})",
            case_id=case_id,
            detail={
                "kind": kind,
                "format": fmt,
                "filters": {k: v for k, v in (filters or {}).items() if v},
                "rows": len(rows),
                "withheld": withheld,
                "row_ids": [r["id"] for r in rows],
            },
        )
    return ExportResult(f"{kind}-{stamp}.{fmt}", FORMATS[fmt], content, len(rows), withheld)
