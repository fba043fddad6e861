"""Pages for police staff: the CSOR and DVDS queue by stage and timescale, one application, and the form
that records a new application's initial contact (stage 1) and starts its process.

The new-application form is described by a JSON Schema, like a task's form, so it is drawn, read back and
checked by the same helpers (:mod:`web.forms`, :func:`tasks.forms.validate_form`) and shows its errors the
same way. The schema is flat (``applicant_name``, ``subject_date_of_birth``, ...) because those helpers draw
top-level fields; a field's prefix (``applicant_``, ``subject_``, ``person_at_risk_``) names the record the
service stores it in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.access import require_case, require_role
from safeshare.core.errors import ConflictError, DomainRuleError, FormValidationError
from safeshare.core.records import OpenTask, Role
from safeshare.services import listing, queues, scheme_closure, scheme_links, scheme_view, schemes
from tasks.forms import validate_form
from web.auth import acting, safeshare_app
from web.forms import FormField, build_fields, error_summary, parse_post
from web.lists import filter_errors, pagination
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)

TIMESCALE_TAGS = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due within a day", "govuk-tag--orange"),
    "on_track": ("On track", "govuk-tag--green"),
    "completed": ("Completed", "govuk-tag--grey"),
}

# The routes people choose between, in their words: the enum values are the service's route names.
ROUTE_CHOICES = {
    "csor": (
        "Child Sex Offender Disclosure Scheme (CSOR)",
        "A member of the public asks about someone who has unsupervised access to a child.",
    ),
    "right_to_ask": (
        "Domestic Violence Disclosure Scheme (DVDS): right to ask",
        "Someone asks about their partner, or the partner of someone they know, because they fear violence.",
    ),
    "right_to_know": (
        "Domestic Violence Disclosure Scheme (DVDS): right to know",
        "Police or a partner agency hold information that someone is at risk from their partner.",
    ),
}

CONCERN_MAX = 4000  # the same limit as the API's NewApplication.concern


def _text(title: str, description: str = "") -> dict[str, Any]:
    return {"type": "string", "title": title, "description": description}


def _lines(title: str, description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "title": title, "description": description}


def _route_requires(route: str, *fields: str, then: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "if": {"properties": {"route": {"const": route}}, "required": ["route"]},
        "then": {"required": list(fields), **(then or {})},
    }


# Stage 1, initial contact (DOMAIN.md "Scheme stages and timescales"): what each route records. The
# route-dependent requirements repeat those of schemes._check_application so that every missing answer is
# named beside its field at once; the service still checks them and its refusal is shown if they ever differ.
NEW_APPLICATION_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "route": {"type": "string", "enum": list(ROUTE_CHOICES), "title": "Which scheme is this?"},
        "applicant_name": _text(
            "Applicant's full name", "Needed for CSOR and DVDS right to ask: the person applying or asking."
        ),
        "applicant_agency": _text(
            "Police team or partner agency",
            "Needed for DVDS right to know: who holds the information that someone is at risk. "
            "Leave blank when a member of the public applies.",
        ),
        "applicant_relationship": _text(
            "Applicant's relationship to the subject or the person at risk",
            "For example: partner, mother of the child, friend of the person at risk.",
        ),
        "applicant_safe_contact": _text(
            "Safe way to contact the applicant",
            "How and when it is safe to get in touch, for example 'mobile, texts only'. "
            "Never a way the subject could see.",
        ),
        "subject_name": _text("Subject's full name", "The person the concern is about."),
        "subject_other_names": _lines("Other names the subject uses", "Previous names, nicknames or aliases."),
        "subject_date_of_birth": _text(
            "Subject's date of birth", "As far as it is known, for example 1 April 1990, or an approximate age."
        ),
        "subject_addresses": _lines("Subject's addresses in the last 5 years", "As far as they are known."),
        "person_at_risk_name": _text(
            "Full name of the person at risk",
            "Needed for DVDS right to ask and right to know. This may be the applicant. "
            "For CSOR, name the children below instead.",
        ),
        "person_at_risk_relationship": _text(
            "Their relationship to the subject", "For example: partner, ex-partner, new partner."
        ),
        "person_at_risk_safe_contact": _text(
            "Safe way to contact the person at risk",
            "How and when it is safe to get in touch with them, if known. Never a way the subject could see.",
        ),
        "children": {
            "type": "array",
            "title": "Each child's details",
            "description": "For CSOR, each child the subject has unsupervised access to: at least one is needed. "
            "For DVDS, any children in the family, so that the decision considers the impact on them.",
            "items": {
                "type": "object",
                "title": "Child",
                "properties": {
                    "name": _text("Full name"),
                    "age": _text("Age or date of birth"),
                    "relationship": _text("Relationship to the subject"),
                    "parents_know": _text("Does each parent know of the application?"),
                },
                "required": ["name"],
                "additionalProperties": False,
            },
        },
        "concern": {
            "type": "string",
            "format": "textarea",
            "maxLength": CONCERN_MAX,
            "title": "What is the concern?",
            "description": "What the applicant is worried about and why, as they describe it. "
            "A crime reported is investigated as a crime.",
        },
        "linked_case": _text(
            "Safeguarding case reference",
            "If a child in the family has a safeguarding case with the partnership, its reference, "
            "for example C-12-1. The child's team is asked to confirm the link. Leave blank if there is none "
            "or you do not know it.",
        ),
    },
    "required": ["route", "subject_name", "concern"],
    "allOf": [
        _route_requires("csor", "applicant_name", "children", then={"properties": {"children": {"minItems": 1}}}),
        _route_requires("right_to_ask", "applicant_name", "person_at_risk_name"),
        _route_requires("right_to_know", "applicant_agency", "person_at_risk_name"),
    ],
    "additionalProperties": False,
}

# The page's sections: a heading each, then its questions (field names of NEW_APPLICATION_FORM).
SECTIONS: list[tuple[str, list[str]]] = [
    ("The scheme", ["route"]),
    ("The applicant", ["applicant_name", "applicant_agency", "applicant_relationship", "applicant_safe_contact"]),
    ("The subject", ["subject_name", "subject_other_names", "subject_date_of_birth", "subject_addresses"]),
    ("The person at risk", ["person_at_risk_name", "person_at_risk_relationship", "person_at_risk_safe_contact"]),
    ("Children", ["children"]),
    ("The concern", ["concern"]),
    ("Link to a safeguarding case", ["linked_case"]),
]
RECORDS = ("applicant", "subject", "person_at_risk")


def _application_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """The service's arguments from the flat form: ``applicant_name`` becomes ``applicant["name"]``.

    Only what was answered is stored, so an application records what the applicant said and nothing
    more; a person at risk with no answers at all is ``None``, as the service expects for CSOR.
    """
    records: dict[str, dict[str, Any]] = {record: {} for record in RECORDS}
    for name, value in data.items():
        record = next((r for r in RECORDS if name.startswith(f"{r}_")), None)
        if record is not None:
            records[record][name.removeprefix(f"{record}_")] = value
    return {
        "route": data["route"],
        "applicant": records["applicant"],
        "subject": records["subject"],
        "person_at_risk": records["person_at_risk"] or None,
        "children": data.get("children", []),
        "concern": data["concern"],
    }


def _readable(errors: dict[str, str], data: dict[str, Any]) -> dict[str, str]:
    """A too-long answer is named by its limit, not echoed back whole in the error summary."""
    concern = data.get("concern")
    if isinstance(concern, str) and len(concern) > CONCERN_MAX:
        errors = errors | {"concern": f"Use {CONCERN_MAX:,} characters or fewer (this has {len(concern):,})"}
    return errors


def _sections(fields: list[FormField]) -> list[dict[str, Any]]:
    by_name = {f.name: f for f in fields}
    return [{"title": title, "fields": [by_name[n] for n in names]} for title, names in SECTIONS]


def _new_application_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    summary: list[dict[str, str]] | None = None,
) -> Response:
    with acting(request, write=False) as (_session, user):
        schemes.require_police_staff(user)
        fields = build_fields(NEW_APPLICATION_FORM, values, errors)
        for f in fields:
            if f.name == "route":
                f.options = [(value, label) for value, (label, _) in ROUTE_CHOICES.items()]
                f.option_hints = {value: hint for value, (_, hint) in ROUTE_CHOICES.items()}
        return render(
            request,
            "scheme_new.html",
            {
                "title": "Start an application",
                "section": "police",
                "sections": _sections(fields),
                "notes": [f for f in fields if f.kind == "note"],
                "error_list": summary or error_summary(fields),
            },
            status_code=status_code,
        )


@router.get("/queues/police")
def police_queue(request: Request, scheme: str = "", stage: str = "", overdue: str = "", page: str = "") -> Response:
    """The queue, filtered by scheme, by the stage it waits at, and to the overdue ones only (issue 14, item 10),
    a page at a time; a filter value not offered is an error on the page (issue 12)."""
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        rows = queues.police_queue(session, user, app.clock.now())
        stages = sorted({r.stage for r in rows if r.status != "completed"})
        context: dict[str, Any] = {
            "title": "Police queue", "section": "police", "tags": TIMESCALE_TAGS, "rows": [],
            "scheme_choices": listing.SCHEMES, "stage_choices": stages, "errors": {},
            "filters": listing.QueueFilters(),
        }
        try:
            filters = listing.queue_filters(scheme, stage, overdue)
            shown = listing.paginate(listing.filter_queue(rows, filters), listing.page_number(page))
        except FormValidationError as exc:
            context |= {"errors": exc.field_errors, "error_list": filter_errors(exc), "filtered": True}
            return render(request, "police_queue.html", context, status_code=400)
        return render(request, "police_queue.html", context | {
            "stage_choices": sorted(set(stages) | ({filters.stage} - {""})), "rows": shown.items, "page": shown,
            "pager": pagination(request, shown), "filters": filters,
            "filtered": filters.any,
        })


@router.get("/schemes/new")
def new_application_page(request: Request) -> Response:
    """The initial-contact form (declared before ``/schemes/{id}``, which would otherwise take "new")."""
    return _new_application_page(request, {}, {})


@router.post("/schemes/new")
def start_application(request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Record the application and start its process in one transaction; a refused form writes nothing."""
    app = safeshare_app(request)
    data = parse_post(NEW_APPLICATION_FORM, form)
    try:
        with acting(request) as (session, user):
            schemes.require_police_staff(user)
            validate_form(NEW_APPLICATION_FORM, data)
            # R31: the child's team is asked to confirm; the page says the same whether or not the case exists
            application, _instance = schemes.start_application(
                app, session, user, case_reference=data.get("linked_case"), **_application_arguments(data)
            )
            target = f"/schemes/{application.id}"
    except FormValidationError as exc:
        return _new_application_page(request, data, _readable(exc.field_errors, data), 422)
    except DomainRuleError as exc:
        return _new_application_page(request, data, {}, 422, [{"text": str(exc), "href": "#route"}])
    return RedirectResponse(target, status_code=303)


