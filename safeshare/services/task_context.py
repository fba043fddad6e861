"""What a task's page shows beside its form: what the person must decide and the facts that bear on it,
and the lists of the case's own records its pickers offer.

A manager asked for advice sees the practitioner's question, the reasons for sharing they weighed, what
would be shared and with whom; a senior manager given an escalated consultation sees the same and what has
happened so far. Every task on a case shows the child, the consent on the case, earlier decisions and advice.
Everything is in words: no ids, codes or rule numbers.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.scope import scope_words
from rules.sharing import ALL_GROUND_LABELS, PUBLIC_INTERESTS
from safeshare.core.clock import as_utc
from safeshare.core.deadlines import policy_for
from safeshare.core.records import (
    ConsentRecord,
    ManagerAdvice,
    Notification,
    Person,
    ReceivedInformation,
    ShareDecision,
    UndertakingBreach,
    User,
)

if TYPE_CHECKING:
    from safeshare.core.runtime import App
    from tasks.service import TaskView

URGENCY = {
    "immediate_risk": "Immediate risk: a child may come to harm within hours",
    "urgent": "Urgent: a child may come to harm within a day or two",
    "standard": "Standard",
}
ADVICE = {"share": "Share", "do_not_share": "Do not share", "seek_consent_first": "Seek consent first"}
DECISION = {
    "share": "Share without consent",
    "must_share": "Share: the law requires it",
    "not_shared": "Do not share",
    # Only on decisions recorded before the process lost its 'share blocked' end (issue 17).
    "blocked": "Not shared: no reason for sharing without consent applied and no public-interest judgement was made",
    "do_not_share": "Do not share",
    "seek_consent_first": "Seek consent first",
}
CONSENT_OUTCOME = {
    "given": "Consent given",
    "given_with_restrictions": "Consent given with restrictions",
    "refused": "Consent refused",
    "not_sought": "Consent not sought",
}
CONSENT_FROM = {
    "adult": "the person, an adult",
    "young_person": "the young person (16 or over)",
    "child": "the child, judged able to decide",
    "person_with_pr": "a person with parental responsibility",
}
ADVICE_TASKS = ("give_advice", "give_escalated_advice")


@dataclass
class Section:
    """A heading and its rows (question, answer), all in words."""

    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TaskContext:
    """What the person must decide (``question``) and the sections of facts shown beside the form."""

    question: str = ""
    sections: list[Section] = field(default_factory=list)


def _when(value: Any) -> str:
    """A time as people read it: 24 Nov 2026, 14:05; a date: 24 Nov 2026; anything else as given."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%-d %b %Y, %H:%M")
    if isinstance(value, date):
        return value.strftime("%-d %b %Y")
    return ""


def _age(born: date | None, today: date) -> str:
    if born is None:
        return "Not recorded"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"{years} ({born.strftime('%-d %B %Y')})"


def _recipients(rows: Any) -> str:
    """Recipients as "School nursing (Jo Patel)"; one a line."""
    names = []
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, Mapping) and r.get("agency"):
            who = r.get("contact") or r.get("person") or r.get("name")
            names.append(f"{r['agency']} ({who})" if who else str(r["agency"]))
    return "; ".join(names)


