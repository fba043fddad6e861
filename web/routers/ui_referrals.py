"""Pages: refer a child to children's social care from the case (P9), record a request from another
agency (P10), and the case's chronology as a page and a CSV file (R40)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import DomainRuleError, FormValidationError, SafeshareError
from safeshare.core.records import Role
from safeshare.services import chronology, queues, referrals
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.routers.ui_cases import render_case
from web.templating import render

router = APIRouter(include_in_schema=False)


def _refused(request: Request, case_id: int, exc: SafeshareError, anchor: str) -> Response:
    text = (
        exc.for_people()
        if isinstance(exc, DomainRuleError)
        else (f"{exc.message}. {exc.hint}".strip() if exc.hint else exc.message)
    )
    return render_case(request, case_id, error_list=[{"text": text, "href": anchor}], status_code=422)


@router.post("/cases/{case_id}/referrals")
def start_referral(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Refer the child; on immediate risk the first page says to act now (R41)."""
    app = safeshare_app(request)
    answer = str(form.get("immediate_risk", ""))
    if answer not in ("yes", "no"):
        error = DomainRuleError("R41", "Say whether a child is at immediate risk of harm now", "Choose yes or no")
        return _refused(request, case_id, error, "#immediate_risk-1")
    try:
        with acting(request) as (session, user):
            instance = referrals.start_referral(app, session, user, case_id, immediate_risk=answer == "yes")
            task = queues.next_task_in(session, user, instance.id, app.clock.now())
            target = f"/tasks/{task.task_id}" if task else f"/cases/{case_id}"
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _refused(request, case_id, exc, "#start-referral")
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/agency-requests")
def start_agency_request(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Record a request from another agency (R46) and go to answering it; or send ours (``direction``
    outbound) and come back to the case, where its reference and the wait for the answer are shown."""
    app = safeshare_app(request)
    direction = "outbound" if form.get("direction") == "outbound" else "inbound"
    anchor = "#send-agency-request" if direction == "outbound" else "#start-agency-request"
    try:
        with acting(request) as (session, user):
            instance = referrals.start_agency_request(
                app,
                session,
                user,
                case_id,
                **{
                    name: str(form.get(name, ""))
                    for name in ("agency", "contact", "purpose", "lawful_basis", "asked", "due")
                },
                direction=direction,
            )
            task = queues.next_task_in(session, user, instance.id, app.clock.now())
            target = f"/tasks/{task.task_id}" if task else f"/cases/{case_id}#agency-requests"
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _refused(request, case_id, exc, anchor)
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/agency-requests/answers")
def record_agency_answer(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Record another agency's answer to a request we sent: delivered to the process waiting under the
    request's reference (R46)."""
    app = safeshare_app(request)
    reference = str(form.get("reference", ""))
    try:
        with acting(request) as (session, user):
            referrals.record_agency_answer(
                app,
                session,
                user,
                reference,
                **{name: str(form.get(name, "")) for name in ("outcome", "text", "answered_by")},
            )
    except FormValidationError as exc:
        return render_case(
            request,
            case_id,
            error_list=[{"text": m, "href": f"#answer-{reference}-{f}"} for f, m in exc.field_errors.items()],
            status_code=422,
            field_errors={f"answer-{reference}-{f}": m for f, m in exc.field_errors.items()},
            values={f"answer-{reference}-{k}": str(form.get(k, "")) for k in ("outcome", "text", "answered_by")},
        )
    except SafeshareError as exc:
        if exc.status_code in (401, 403):
            raise
        return _refused(request, case_id, exc, "#agency-requests")
    return RedirectResponse(f"/cases/{case_id}#agency-requests", status_code=303)


@router.get("/cases/{case_id}/chronology")
def chronology_page(case_id: PathId, request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        case, found = chronology.view(session, app.clock, user, case_id)
        return render(
            request,
            "chronology.html",
            {
                "title": f"Chronology of case {case.reference}",
                "section": "cases",
                "case": case,
                "entries": found,
                "is_practitioner": Role.PRACTITIONER in user.roles,
            },
        )


@router.get("/cases/{case_id}/chronology.csv")
def chronology_csv(case_id: PathId, request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        name, content = chronology.export_csv(session, app.clock, user, case_id)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