@router.get("/schemes/{application_id}")
def application_page(application_id: PathId, request: Request) -> Response:
    with acting(request) as (session, user):  # the view is written to the audit trail
        application = schemes.view_application(safeshare_app(request), session, user, application_id)
        tasks = list(session.scalars(select(OpenTask).where(OpenTask.instance_id == application.instance_id)))
        return render(request, "scheme.html", {
            "title": application.reference, "section": "police", "a": application, "tasks": tasks,
            **scheme_view.summary_facts(session, application, safeshare_app(request).clock.now()),
            "breaches": scheme_links.breaches_of(session, application),
            "history": scheme_view.stage_history(session, application),
            "documents": scheme_view.scheme_documents(session, application),
        })


CLOSE_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "who": {
            "type": "string",
            "enum": list(scheme_closure.WHO_CLOSES),
            "title": "Who is ending the application?",
            "description": "applicant_withdrew: the applicant asked us to stop. "
            "police_closed: police are closing it, for example the subject has left the area.",
        },
        "reason": {
            "type": "string",
            "format": "textarea",
            "minLength": 10,
            "title": "Why is it ending?",
            "description": "In plain words: this goes in the letter.",
        },
        "safe_contact": _text(
            "Safe way to send the letter", "Leave blank to use the safe way recorded at first contact."
        ),
    },
    "required": ["who", "reason"],
    "additionalProperties": False,
}