def task_data(app: App, session: Session, view: TaskView) -> dict[str, Any]:
    """The data the process holds at this task (read from its saved state; the live cache is left alone)."""
    engine = app.engine
    row = view.instance
    engine.definition_of(session, row)  # registers the definition so the serializer finds it by hash
    workflow = engine.serializer.loads(row.state_json, row.definition_hash)
    task = workflow.get_task_from_id(UUID(view.task.task_id))
    return dict(task.data) if task is not None else {}


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def _consultation(session: Session, view: TaskView, data: Mapping[str, Any]) -> list[Section]:
    """The practitioner's question and what they weighed; for an escalated one, what happened so far."""
    asker = data.get("practitioner_user_id")
    names = _names(session, [asker if isinstance(asker, int) else None, view.instance.started_by_id])
    asked_by = names.get(asker) if isinstance(asker, int) else names.get(view.instance.started_by_id or -1)
    rows = [
        ("Question", str(data.get("question") or "Not given")),
        ("How urgent", URGENCY.get(str(data.get("urgency")), "Not given")),
        ("Asked by", asked_by or "Not recorded"),
        ("Asked on", _when(view.instance.started_at)),
    ]
    if data.get("decision_reasons"):
        rows.append(("Why they are unsure", str(data["decision_reasons"])))
    if "in_doubt" in data:  # asked from a decision to share without consent: what the practitioner weighed
        rows.extend(_weighed(data))
    sections = [Section("The practitioner's question", rows)]
    if view.task.task_spec == "give_escalated_advice":
        happened = [
            ("Asked for advice", _when(view.instance.started_at)),
            ("The manager's deadline", _when(data.get("consultation_due_at")) or "Not recorded"),
        ]
        happened.append(("What happened", "No manager gave advice by the deadline, so it came to a senior manager."))
        happened.extend(_notices(session, view))
        if data.get("escalation_due_at"):
            first = _first_senior_deadline(session, {**data, "case_id": view.task.case_id})
            reissued = _when(data["escalation_due_at"])
            if first and _when(first) != reissued:
                happened.append(("Your deadline", f"{_when(first)} (passed: your advice is now late)"))
                happened.append(("Reissued", f"You are chased again by {reissued}"))
            else:
                happened.append(("Your deadline", reissued))
        sections.append(Section("What has happened so far", happened))
    return sections


def _first_senior_deadline(session: Session, data: Mapping[str, Any]) -> datetime | None:
    try:
        due = as_utc(datetime.fromisoformat(str(data.get("consultation_due_at"))))
    except ValueError:
        return None
    return senior_manager_due(session, data, due)


def senior_manager_due(session: Session, data: Mapping[str, Any], consultation_due: datetime) -> datetime:
    """When a senior manager's advice is due (R13, R16, R17): the escalation period by urgency from when the
    consultation first escalated (its first escalation notice; its deadline if none is found). A task reissued
    after that passes keeps chasing with a fresh deadline, but does not move the time frame the child needs."""
    escalated_at = consultation_due
    case_id = data.get("case_id")
    if isinstance(case_id, int):
        first = session.scalar(
            select(Notification.created_at)
            .where(
                Notification.case_id == case_id,
                Notification.template == "consultation_escalated",
                Notification.created_at >= consultation_due,
            )
            .order_by(Notification.created_at)
            .limit(1)
        )
        if first is not None:
            escalated_at = as_utc(first)
    return policy_for(session).deadline("escalation", str(data.get("urgency") or ""), escalated_at)


NOTICES = {"task_reminder": "Reminder sent to", "consultation_escalated": "Told it was escalated:"}


def _notices(session: Session, view: TaskView) -> list[tuple[str, str]]:
    """The reminders and escalation notices sent about this consultation since it was asked, oldest first:
    when, and who was told (one row per sending, whatever the channels)."""
    if view.task.case_id is None:
        return []
    sent = session.scalars(
        select(Notification)
        .where(
            Notification.case_id == view.task.case_id,
            Notification.template.in_(tuple(NOTICES)),
            Notification.created_at >= view.instance.started_at,
        )
        .order_by(Notification.created_at, Notification.id)
    )
    grouped: dict[tuple[Any, str], list[int]] = {}
    for n in sent:
        who = grouped.setdefault((n.created_at, n.template), [])
        if n.recipient_user_id is not None and n.recipient_user_id not in who:
            who.append(n.recipient_user_id)
    names = _names(session, [u for users in grouped.values() for u in users])
    return [
        (_when(at), f"{NOTICES[template]} {', '.join(names.get(u, 'someone') for u in users) or 'staff'}")
        for (at, template), users in grouped.items()
    ]


