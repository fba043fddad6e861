"""Pages: the management report with charts (and each section as CSV), exports, and document downloads.

The figures come from ``safeshare.services.reports`` (the same numbers ``safeshare
report`` prints); charts are SVG drawn on the server (``safeshare.services.charts``), inline
in the page, so nothing runs in the browser. Documents and exports come from the
services that check need-to-know, restrictions and the stored hash.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from safeshare.core.errors import NotFoundError, SafeshareError
from safeshare.services import documents, exports, reports
from safeshare.services.charts import chart_svg
from web.auth import safeshare_app
from web.dependencies import signed_in
from web.errors import audit_refusal
from web.forms import read_period
from web.params import PathId
from web.routers.api_exports import attachment
from web.templating import render

router = APIRouter(include_in_schema=False)


#: The words of a period's dates on the reports and exports pages, by their parameter names.
PERIOD_WORDS = {"from": "start date", "to": "end date"}


@router.get("/reports")
def report_page(request: Request) -> Response:
    period = read_period(request.query_params, PERIOD_WORDS)
    user = signed_in(request)
    error_list = [{"text": text, "href": f"#{name}-day"} for name, text in period.errors.items()]
    start, end = (None, None) if period.errors else (period.days["from"], period.days["to"])
    try:
        result = reports.report_for(safeshare_app(request), user, start, end, audit_refusal=False)
    except reports.ReportError as exc:  # the page checked the dates: only a client's own address gets here
        error_list = [{"text": f"{exc.message}. {exc.hint}", "href": "#from-day"}]
        result = reports.report_for(safeshare_app(request), user, audit_refusal=False)
        start = end = None
    sections = [
        {"table": t, "chart": Markup(chart_svg(t.chart, t.title, show_title=False)) if t.chart else None}
        for t in result.sections
    ]
    query = "&".join(f"{k}={v}" for k, v in (("from", start), ("to", end)) if v)
    return render(
        request,
        "reports.html",
        {
            "title": "Reports",
            "section": "reports",
            "report": result,
            "sections": sections,
            "typed": period.typed,
            "errors": period.errors,
            "query": query,
            "error_list": error_list,
        },
    )


@router.get("/reports/{section}.csv")
def report_section_csv(section: str, request: Request) -> Response:
    params = request.query_params
    result = reports.report_for(
        safeshare_app(request), signed_in(request), params.get("from"), params.get("to"), audit_refusal=False
    )
    table = result.section(section)
    return attachment(table.to_csv(), "text/csv; charset=utf-8", f"{table.key}.csv")


@router.get("/exports")
def exports_page(request: Request) -> Response:
    """A form that asks for an export; the download itself is a plain GET link (bookmarkable, no state change)."""
    user = signed_in(request)
    may_export = bool({r.value for r in user.roles} & exports.EXPORT_ROLES)
    return render(
        request,
        "exports.html",
        {"title": "Exports", "section": "exports", "may_export": may_export, "errors": {}, "typed": {}},
    )


AUDIENCE_NAME_MISSING = "Enter the name of the agency the export is for"


def _audience_answer(params: dict[str, str]) -> dict[str, str]:
    """The page's "Who is the export for?" answer (a choice, and a name for some choices), as the export's
    ``audience`` filter; a bookmarked ``audience=`` is kept as it is. The server still checks it."""
    kind = params.pop("audience_kind", "")
    names = {k: params.pop(f"audience_name_{k}", "").strip() for k in exports.AUDIENCE_KINDS}
    if kind and "audience" not in params:
        params["audience"] = f"{kind}:{names.get(kind, '')}" if names.get(kind) else kind
    return {"kind": kind or "staff", "name": names.get(kind, "")}


#: Where each of the export page's questions is, for an error's link, and what to say when a value the page
#: offers was changed (a stale page or a tampered one).
EXPORT_FIELDS = {
    "kind": ("#kind", "Select what to export from the list"),
    "format": ("#format", "Select a format from the list"),
    "audience": ("#audience_kind", "Select who the export is for from the list"),
    "audience_name": ("#audience_name_agency", AUDIENCE_NAME_MISSING),
    "agency": ("#agency", "Enter the agency as plain text"),
    "case": ("#case", "Enter the case reference as plain text"),
    "from": ("#from-day", "Enter the start date as a date, for example 27 3 2026"),
    "to": ("#to-day", "Enter the end date as a date, for example 27 3 2026"),
}


UNKNOWN_CHOICE = "The address asked for something this page does not offer: choose your answers again"


def _export_page(request: Request, context: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    """The export page again, each error beside its question and linked from the summary, the answers kept."""
    error_list = [{"text": text, "href": EXPORT_FIELDS.get(name, ("#kind", ""))[0]} for name, text in errors.items()]
    return render(request, "exports.html", {**context, "errors": errors, "error_list": error_list},
                  status_code=status)


@router.get("/exports/download")
def export_download(request: Request) -> Response:
    period = read_period(request.query_params, PERIOD_WORDS)
    params = {k: v for k, v in request.query_params.items() if v != "" and not k.startswith(("from-", "to-"))}
    params |= {k: v for k, v in period.days.items() if v}
    kind = params.pop("kind", "")
    fmt = params.pop("format", "csv")
    audience = _audience_answer(params)
    user = signed_in(request)
    context = {"title": "Exports", "section": "exports", "may_export": True, "audience": audience,
               "given": dict(request.query_params), "typed": period.typed}  # fmt: skip
    errors = dict(period.errors)
    if audience["kind"] == "agency" and not audience["name"]:  # asked beside the question, answers kept
        errors["audience_name"] = AUDIENCE_NAME_MISSING
    if errors:
        return _export_page(request, context, errors, 422)
    try:
        result = exports.export(safeshare_app(request), user, kind, fmt, params, audit_refusal=False)
    except exports.ExportFilterError as exc:
        if exc.field in EXPORT_FIELDS:
            return _export_page(request, context, {exc.field: EXPORT_FIELDS[exc.field][1]}, exc.status_code)
        return _export_page(request, context, {"(page)": UNKNOWN_CHOICE}, exc.status_code)
    except NotFoundError as exc:  # a case this person may not see looks like no case at all
        audit_refusal(request, exc.status_code, exc.message)
        words = f"There is no case {params.get('case', '')[:40]} that you can see: check the case reference"
        return _export_page(request, context, {"case": words}, 404)
    return attachment(result.content, result.media_type, result.filename)


@router.get("/documents/{document_id}.{fmt}")
def document_download(document_id: PathId, fmt: str, request: Request) -> Response:
    """A stored document as PDF (download) or HTML (shown), after its hash is checked."""
    if fmt not in documents.FORMATS:
        raise SafeshareError(f"Unknown document format {fmt!r}", "Use .pdf or .html")
    user = signed_in(request)
    file = documents.fetch_document(safeshare_app(request), user, document_id, fmt, audit_refusal=False)
    if fmt == "pdf":
        return attachment(file.content, file.media_type, file.filename)
    return Response(file.content, media_type=file.media_type, headers={"Cache-Control": "no-store"})