def _close_page(
    request: Request, application_id: int, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        application = schemes.get_application(session, user, application_id)
        schemes.require_police_staff(user)
        fields = build_fields(CLOSE_FORM, values, errors)
        for f in fields:
            if f.name == "who":
                f.options = [
                    ("applicant_withdrew", "The applicant withdrew it"),
                    ("police_closed", "Police are closing it"),
                ]
        return render(request, "scheme_close.html", {
            "title": f"End application {application.reference}", "section": "police", "a": application,
            "fields": fields, "error_list": error_summary(fields),
        }, status_code=status_code)


@router.get("/schemes/{application_id}/close")
def close_page(application_id: PathId, request: Request) -> Response:
    return _close_page(request, application_id, {}, {})


@router.post("/schemes/{application_id}/close")
def close_application(
    application_id: PathId, request: Request, form: FormData = Depends(posted_form)
) -> Response:
    """Withdrawn or closed at any stage: the reason, the letter and the end of the process in one transaction."""
    app = safeshare_app(request)
    data = parse_post(CLOSE_FORM, form)
    try:
        with acting(request) as (session, user):
            validate_form(CLOSE_FORM, data)
            scheme_closure.close_application(
                app, session, user, application_id, who=data["who"], reason=data["reason"],
                safe_contact=data.get("safe_contact", ""),
            )
    except FormValidationError as exc:
        return _close_page(request, application_id, data, exc.field_errors, 422)
    except DomainRuleError as exc:
        return _close_page(request, application_id, data, {"safe_contact": exc.message.rsplit(" (R", 1)[0]}, 422)
    return RedirectResponse(f"/schemes/{application_id}", status_code=303)


# -- h/police: R45, a suspected breach of the undertaking goes to a police supervisor's decision ---------------

BREACH_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "what_happened": {
            "type": "string",
            "format": "textarea",
            "minLength": 10,
            "maxLength": 4000,
            "title": "What is the suspected breach?",
            "description": "Who may have been told what, and when, as far as you know.",
        },
        "how_it_came_to_light": {
            "type": "string",
            "format": "textarea",
            "minLength": 5,
            "maxLength": 2000,
            "title": "How did it come to light?",
            "description": "For example, who told you and when.",
        },
    },
    "required": ["what_happened", "how_it_came_to_light"],
    "additionalProperties": False,
}


