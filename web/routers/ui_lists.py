"""Pages (issue 12): a case's audit trail, filtered by kind of event with views folded away, a page at a time;
and cancelling a process that is no longer needed, with its reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.access import require_case
from safeshare.core.errors import FormValidationError
from safeshare.services import listing
from safeshare.services.cancellation import REASON_MAX, cancel_process, cancellable, process_name
from web.auth import acting, safeshare_app
from web.lists import filter_errors, pagination
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/cases/{case_id}/audit")
def case_audit_page(case_id: PathId, request: Request, kind: str = "", page: str = "") -> Response:
    """The trail, newest first. Reading it is a view of the case, and is written to it."""
    app = safeshare_app(request)
    context: dict[str, Any] = {"section": "cases", "kinds": listing.AUDIT_CHOICES, "errors": {}}
    try:
        with acting(request) as (session, user):
            found = listing.case_audit(app, session, user, case_id, kind, page)
            return render(
                request,
                "case_audit.html",
                context
                | {
                    "title": f"Audit trail of case {found.case.reference}",
                    "trail": found,
                    "case": found.case,
                    "page": found.events,
                    "pager": pagination(request, found.events),
                },
            )
    except FormValidationError as exc:  # nothing was written: the view is recorded only when it is shown
        with acting(request, write=False) as (session, user):
            case = require_case(session, user, case_id)
            return render(
                request,
                "case_audit.html",
                context
                | {
                    "title": f"Audit trail of case {case.reference}",
                    "trail": None,
                    "case": case,
                    "errors": exc.field_errors,
                    "error_list": filter_errors(exc),
                    "chosen": kind,
                },
                status_code=400,
            )


def _cancel_page(
    request: Request, instance_id: int, reason: str = "", errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        instance, case = cancellable(session, user, instance_id)
        return render(
            request,
            "process_cancel.html",
            {
                "title": f"Cancel {process_name(instance.process_id).lower()}",
                "section": "cases",
                "instance": instance,
                "case": case,
                "name": process_name(instance.process_id),
                "reason": reason,
                "errors": errors or {},
                "reason_max": REASON_MAX,
                "error_list": [{"text": m, "href": f"#{k}"} for k, m in (errors or {}).items()],
            },
            status_code=status_code,
        )


@router.get("/processes/{instance_id}/cancel")
def cancel_page(instance_id: PathId, request: Request) -> Response:
    """Asks why; offered only to those who may cancel (anyone else is refused here too)."""
    return _cancel_page(request, instance_id)


@router.post("/processes/{instance_id}/cancel")
def cancel(instance_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Cancel in one transaction; a missing reason is shown beside the box and writes nothing."""
    app = safeshare_app(request)
    raw = form.get("reason")
    reason = raw if isinstance(raw, str) else ""
    try:
        with acting(request) as (session, user):
            instance = cancel_process(app, session, user, instance_id, reason)
            target = f"/cases/{instance.case_id}?cancelled={instance.id}#processes"
    except FormValidationError as exc:
        return _cancel_page(request, instance_id, reason[: REASON_MAX + 100], exc.field_errors, 422)
    return RedirectResponse(target, status_code=303)
