"""Pages: start work on a case (an episode, a manager consultation, a decision to share without consent,
a disclosure record, information received); each takes the user straight to its first task."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from rules.consent import WITHDRAWAL_HOW
from safeshare.core.access import require_case
from safeshare.core.errors import DomainRuleError, FormValidationError, SafeshareError
from safeshare.core.records import ProcessInstance
from safeshare.services import cases, queues, sharing
from safeshare.services import consent as consent_service
from tasks.forms import validate_form
from web.auth import acting, safeshare_app
from web.forms import build_fields, error_summary, parse_post
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.routers.ui_cases import render_case
from web.templating import render

router = APIRouter(include_in_schema=False)
ACTIONS = {"episodes", "consultations", "shares-without-consent", "disclosures", "received-information"}


def _optional_int(form: FormData, name: str) -> int | None:
    raw = str(form.get(name, "")).strip()
    return int(raw) if raw.isdigit() else None


def _start(request: Request, case_id: int, form: FormData, action: str) -> Response:
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            instance: ProcessInstance
            if action == "episodes":
                instance = cases.start_episode(app, session, user, case_id, str(form.get("purpose", "")).strip())
            elif action == "consultations":
                instance = sharing.start_manager_consultation(
                    app, session, user, case_id, urgency=str(form.get("urgency", "")),
                    question=str(form.get("question", "")),
                )
            elif action == "shares-without-consent":
                instance = sharing.start_share_without_consent(
                    app, session, user, case_id, episode_id=_optional_int(form, "episode_id"),
                    not_sought_ground=str(form.get("not_sought_ground", "")).strip() or None,
                    not_sought_reason=str(form.get("not_sought_reason", "")).strip() or None,
                )
            elif action == "disclosures":
                instance = sharing.start_disclosure(
                    app, session, user, case_id, share_decision_id=_optional_int(form, "share_decision_id"),
                    episode_id=_optional_int(form, "episode_id"),
                )
            else:
                instance = sharing.start_information_received(app, session, user, case_id)
            task = queues.next_task_in(session, user, instance.id, app.clock.now())
            target = f"/tasks/{task.task_id}" if task else f"/cases/{case_id}"
    except FormValidationError as exc:  # an answer on the start form itself: the error beside its question
        field_errors = {f"{action}-{name}": message for name, message in exc.field_errors.items()}
        anchors = {"episodes-purpose": "#purpose"}
        return render_case(
            request, case_id, status_code=422, field_errors=field_errors,
            values={k: str(v) for k, v in form.items() if k != "csrf_token"},
            error_list=[{"text": m, "href": anchors.get(k, f"#start-{action}")} for k, m in field_errors.items()],
        )
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        text = exc.for_people() if isinstance(exc, DomainRuleError) else (
            f"{exc.message}. {exc.hint}".strip() if exc.hint else exc.message
        )
        return render_case(request, case_id, error_list=[{"text": text, "href": f"#start-{action}"}], status_code=422)
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/start/{action}")
def start(case_id: PathId, action: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    return _start(request, case_id, form, action)


WITHDRAW_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "how": {
            "type": "string",
            "title": "How did the person tell you they are withdrawing their consent?",
            "enum": list(WITHDRAWAL_HOW),
            "x-labels": WITHDRAWAL_HOW,
        },
        "note": {
            "type": "string",
            "title": "What did they say? (optional)",
            "description": "For example, who they no longer want information shared with. They do not have to give "
            "a reason.",
            "maxLength": 4000,
            "format": "textarea",
        },
    },
    "required": ["how"],
    "additionalProperties": False,
}


def _withdraw_page(
    request: Request, case_id: int, consent_id: int, values: dict[str, Any], errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with acting(request, write=False) as (session, user):
        record = consent_service.consent_on_case(session, user, case_id, consent_id)
        case = require_case(session, user, case_id)
        fields = build_fields(WITHDRAW_FORM, values, errors)
        return render(request, "consent_withdraw.html", {
            "title": f"Withdraw consent, case {case.reference}", "section": "cases", "c": case, "consent": record,
            "shares": consent_service.shares_made_on(session, record.id), "fields": fields,
            "error_list": error_summary(fields), "in_force": record.status == "active",
        }, status_code=status_code)


@router.get("/cases/{case_id}/consents/{consent_id}/withdraw")
def withdraw_page(case_id: PathId, consent_id: PathId, request: Request) -> Response:
    return _withdraw_page(request, case_id, consent_id, {}, {})


@router.post("/cases/{case_id}/consents/{consent_id}/withdraw")
def withdraw_consent(
    case_id: PathId, consent_id: PathId, request: Request, form: FormData = Depends(posted_form)
) -> Response:
    """The person withdraws their consent: recorded and audited in one transaction; nothing more is shared on it."""
    app = safeshare_app(request)
    data = parse_post(WITHDRAW_FORM, form)
    try:
        with acting(request) as (session, user):
            validate_form(WITHDRAW_FORM, data)
            consent_service.withdraw_consent(
                session, app.clock, user, case_id, consent_id, how=str(data.get("how") or ""),
                note=str(data.get("note") or ""),
            )
    except FormValidationError as exc:
        return _withdraw_page(request, case_id, consent_id, data, exc.field_errors, 422)
    except DomainRuleError as exc:
        return _withdraw_page(request, case_id, consent_id, data, {"how": exc.for_people()}, 422)
    return RedirectResponse(f"/cases/{case_id}/consents/{consent_id}/withdraw", status_code=303)