def _application_form_page(
    request: Request,
    application_id: int,
    page: tuple[str, str, dict[str, Any]],
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """A short form about one application (a breach to report, a case to link): template, title and schema."""
    template, title, schema = page
    with acting(request, write=False) as (session, user):
        schemes.require_police_staff(user)
        application = schemes.get_application(session, user, application_id)
        fields = build_fields(schema, values, errors)
        return render(
            request,
            template,
            {
                "title": f"{title}, {application.reference}",
                "section": "police",
                "a": application,
                "fields": fields,
                "error_list": error_summary(fields),
            },
            status_code=status_code,
        )


BREACH_PAGE = ("scheme_breach.html", "Report a suspected breach", BREACH_FORM)


def _breach_page(
    request: Request, application_id: int, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return _application_form_page(request, application_id, BREACH_PAGE, values, errors, status_code)


@router.get("/schemes/{application_id}/breach")
def breach_page(application_id: PathId, request: Request) -> Response:
    return _breach_page(request, application_id, {}, {})


@router.post("/schemes/{application_id}/breach")
def report_breach(application_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Record the suspected breach and send it to a police supervisor, in one transaction."""
    app = safeshare_app(request)
    data = parse_post(BREACH_FORM, form)
    try:
        with acting(request) as (session, user):
            validate_form(BREACH_FORM, data)
            scheme_links.report_breach(
                app,
                session,
                user,
                application_id,
                what_happened=data["what_happened"],
                how_it_came_to_light=data["how_it_came_to_light"],
            )
    except FormValidationError as exc:
        return _breach_page(request, application_id, data, exc.field_errors, 422)
    except DomainRuleError as exc:
        return _breach_page(request, application_id, data, {"what_happened": exc.message.rsplit(" (R", 1)[0]}, 422)
    return RedirectResponse(f"/schemes/{application_id}", status_code=303)


# -- h/police: R31 at any stage, police staff ask to link a running application to a child's case -------------

LINK_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "case_reference": {
            "type": "string",
            "minLength": 1,
            "maxLength": 80,
            "title": "Safeguarding case reference",
            "description": "The reference the family or the child's team gave you, for example C-12-1. "
            "The child's team is asked to confirm the link; until they do, nothing is linked.",
        },
    },
    "required": ["case_reference"],
    "additionalProperties": False,
}
LINK_PAGE = ("scheme_link.html", "Link to a child's safeguarding case", LINK_FORM)


@router.get("/schemes/{application_id}/link")
def link_page(application_id: PathId, request: Request) -> Response:
    return _application_form_page(request, application_id, LINK_PAGE, {}, {})


@router.post("/schemes/{application_id}/link")
def ask_case_link(application_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Ask the case's team to confirm, at any stage; the page says the same whether or not the case exists."""
    app = safeshare_app(request)
    data = parse_post(LINK_FORM, form)
    try:
        with acting(request) as (session, user):
            validate_form(LINK_FORM, data)
            scheme_links.request_case_link(app, session, user, application_id, data["case_reference"])
    except FormValidationError as exc:
        return _application_form_page(request, application_id, LINK_PAGE, data, exc.field_errors, 422)
    except (DomainRuleError, ConflictError) as exc:
        message = {"case_reference": exc.message.rsplit(" (R", 1)[0]}
        return _application_form_page(request, application_id, LINK_PAGE, data, message, 422)
    return RedirectResponse(f"/schemes/{application_id}", status_code=303)


# -- h/police: R29, a partner agency (a practitioner on the case) asks the police to consider right to know --------

RIGHT_TO_KNOW_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "person_at_risk_name": _text(
            "Full name of the person you believe is at risk", "For example, the child's mother."
        ),
        "person_at_risk_relationship": _text(
            "Their relationship to the person they are at risk from", "For example: partner, ex-partner."
        ),
        "person_at_risk_safe_contact": _text(
            "Safe way for the police to contact them",
            "How and when it is safe, if you know. Never a way the other person could see.",
        ),
        "subject_name": _text("Full name of the person they are at risk from", "As far as you know it."),
        "subject_date_of_birth": _text("Their date of birth, if known", "For example 1 April 1990, or an age."),
        "concern": {
            "type": "string",
            "format": "textarea",
            "minLength": 10,
            "maxLength": CONCERN_MAX,
            "title": "Why do you believe they are at risk?",
            "description": "What your agency knows or has seen. The police check their own records and decide.",
        },
        "contact": _text("How can the police reach you?", "Your phone number or email, for the police to follow up."),
    },
    "required": ["person_at_risk_name", "subject_name", "concern", "contact"],
    "additionalProperties": False,
}


def _right_to_know_page(
    request: Request, case_id: int, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        case = require_case(session, user, case_id)
        require_role(user, Role.PRACTITIONER)
        fields = build_fields(RIGHT_TO_KNOW_FORM, values, errors)
        return render(
            request,
            "scheme_right_to_know.html",
            {
                "title": "Ask the police to consider a disclosure (right to know)",
                "section": "cases",
                "c": case,
                "fields": fields,
                "error_list": error_summary(fields),
            },
            status_code=status_code,
        )


@router.get("/cases/{case_id}/right-to-know")
def right_to_know_page(case_id: PathId, request: Request) -> Response:
    return _right_to_know_page(request, case_id, {}, {})


@router.post("/cases/{case_id}/right-to-know")
def ask_right_to_know(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Start the police's right-to-know application from the case, linked to it, in one transaction."""
    app = safeshare_app(request)
    data = parse_post(RIGHT_TO_KNOW_FORM, form)
    try:
        with acting(request) as (session, user):
            validate_form(RIGHT_TO_KNOW_FORM, data)
            records: dict[str, dict[str, Any]] = {"subject": {}, "person_at_risk": {}}
            for name, value in data.items():
                for record in records:
                    if name.startswith(f"{record}_"):
                        records[record][name.removeprefix(f"{record}_")] = value
            schemes.ask_police_right_to_know(
                app, session, user, case_id, concern=data["concern"], contact=data["contact"], **records
            )
    except FormValidationError as exc:
        return _right_to_know_page(request, case_id, data, exc.field_errors, 422)
    except DomainRuleError as exc:
        return _right_to_know_page(request, case_id, data, {"contact": exc.message.rsplit(" (R", 1)[0]}, 422)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
