"""Plain-text rendering of records for the terminal (the demo and ``case show``)."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from safeshare.core.records import AuditEvent, ConsentRecord, Person, User
from safeshare.services.case_view import CaseView
from safeshare.services.task_context import CONSENT_FROM


def print_consent(session: Session, consent: ConsentRecord, indent: str = "  ") -> None:
    person = session.get(Person, consent.consenting_person_id) if consent.consenting_person_id else None
    by = session.get(User, consent.recorded_by_id)
    typer.echo(f"{indent}Consent record {consent.id} ({consent.status.replace('_', ' ')}): "
               f"{consent.outcome.replace('_', ' ')}")
    typer.echo(
        f"{indent}  who may consent: {CONSENT_FROM.get(consent.consent_from, consent.consent_from.replace('_', ' '))}"
        + (f"; decided by {person.full_name}" if person else "")
    )
    if consent.competence:
        c = consent.competence
        typer.echo(
            f"{indent}  competence: {'competent' if c['child_competent'] else 'not competent'} "
            f"({c['reasons']}); manager {'agrees' if c['manager_agrees'] else 'disagrees'}: "
            f"{c['manager_advice']}"
        )
    if consent.recipients:
        typer.echo(f"{indent}  recipients: " + ", ".join(r["agency"] for r in consent.recipients))
    if consent.restrictions:
        typer.echo(f"{indent}  restrictions: " + "; ".join(consent.restrictions))
    if consent.not_sought_reason:
        typer.echo(f"{indent}  not sought ({consent.not_sought_ground}): {consent.not_sought_reason}")
    typer.echo(f"{indent}  recorded {consent.recorded_at:%Y-%m-%d %H:%M} UTC by {by.display_name if by else '?'}")


def print_audit(events: list[AuditEvent], indent: str = "  ") -> None:
    """The trail as a person reads it: when, who and what, in words (the event's type is the trail's own code)."""
    for e in events:
        typer.echo(f"{indent}#{e.seq:<4} {e.occurred_at:%Y-%m-%d %H:%M} {e.actor_name:<22} {e.summary}")


def print_case(session: Session, view: CaseView) -> None:
    typer.echo(f"Case {view.case.reference}: {view.case.title} (team {view.case.team.name})")
    typer.echo("People:")
    for p in view.people:
        pr = " [parental responsibility]" if p.id in view.pr_holder_ids else ""
        born = f", born {p.date_of_birth:%d %b %Y}" if p.date_of_birth else ""
        typer.echo(f"  {p.id}: {p.full_name} ({p.relationship_to_child}{born}){pr}")
    typer.echo("Episodes:")
    for ep in view.episodes:
        typer.echo(f"  {ep.id}: {ep.purpose} (started {ep.started_at:%Y-%m-%d})")
    typer.echo("Consent records:")
    for c in view.consents:
        print_consent(session, c, "  ")
    if view.documents:
        typer.echo("Documents:")
        for d in view.documents:
            typer.echo(f"  {d.id}: {d.title} (sha256 {d.sha256[:16]}...)")
    typer.echo("Processes:")
    for i in view.instances:
        typer.echo(f"  #{i.id} {i.process_id}: {i.status}" + (f" ({i.outcome})" if i.outcome else ""))
    if view.open_tasks:
        typer.echo("Open tasks:")
        for t in view.open_tasks:
            typer.echo(f"  {t.task_id}: {t.title} ({t.role})")
    typer.echo("Audit trail:")
    print_audit(view.audit)