def _weighed(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The reasons, public interest, weighing, what and with whom a practitioner unsure whether to share set out."""
    rows: list[tuple[str, str]] = []
    grounds = [ALL_GROUND_LABELS.get(str(g), str(g)) for g in data.get("grounds") or []]
    rows.append(("Reasons for sharing without consent they considered", "; ".join(grounds) or "None chosen yet"))
    public = data.get("public_interest")
    if isinstance(public, Mapping) and public:
        interests = "; ".join(PUBLIC_INTERESTS.get(str(i), str(i)) for i in public.get("interests") or [])
        rows.append(("Public interest they considered", f"{interests}. {public.get('judgement', '')}".strip(". ")))
    weighing = data.get("weighing")
    if isinstance(weighing, Mapping):
        if weighing.get("if_shared"):
            rows.append(("What might happen if it is shared", str(weighing["if_shared"])))
        if weighing.get("if_not_shared"):
            rows.append(("What might happen if it is not shared", str(weighing["if_not_shared"])))
    rows.append(("What would be shared", str(data.get("what_to_share") or "Not said yet")))
    rows.append(("With whom", _recipients(data.get("share_recipients")) or "Not said yet"))
    return rows


def _case_facts(session: Session, app: App, case_id: int) -> list[Section]:
    """The child, the consent on the case, and earlier decisions and advice, newest first."""
    today = app.clock.now().date()
    sections = []
    child = session.scalars(select(Person).where(Person.case_id == case_id, Person.is_subject.is_(True))).first()
    if child is not None:
        sections.append(
            Section("The child or young person", [("Name", child.full_name), ("Age", _age(child.date_of_birth, today))])
        )
    people = {p.id: p.full_name for p in session.scalars(select(Person).where(Person.case_id == case_id))}
    consents = list(
        session.scalars(
            select(ConsentRecord).where(ConsentRecord.case_id == case_id).order_by(ConsentRecord.id.desc()).limit(3)
        )
    )
    for c in consents:
        rows = [
            ("Outcome", CONSENT_OUTCOME.get(c.outcome, c.outcome.replace("_", " ").capitalize())),
            (
                "From",
                (people.get(c.consenting_person_id) if c.consenting_person_id else None)
                or CONSENT_FROM.get(c.consent_from, c.consent_from.replace("_", " ")),
            ),
        ]
        if c.recipients:
            rows.append(("Who it may be shared with", _recipients(c.recipients)))
        if c.outcome in ("given", "given_with_restrictions"):
            covers = scope_words(c.scope)
            rows += [("Information it covers", covers[0]), ("What it may be shared for", covers[1])]
        if c.restrictions:
            rows.append(("Restrictions the person set", "; ".join(c.restrictions)))
        if c.status != "active":
            rows.append(("Status", c.status.replace("_", " ").capitalize()))
        sections.append(Section("Consent on this case", rows))
    decisions = list(
        session.scalars(
            select(ShareDecision).where(ShareDecision.case_id == case_id).order_by(ShareDecision.id.desc()).limit(3)
        )
    )
    names = _names(session, [d.decided_by_id for d in decisions])
    for d in decisions:
        grounds = "; ".join(ALL_GROUND_LABELS.get(g, g) for g in d.grounds)
        basis = grounds or ("The public interest" if d.public_interest else "")
        rows = [
            ("Decision", DECISION.get(d.outcome, d.outcome.replace("_", " ").capitalize())),
            ("Made by", f"{names.get(d.decided_by_id, 'Not recorded')}, {_when(d.decided_at)}"),
        ]
        if basis:
            rows.append(("Basis", basis))
        if d.legal_basis:
            rows.append(("Required by", describe_legal_basis(d.legal_basis)))
        if d.recipients:
            rows.append(("With whom", _recipients(d.recipients)))
        if d.what_to_share:
            rows.append(("What", d.what_to_share))
        if d.scope:
            covers = scope_words(d.scope)
            rows += [("Information it covers", covers[0]), ("What it may be shared for", covers[1])]
        rows.append(("Reasons", d.reasons or "Not recorded"))
        sections.append(Section("An earlier decision on sharing without consent", rows))
    advice = list(
        session.scalars(
            select(ManagerAdvice).where(ManagerAdvice.case_id == case_id).order_by(ManagerAdvice.id.desc()).limit(3)
        )
    )
    names = _names(session, [a.advised_by_id for a in advice])
    for a in advice:
        sections.append(
            Section(
                "Earlier advice from a manager",
                [
                    ("Question", a.question),
                    ("Advice", ADVICE.get(a.decision, a.decision)),
                    ("Reasons", a.reasons),
                    (
                        "Given by",
                        f"{names.get(a.advised_by_id, 'Not recorded')}, {_when(a.advised_at)}"
                        + (" after escalation" if a.escalated else ""),
                    ),
                ],
            )
        )
    return sections


def describe_legal_basis(basis: Mapping[str, Any]) -> str:
    """The statute, or the court order (its reference, court and date), that requires a share, in words."""
    if basis.get("kind") == "court_order":
        made_on = str(basis.get("made_on") or "")
        with contextlib.suppress(ValueError):
            made_on = date.fromisoformat(made_on).strftime("%-d %B %Y")
        return f"Court order {basis.get('reference', '')}, made by {basis.get('court', '')} on {made_on}"
    return f"Statutory duty: {basis.get('reference', '')}"


_RULE_IDS = re.compile(r"\s*\((?:R\d+(?:,\s*)?)+\)")


def _yes_no(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not answered") if isinstance(value, bool) else "Not answered"


def _consent_seeking(view: TaskView, data: Mapping[str, Any]) -> list[Section]:
    """The practitioner's competence judgement, the manager's advice on it, and who may consent."""
    sections = []
    if isinstance(data.get("child_competent"), bool):  # judged only for a child under 16
        sections.append(
            Section(
                "The practitioner's judgement",
                [
                    (
                        "Does the child understand enough to decide for themselves?",
                        _yes_no(data.get("child_competent")),
                    ),
                    ("Their reasons", str(data.get("competence_reasons") or "Not given")),
                ],
            )
        )
    if view.task.task_spec == "seek_consent" and isinstance(data.get("manager_agrees_competence"), bool):
        sections.append(
            Section(
                "The manager's advice on the judgement",
                [
                    ("Agrees with the judgement", _yes_no(data.get("manager_agrees_competence"))),
                    ("Advice", str(data.get("competence_advice") or "Not given")),
                ],
            )
        )
    if view.task.task_spec == "seek_consent" and data.get("consent_from"):
        basis = _RULE_IDS.sub("", str(data.get("consent_basis") or "")).strip()
        sections.append(
            Section(
                "Who may consent",
                [
                    (
                        "Consent is given or refused by",
                        CONSENT_FROM.get(str(data["consent_from"]), str(data["consent_from"])),
                    ),
                    ("Why", basis or "Not recorded"),
                ],
            )
        )
    return sections


SCHEME_TASKS = ("confirm_case_link", "review_scheme_outcome")


def _police_scheme(task_spec: str, data: Mapping[str, Any]) -> Section:
    """A police scheme application as the child's team may see it: its reference and scheme, the children it
    names (to confirm a link), or its outcome in words (to review it). Never police intelligence."""
    rows = [
        ("Police application", str(data.get("application_reference") or "Not recorded")),
        ("Scheme", str(data.get("scheme_name") or "Not recorded")),
    ]
    if task_spec == "confirm_case_link":
        children = [
            f"{c.get('name') or 'A child'}" + (f" (aged {c['age']})" if c.get("age") not in (None, "") else "")
            for c in data.get("children") or []
            if isinstance(c, Mapping)
        ]
        rows.append(("Children named", "; ".join(children) or "None named"))
        return Section("The police application", rows)
    rows += [
        ("Ended on", str(data.get("ended_on") or "Not recorded")),
        ("Outcome", str(data.get("outcome_in_words") or "Not recorded")),
        ("Safety plan", str(data.get("safety_plan") or "None recorded")),
        ("Support and referrals offered", str(data.get("support_offered") or "None recorded")),
    ]
    return Section("The outcome", rows)


def _breach(session: Session, data: Mapping[str, Any]) -> Section:
    """R45: what police staff reported of a suspected breach, for the supervisor who decides on it."""
    breach = session.get(UndertakingBreach, data.get("breach_id")) if isinstance(data.get("breach_id"), int) else None
    if breach is None:
        return Section("The suspected breach", [("Reported", "Not found")])
    reporter = session.get(User, breach.reported_by_id)
    return Section(
        "The suspected breach",
        [
            ("Police application", str(data.get("application_reference") or "Not recorded")),
            ("What happened", breach.what_happened),
            ("How it came to light", breach.how_it_came_to_light),
            ("Reported by", f"{reporter.display_name if reporter else 'Not recorded'}, {_when(breach.reported_at)}"),
        ],
    )


def task_context(app: App, session: Session, view: TaskView) -> TaskContext:
    """What the task's page shows beside its form (the caller has checked the user may see the task)."""
    context = TaskContext(question=str(view.form_schema.get("description") or ""))
    if view.task.task_spec in ADVICE_TASKS:
        context.sections.extend(_consultation(session, view, task_data(app, session, view)))
    elif view.task.task_spec in ("advise_on_competence", "seek_consent"):
        context.sections.extend(_consent_seeking(view, task_data(app, session, view)))
    elif view.task.task_spec in SCHEME_TASKS:
        context.sections.append(_police_scheme(view.task.task_spec, task_data(app, session, view)))
    elif view.task.task_spec == "decide_breach_action":
        context.sections.append(_breach(session, task_data(app, session, view)))
    if view.task.case_id is not None:
        context.sections.extend(_case_facts(session, app, view.task.case_id))
    return context


# ---------------------------------------------------------------- pickers


def case_choices(session: Session, case_id: int | None) -> dict[str, list[tuple[str, str]]]:
    """The lists a form's pickers offer, by the name a uiSchema gives them (``ui:options.choices``):
    the people on the case, the staff of its team, the agencies consent or a decision names, the decisions
    to share and the information received on it. Each choice is (value as posted, words shown)."""
    if case_id is None:
        return {}
    from safeshare.core.records import Case

    case = session.get(Case, case_id)
    if case is None:
        return {}
    people = list(session.scalars(select(Person).where(Person.case_id == case_id).order_by(Person.id)))
    staff = session.scalars(
        select(User).where(User.team_id == case.team_id, User.is_active.is_(True)).order_by(User.display_name)
    )
    consents = session.scalars(
        select(ConsentRecord)
        .where(
            ConsentRecord.case_id == case_id,
            ConsentRecord.status == "active",
            ConsentRecord.outcome.in_(("given", "given_with_restrictions")),
        )
        .order_by(ConsentRecord.id)
    )
    decisions = list(
        session.scalars(
            select(ShareDecision)
            .where(ShareDecision.case_id == case_id, ShareDecision.outcome == "share")
            .order_by(ShareDecision.id)
        )
    )
    agencies: dict[str, str] = {}
    for rows in [*(c.recipients for c in consents), *(d.recipients for d in decisions)]:
        for r in rows or []:
            if isinstance(r, Mapping) and r.get("agency"):
                agencies.setdefault(str(r["agency"]), str(r["agency"]))
    received = session.scalars(
        select(ReceivedInformation).where(ReceivedInformation.case_id == case_id).order_by(ReceivedInformation.id)
    )
    return {
        "people": [
            (str(p.id), f"{p.full_name} ({'the child' if p.is_subject else p.relationship_to_child})") for p in people
        ],
        "staff": [(str(u.id), u.display_name) for u in staff],
        "recipients": list(agencies.items()),
        "decisions": [(str(d.id), decision_words(d)) for d in decisions],
        "received": [
            (str(r.id), f"{_short(r.details)}, from {r.provided_by_agency}, received {_when(r.received_at)}")
            for r in received
        ],
    }


def _short(text: str, most: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def decision_words(d: ShareDecision) -> str:
    """A decision to share as a person picks it: when, with whom and what."""
    whom = _recipients(d.recipients) or "the recipients named"
    return f"Decided {_when(d.decided_at)} to share with {whom}: {_short(d.what_to_share or d.reasons)}"
