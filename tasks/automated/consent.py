"""Recording the outcome of seeking consent, and the written consent form (R2 to R9)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from notifications.documents import store_document
from rules import enforce
from rules.consent import consent_in_writing, restriction_text, restrictions_are_consistent
from rules.scope import scope_is_named, scope_record
from safeshare.core.audit import record_event
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import Case, ConsentRecord, Episode, Person, User
from safeshare.services.consent import close_earlier_episodes
from workflows.context import ServiceContext

GIVEN = ("given", "given_with_restrictions")


def _check_consenting_person(data: dict[str, Any]) -> None:
    """The person who consents must be the one the consent-authority decision names (R2, R3)."""
    consent_from = data.get("consent_from")
    person_id = data.get("consenting_person_id")
    child_id = data["child_person_id"]
    if consent_from in ("young_person", "child", "adult"):
        if person_id != child_id:
            rule = "R3" if consent_from == "child" else "R2"
            raise DomainRuleError(
                rule,
                f"Only the {'child' if consent_from == 'child' else 'young person'} may give or withhold consent "
                "here, whatever the parents think",
                "Record the child's own decision as the consenting person",
            )
    elif consent_from == "person_with_pr":
        if person_id not in data.get("pr_holder_ids", []):
            rule = "R3" if data.get("child_competent") is False else "R2"
            raise DomainRuleError(
                rule,
                "For a child under 16 who is not judged competent, consent must come from a person with "
                "parental responsibility",
                "Choose a person with parental responsibility, or record the child's competence first",
            )
    else:
        raise DomainRuleError("R2", "Who may consent has not been decided", "Run the consent-authority decision")


def _signature(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("consent_signature") == "typed_name":
        return {"method": "typed_name", "name": data.get("signed_name"), "on": data.get("signed_on")}
    return {"method": "verbal_with_witness", "witness": data.get("witness_name")}


def _sought_again(ctx: ServiceContext, active: ConsentRecord) -> bool:
    """R1, R18: the practitioner decided (perhaps on a manager's advice) to seek consent first, so this same
    consent-seeking run asks again; the refusal or the reason for not seeking it gives way to the new answer.
    Consent given stays in force: only a significant change or a withdrawal ends it."""
    return active.instance_id == ctx.instance.id and active.outcome not in GIVEN


def record_consent(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """Write the consent record for this episode, refusing anything the procedure forbids."""
    outcome = data["consent_outcome"]
    if not data.get("consent_from"):
        raise DomainRuleError(
            "R2",
            "Who may consent could not be decided from the child's age and competence",
            "Record the competence judgement for a child under 16, then try again",
        )
    if not data.get("understanding_confirmed") and outcome != "not_sought":
        raise DomainRuleError(
            "R5",
            "Consent must be informed: the person's understanding was not confirmed",
            "Explain again and confirm they understood, or record that consent was not sought",
        )
    if outcome in GIVEN and not data.get("recipients"):
        raise DomainRuleError(
            "R6",
            "Consent must name the recipients; silence is not consent",
            "List each agency the information may go to",
        )
    choices = list(data.get("restriction_choices") or []) if outcome in GIVEN else []
    notes = [str(n) for n in data.get("restrictions") or []] if outcome in GIVEN else []
    if outcome == "given_with_restrictions" and not (choices or notes):
        raise DomainRuleError(
            "R7",
            "Consent with restrictions needs the restrictions recorded",
            "Choose each restriction, or write what the person asked for",
        )
    enforce(restrictions_are_consistent(data.get("recipients") or [], choices, notes))
    if outcome in GIVEN:
        enforce(scope_is_named(data.get("information_covered"), data.get("purposes_covered"),
                               ("information_covered", "purposes_covered")))
    if outcome != "not_sought":
        _check_consenting_person(data)
    person = ctx.session.get(Person, data.get("consenting_person_id")) if data.get("consenting_person_id") else None
    enforce(
        consent_in_writing(
            outcome,
            data.get("consent_signature"),
            data.get("signed_name"),
            data.get("signed_on"),
            data.get("witness_name"),
            data.get("copy_given"),
            person.full_name if person else None,
            ctx.clock.now().date(),
        )
    )
    episode = ctx.session.get(Episode, data["episode_id"])
    if episode is None or episode.case_id != ctx.case_id:
        raise DomainRuleError("R9", "The episode of work for this consent no longer exists", "Start a new episode")
    active = ctx.session.scalar(
        select(ConsentRecord).where(ConsentRecord.episode_id == episode.id, ConsentRecord.status == "active")
    )
    if active is not None and _sought_again(ctx, active):
        active.status = "superseded"
        active.superseded_at = ctx.clock.now()
        active.superseded_reason = "Consent sought again after the decision to seek consent first"
        record_event(
            ctx.session,
            ctx.clock,
            ctx.actor,
            "consent_superseded",
            "Consent sought again after the decision to seek consent before sharing without it",
            case_id=ctx.case_id,
            detail={"episode_id": episode.id, "superseded_consent_id": active.id},
        )
        ctx.session.flush()
    elif active is not None:
        raise DomainRuleError(
            "R9",
            f"Episode {episode.id} already has consent recorded (record {active.id})",
            "Record a significant change to seek fresh consent",
        )
    competence = None
    if data.get("child_competent") is not None:
        competence = {
            "child_competent": data["child_competent"],
            "reasons": data.get("competence_reasons"),
            "manager_agrees": data.get("manager_agrees_competence"),
            "manager_advice": data.get("competence_advice"),
        }
        if data.get("competence_response") == "stand_by" and data.get("manager_agrees_competence") is False:
            # R4: the judgement is the practitioner's, informed by advice: they stood by it, with reasons.
            competence["stood_by"] = True
            competence["stand_by_reasons"] = data.get("competence_stand_by_reasons")
    assert ctx.actor is not None, "consent is recorded by the practitioner completing the task"
    record = ConsentRecord(
        case_id=episode.case_id,
        episode_id=episode.id,
        instance_id=ctx.instance.id,
        outcome=outcome,
        consent_from=data["consent_from"],
        consenting_person_id=data.get("consenting_person_id") if outcome != "not_sought" else None,
        recipients=data.get("recipients", []) if outcome in GIVEN else [],
        restrictions=[restriction_text(c) for c in choices] + notes,
        restriction_choices=choices or None,
        scope=scope_record(data.get("information_covered"), data.get("purposes_covered")) if outcome in GIVEN
        else None,
        signature=_signature(data) if outcome in GIVEN else None,
        copy_given=data.get("copy_given") if outcome in GIVEN else None,
        explanation={k: data.get(f"explained_{k}") for k in ("what", "how", "why", "with_whom", "when")},
        understanding_confirmed=bool(data.get("understanding_confirmed")),
        competence=competence,
        not_sought_reason=data.get("not_sought_reason"),
        not_sought_ground=data.get("not_sought_ground"),
        recorded_at=ctx.clock.now(),
        recorded_by_id=ctx.actor.id,
    )
    ctx.session.add(record)
    ctx.session.flush()
    closed = close_earlier_episodes(ctx.session, ctx.clock, episode)
    summary = {
        "given": "Consent given",
        "given_with_restrictions": "Consent given with restrictions",
        "refused": "Consent refused",
        "not_sought": "Consent not sought",
    }[outcome]
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "consent_recorded",
        f"{summary} (record {record.id})",
        case_id=episode.case_id,
        detail={
            "consent_id": record.id,
            "outcome": outcome,
            "consent_from": record.consent_from,
            "recipients": [r["agency"] for r in record.recipients],
            "restrictions": record.restrictions,
            "episodes_closed": closed,
        },
    )
    return record.id


def produce_consent_form(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """The written consent form (R8): kept on the case, with a copy for the person."""
    record = ctx.session.get(ConsentRecord, data["consent_record_id"])
    assert record is not None
    case = ctx.session.get(Case, record.case_id)
    episode = ctx.session.get(Episode, record.episode_id)
    child = ctx.session.get(Person, data["child_person_id"])
    person = ctx.session.get(Person, record.consenting_person_id)
    practitioner = ctx.session.get(User, record.recorded_by_id)
    document = store_document(
        ctx.session,
        ctx.clock,
        case_id=record.case_id,
        kind="consent_form",
        title=f"Consent form, record {record.id}",
        context={
            "case": case,
            "episode": episode,
            "consent": record,
            "child": child,
            "consenting_person": person,
            "practitioner": practitioner,
            "consent_basis": data.get("consent_basis", ""),
        },
        actor=ctx.actor,
        source_record_id=record.id,
    )
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "document_produced",
        f"Consent form produced (document {document.id}); copy for {person.full_name if person else 'the person'}",
        case_id=record.case_id,
        detail={"document_id": document.id, "sha256": document.sha256},
    )
    return document.id
