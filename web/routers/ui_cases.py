"""Pages: the cases I may see, a case (audited view), and a process diagram with its state."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from rules.data_protection import describe as describe_data_protection
from rules.scope import scope_words
from rules.sharing import ALL_GROUND_LABELS, PUBLIC_INTERESTS
from safeshare.core.errors import FormValidationError
from safeshare.core.records import Case, Role, ShareDecision
from safeshare.services import cancellation, consent, listing, queues, referrals, sharing
from safeshare.services.case_view import view_case
from safeshare.services.task_context import DECISION, case_choices, describe_legal_basis
from web.auth import acting, safeshare_app
from web.lists import filter_errors, pagination
from web.params import PathId
from web.templating import render

#: A decision to share without consent, in words (its outcome, as recorded).
OUTCOMES = DECISION  # a decision's outcome in words: one home, shared with the task pages
CONSENT_STATUS = {"refused": "Refused", "not_sought": "Not sought", "none": "None on the case"}
TOLD = {
    "told": "Yes, before the information was shared",
    "not_told_crime_investigation": "No: telling them would prejudice a crime investigation",
    "not_told_risk_of_harm": "No: telling them would put someone at risk of harm",
    "not_possible": "No: they could not be reached in time",
}


def decision_rows(d: ShareDecision) -> list[dict[str, Any]]:
    """The summary-list rows of one decision to share without consent: what was decided and on what basis
    (the reasons that apply, the law or court order, or the public-interest judgement itself), in words."""
    rows = [
        ("Consent", CONSENT_STATUS.get(d.consent_status, d.consent_status)),
        ("Decision", OUTCOMES.get(d.outcome, d.outcome)),
    ]
    if d.grounds:
        rows.append(("Reasons for sharing without consent", "; ".join(ALL_GROUND_LABELS.get(g, g) for g in d.grounds)))
    if d.legal_basis:
        rows.append(("Required by", describe_legal_basis(d.legal_basis)))
    if d.public_interest:
        interests = "; ".join(PUBLIC_INTERESTS.get(i, i) for i in d.public_interest.get("interests") or [])
        rows.append(("Public interest at stake", interests or "Not recorded"))
        rows.append(("Why sharing is justified in the public interest", d.public_interest.get("judgement") or ""))
    if d.recipients:
        rows.append(
            (
                "Who would receive it",
                "; ".join(
                    r.get("agency", "") + (f" ({r['contact']})" if r.get("contact") else "") for r in d.recipients
                ),
            )
        )
    if d.what_to_share:
        rows.append(("What would be shared", d.what_to_share))
    if d.outcome in ("share", "must_share"):
        covers, purposes = scope_words(d.scope)
        rows.append(("Information it covers", covers))
        rows.append(("What it may be shared for", purposes))
    rows.append(("Reasons", d.reasons or "Not recorded"))
    if d.informed_outcome:
        told = TOLD.get(d.informed_outcome, d.informed_outcome)
        rows.append(("Was the person told?", told + (f". {d.informed_note}" if d.informed_note else "")))
    return [{"key": {"text": k}, "value": {"text": v}} for k, v in rows]


router = APIRouter(include_in_schema=False)


@router.get("/cases")
def cases_page(request: Request, q: str = "", page: str = "") -> Response:
    """The cases I work on, newest first, searched by reference or a person's name, a page at a time."""
    with acting(request, write=False) as (session, user):
        context: dict[str, object] = {"title": "Cases", "section": "cases", "query": q[:200], "errors": {}}
        try:
            found = listing.search_cases(session, user, q, page)
        except FormValidationError as exc:
            context |= {"page": None, "errors": exc.field_errors, "error_list": filter_errors(exc)}
            return render(request, "cases.html", context, status_code=400)
        if q.strip():
            context["title"] = f"Cases matching {listing.search_text(q)}"
        return render(request, "cases.html", context | {"page": found, "pager": pagination(request, found)})


@router.get("/cases/{case_id}")
def case_page(case_id: PathId, request: Request) -> Response:
    return render_case(request, case_id)


def render_case(
    request: Request,
    case_id: int,
    error_list: list[dict[str, str]] | None = None,
    status_code: int = 200,
    field_errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The case page (an audited view); also re-shown with errors when starting work on it was refused
    (``field_errors`` by "<action>-<question>", beside the question, with the answers given in ``values``)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        view = view_case(app, session, user, case_id)
        names = {p.id: p.full_name for p in view.people}
        return render(
            request,
            "case.html",
            {
                "title": f"Case {view.case.reference}",
                "section": "cases",
                "view": view,
                "people_names": names,
                "restrictions": queues.active_restrictions(session, case_id),
                "disclosures": sharing.disclosures(session, user, case_id),
                "received": sharing.received_information_for(session, user, case_id),
                "decisions": sharing.share_decisions(session, user, case_id),
                "advice": sharing.manager_advice(session, user, case_id),
                "competence": consent.competence_history(session, user, case_id),
                "agency_requests": referrals.agency_requests(session, user, case_id),
                "answer_outcomes": referrals.ANSWER_OUTCOMES,
                "decision_rows": decision_rows,
                "data_protection_words": describe_data_protection,
                "scope_words": scope_words,
                "is_practitioner": Role.PRACTITIONER in user.roles,
                "error_list": error_list or [],
                # h/lists (issue 12): cancelled processes in words, who may cancel, views folded from the trail
                "cancelled": cancellation.cancellations(view.audit),
                "may_cancel": {i.id for i in view.instances if cancellation.may_cancel(user, view.case, i)},
                "view_events": sorted(listing.AUDIT_KINDS["views"][1]),
                "field_errors": field_errors or {},
                "values": values or {},
                "basis_choices": case_choices(session, case_id)["decisions"],
                "has_consent": any(
                    r.status == "active" and r.outcome in ("given", "given_with_restrictions") for r in view.consents
                ),
            },
            status_code=status_code,
        )


def _script_json(value: object) -> str:
    """JSON safe to place inside a <script> element (no closing tag can appear)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@router.get("/processes/{instance_id}/diagram")
def diagram_page(instance_id: PathId, request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        state = queues.diagram_state(app, session, user, instance_id)
        case = session.get(Case, state.instance.case_id) if state.instance.case_id else None
        payload = {"bpmn_xml": state.bpmn_xml, "done": state.done, "current": state.current, "overdue": state.overdue}
        return render(
            request,
            "diagram.html",
            {
                "title": f"Process {instance_id}",
                "section": "cases",
                "state": state,
                "case": case,
                "state_json": _script_json(payload),
            },
        )
