"""Management figures: how the procedure is working, from the records it leaves.

Sections (each a :class:`Table`, printed by ``safeshare report``, shown as a page
with a chart in the web UI, downloadable as CSV):

- consultations answered within their deadline, per team and month (R16, R17);
- escalations, and why each happened (the deadline passed unanswered), with the
  senior manager's decision and reasons on cases the reader may see (R17, R18);
- tasks overdue now, per team and role;
- consents given, given with restrictions, refused and not sought, per month (R1, R7);
- decisions to share without consent by ground (R10 a-g) or public-interest test (R11);
- the disclosure schemes in the shape of the Home Office's published DVDS figures
  (applications and disclosures for right to ask and right to know, per period), with
  CSOR alongside (R24 to R37).

Figures are aggregates. Reading a report needs a manager, senior manager or
administrator role; police staff see the scheme figures only. Case references and
reasons appear only for cases the reader may see.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rules.sharing import GROUND_LABELS, LEGACY_GROUNDS
from safeshare.core.access import require_role, works_on_case
from safeshare.core.audit import record_event, refusals_audited
from safeshare.core.csv_out import csv_bytes
from safeshare.core.date_bounds import bounds_problem
from safeshare.core.errors import SafeshareError
from safeshare.core.records import (
    Case,
    ConsentRecord,
    ManagerAdvice,
    OpenTask,
    Role,
    ShareDecision,
    Team,
    User,
)
from safeshare.core.records.schemes import SchemeApplication

if TYPE_CHECKING:
    from safeshare.core.runtime import App

MANAGEMENT_ROLES = (Role.MANAGER, Role.SENIOR_MANAGER, Role.ADMINISTRATOR)
#: Who may read the report (police staff read its scheme sections): the navigation offers it only to them.
REPORT_ROLES = (*MANAGEMENT_ROLES, Role.POLICE_STAFF)
SECTIONS = ("consultations", "escalations", "overdue", "consents", "shares", "schemes")
SCHEME_ROUTES = {"right_to_ask": "DVDS right to ask", "right_to_know": "DVDS right to know", "csor": "CSOR"}
CONSENT_OUTCOMES = ("given", "given_with_restrictions", "refused", "not_sought")


class ReportError(SafeshareError):
    """A report was asked for with arguments it does not understand."""

    status_code = 422


@dataclass(frozen=True)
class Chart:
    """What to draw: one bar per category, one coloured series per name (stacked when ``stacked``)."""

    categories: list[str]
    series: dict[str, list[float]]
    stacked: bool = False
    horizontal: bool = False
    y_label: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    chart: Chart | None = None

    def to_csv(self) -> bytes:
        """Through the one CSV writer, which neutralises formulas (:mod:`safeshare.core.csv_out`)."""
        return csv_bytes(self.columns, self.rows)


@dataclass(frozen=True)
class Period:
    start: datetime | None
    end: datetime | None  # exclusive

    def label(self) -> str:
        if self.start is None and self.end is None:
            return "all records"
        first = f"{self.start:%d %b %Y}" if self.start else "the first record"
        last = f"{self.end - timedelta(days=1):%d %b %Y}" if self.end else "now"
        return f"{first} to {last}"

    def where(self, stmt: Select[Any], column: Any) -> Select[Any]:
        """``stmt`` limited to rows whose ``column`` falls in the period (filtered by the database)."""
        if self.start is not None:
            stmt = stmt.where(column >= self.start)
        if self.end is not None:
            stmt = stmt.where(column < self.end)
        return stmt


@dataclass
class Report:
    generated_at: datetime
    period: Period
    sections: list[Table]

    def section(self, key: str) -> Table:
        for table in self.sections:
            if table.key == key:
                return table
        raise ReportError(f"No report section {key!r} for you", f"Choose one of: {', '.join(SECTIONS)}")


def period(start: str | date | None = None, end: str | date | None = None) -> Period:
    """A period from first and last days included (``YYYY-MM-DD``); a clear error for anything else."""

    def day(value: str | date | None, name: str) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ReportError(f"The {name} date {value!r} is not a date", "Write it as YYYY-MM-DD") from None
        problem = bounds_problem(parsed, name)
        if problem:
            raise ReportError(problem, "Choose a date in the period you want")
        return parsed

    first, last = day(start, "from"), day(end, "to")
    if first and last and last < first:
        raise ReportError(f"The period ends ({last}) before it starts ({first})", "Swap the dates")
    return Period(
        datetime.combine(first, time(0), tzinfo=UTC) if first else None,
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC) if last else None,
    )


def _month(when: datetime) -> str:
    return f"{when:%Y-%m}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _teams(session: Session) -> dict[int, str]:
    return {t.id: t.name for t in session.scalars(select(Team))}


def _cases(session: Session, ids: Iterable[int | None]) -> dict[int, Case]:
    wanted = {i for i in ids if i is not None}
    return {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(wanted)))} if wanted else {}


def consultations(session: Session, p: Period) -> Table:
    """Consultations answered, and answered within their deadline, per team and month (R16, R17)."""
    advice = list(session.scalars(p.where(select(ManagerAdvice), ManagerAdvice.advised_at)))
    cases, teams = _cases(session, [a.case_id for a in advice]), _teams(session)
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for a in advice:
        case = cases.get(a.case_id) if a.case_id else None
        key = (teams.get(case.team_id, "?") if case else "(no case)", _month(a.advised_at))
        counts[key]["answered"] += 1
        counts[key]["within"] += int(a.within_deadline and not a.escalated)
        counts[key]["escalated"] += int(a.escalated)
    keys = sorted(counts)
    rows: list[list[Any]] = [
        [team, month, c["answered"], c["within"], c["answered"] - c["within"], c["escalated"],
         _pct(c["within"], c["answered"])]
        for team, month in keys
        for c in [counts[(team, month)]]
    ]  # fmt: skip
    labels = [f"{team} {month}" for team, month in keys]
    within = [float(counts[k]["within"]) for k in keys]
    late = [float(counts[k]["answered"] - counts[k]["within"]) for k in keys]
    return Table(
        "consultations",
        "Consultations answered within deadline, per team and month",
        ["team", "month", "answered", "within deadline", "late or escalated", "escalated", "% within deadline"],
        rows,
        "Within deadline: the manager answered before the consultation's deadline, without escalation.",
        Chart(labels, {"within deadline": within, "late or escalated": late}, stacked=True, y_label="consultations"),
    )  # fmt: skip


def escalations(session: Session, user: User, p: Period) -> Table:
    """Each escalated consultation: why (its deadline passed unanswered) and what the senior manager decided."""
    advice = sorted(
        session.scalars(p.where(select(ManagerAdvice).where(ManagerAdvice.escalated.is_(True)),
                                ManagerAdvice.advised_at)),
        key=lambda a: a.advised_at,
    )  # fmt: skip
    cases, teams = _cases(session, [a.case_id for a in advice]), _teams(session)
    names = {u.id: u.display_name for u in session.scalars(select(User))}
    rows: list[list[Any]] = []
    hidden = 0
    for a in advice:
        case = cases.get(a.case_id) if a.case_id else None
        visible = case is not None and works_on_case(user, case)  # its team: a task held shows the task only
        hidden += int(not visible)
        rows.append(
            [
                teams.get(case.team_id, "?") if case else "(no case)",
                case.reference if visible and case else "(not your team)",
                a.urgency.replace("_", " "),
                "no manager answered before the consultation deadline",
                a.advised_at.strftime("%Y-%m-%d %H:%M"),
                names.get(a.advised_by_id, "?"),
                a.decision.replace("_", " "),
                a.reasons if visible else "(not your team)",
                "yes" if a.within_deadline else "no",
            ]
        )
    by_urgency = Counter(r[2] for r in rows)
    return Table(
        "escalations",
        "Escalations and their reasons",
        ["team", "case", "urgency", "why escalated", "answered at", "answered by", "decision", "reasons",
         "escalated advice in time"],
        rows,
        f"{len(rows)} escalation(s)" + (f"; {hidden} on cases outside your teams show no details" if hidden else ""),
        Chart(sorted(by_urgency), {"escalations": [by_urgency[k] for k in sorted(by_urgency)]}, y_label="escalations"),
    )  # fmt: skip


def overdue_tasks(session: Session, user: User, now: datetime) -> Table:
    """Open tasks past their due time now, most overdue first."""
    tasks = list(
        session.scalars(select(OpenTask).where(OpenTask.due_at.is_not(None), OpenTask.due_at < now).order_by(
            OpenTask.due_at))
    )  # fmt: skip
    cases, teams = _cases(session, [t.case_id for t in tasks]), _teams(session)
    names = {u.id: u.display_name for u in session.scalars(select(User))}
    rows: list[list[Any]] = []
    for t in tasks:
        case = cases.get(t.case_id) if t.case_id else None
        visible = case is not None and works_on_case(user, case)  # its team: a task held shows the task only
        assert t.due_at is not None
        hours = (now - t.due_at).total_seconds() / 3600
        rows.append(
            [
                teams.get(t.team_id, "police" if t.role == Role.POLICE_STAFF.value else "?") if t.team_id else "-",
                t.role.replace("_", " "),
                t.title,
                case.reference if visible and case else ("-" if case is None else "(not your team)"),
                t.due_at.strftime("%Y-%m-%d %H:%M"),
                f"{hours:.1f}",
                names.get(t.assignee_id, "unassigned") if t.assignee_id else "unassigned",
            ]
        )
    per_role = Counter(r[1] for r in rows)
    return Table(
        "overdue",
        f"Tasks overdue now ({now:%Y-%m-%d %H:%M} UTC)",
        ["team", "role", "task", "case", "due", "hours overdue", "assigned to"],
        rows,
        f"{len(rows)} task(s) overdue",
        Chart(sorted(per_role), {"overdue tasks": [per_role[k] for k in sorted(per_role)]}, y_label="tasks"),
    )


def consents(session: Session, p: Period) -> Table:
    """Consent records by outcome and month (superseded records count: each was a decision)."""
    records = list(session.scalars(p.where(select(ConsentRecord), ConsentRecord.recorded_at)))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in records:
        counts[_month(c.recorded_at)][c.outcome] += 1
    months = sorted(counts)
    rows = [[m, *[counts[m][o] for o in CONSENT_OUTCOMES], sum(counts[m].values())] for m in months]
    totals = Counter(c.outcome for c in records)
    if rows:
        rows.append(["total", *[totals[o] for o in CONSENT_OUTCOMES], len(records)])
    return Table(
        "consents",
        "Consents given, refused and not sought",
        ["month", "given", "given with restrictions", "refused", "not sought", "total"],
        rows,
        "",
        Chart(months, {o.replace("_", " "): [counts[m][o] for m in months] for o in CONSENT_OUTCOMES}, stacked=True,
              y_label="consent records"),
    )  # fmt: skip


def shares_without_consent(session: Session, p: Period) -> Table:
    """Decisions to share without consent, by ground of R10 (a decision may rest on several) or R11."""
    decisions = list(session.scalars(p.where(select(ShareDecision), ShareDecision.decided_at)))
    sharing = [d for d in decisions if d.outcome in ("share", "must_share")]
    by_ground: Counter[str] = Counter()
    for d in sharing:
        for g in d.grounds or []:
            by_ground[LEGACY_GROUNDS.get(g, g)] += 1
        if not d.grounds and d.public_interest:
            by_ground["public_interest"] += 1
    labels = {**GROUND_LABELS, "public_interest": "No listed reason: justified in the public interest"}
    rows: list[list[Any]] = [[labels[k], by_ground[k]] for k in labels]
    outcomes = Counter(d.outcome for d in decisions)
    note = (
        f"{len(sharing)} decision(s) to share without consent; "
        + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items()))
        if decisions
        else "No decisions in the period"
    )
    short = ["Harm to child", "Harm to adult", "Crime committed", "Crime undetected", "Cannot withhold",
             "Overrides parent", "Law or court", "Public interest"]
    return Table(
        "shares",
        "Shares without consent, by ground",
        ["ground", "decisions"],
        rows,
        note + ". A decision resting on several grounds counts under each.",
        Chart(short, {"decisions": [by_ground[k] for k in labels]}, y_label="decisions"),
    )


def schemes(session: Session, p: Period) -> Table:
    """Applications and disclosures by route, as the Home Office publishes DVDS figures (plus CSOR)."""
    apps = list(session.scalars(p.where(select(SchemeApplication), SchemeApplication.received_at)))
    rows: list[list[Any]] = []
    series: dict[str, list[float]] = {"applications": [], "disclosures": []}
    for route, label in SCHEME_ROUTES.items():
        mine = [a for a in apps if a.route == route]
        disclosed = sum(1 for a in mine if a.outcome == "disclosed")
        refused = sum(1 for a in mine if a.outcome == "not_disclosed")
        rows.append([label, len(mine), disclosed, refused, len(mine) - disclosed - refused,
                     _pct(disclosed, len(mine))])  # fmt: skip
        series["applications"].append(len(mine))
        series["disclosures"].append(disclosed)
    return Table(
        "schemes",
        "Disclosure schemes: applications and disclosures by route",
        ["route", "applications", "disclosures made", "no disclosure", "open", "disclosure rate"],
        rows,
        f"Applications received in the period ({p.label()}); outcomes as they stand now. Same measures as the "
        "Home Office's published DVDS statistics (applications and disclosures, right to ask and right to know).",
        Chart(list(SCHEME_ROUTES.values()), series, y_label="applications"),
    )


def build_report(session: Session, user: User, now: datetime, p: Period) -> Report:
    """Every section the user may read."""
    require_role(user, *REPORT_ROLES)
    sections: list[Table] = []
    if user.roles & set(MANAGEMENT_ROLES):
        sections += [
            consultations(session, p),
            escalations(session, user, p),
            overdue_tasks(session, user, now),
            consents(session, p),
            shares_without_consent(session, p),
        ]
    sections.append(schemes(session, p))
    return Report(now, p, sections)


def report_for(
    app: App,
    user: User,
    start: str | date | None = None,
    end: str | date | None = None,
    *,
    audit_refusal: bool = True,
) -> Report:
    """Build the report for ``user`` and audit that they read it. Manages its own transactions.

    A refusal (no role that reads reports) is audited too, unless the caller does that
    itself (``audit_refusal=False``, the web application).
    """
    p = period(start, end)
    refusal = refusals_audited(app.db, app.clock, user, "read the management report")
    with refusal if audit_refusal else nullcontext(), app.db.read() as session:
        report = build_report(session, user, app.clock.now(), p)
    with app.transaction() as session:
        record_event(
            session,
            app.clock,
            session.get(User, user.id),
            "report_viewed",
            f"{user.display_name} read the management report for {p.label()}",
            detail={"sections": [t.key for t in report.sections], "from": str(start or ""), "to": str(end or "")},
        )
    return report
