"""Pages: the management report with charts (and each section as CSV), exports, and document downloads.

The figures come from ``safeshare.services.reports`` (the same numbers ``safeshare
report`` prints); charts are SVG drawn on the server (``safeshare.services.charts``), inline
in the page, so nothing runs in the browser. Documents and exports come from the
services that check need-to-know, restrictions and the stored hash.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from safeshare.core.errors import SafeshareError
from safeshare.services import documents, exports, reports
from safeshare.services.charts import chart_svg
from web.auth import safeshare_app
from web.dependencies import signed_in
from web.params import PathId
from web.routers.api_exports import attachment
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def report_page(request: Request) -> Response:
    params = request.query_params
    start, end = params.get("from") or None, params.get("to") or None
    user = signed_in(request)
    error_list: list[dict[str, str]] = []
    try:
        result = reports.report_for(safeshare_app(request), user, start, end, audit_refusal=False)
    except reports.ReportError as exc:
        error_list = [{"text": f"{exc.message}. {exc.hint}", "href": "#from"}]
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
            "start": start or "",
            "end": end or "",
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
        {"title": "Exports", "section": "exports", "filters": exports.FILTERS, "may_export": may_export},
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


@router.get("/exports/download")
def export_download(request: Request) -> Response:
    params = {k: v for k, v in request.query_params.items() if v != ""}
    kind = params.pop("kind", "")
    fmt = params.pop("format", "csv")
    audience = _audience_answer(params)
    user = signed_in(request)
    context = {"title": "Exports", "section": "exports", "filters": exports.FILTERS, "may_export": True,
               "audience": audience, "given": dict(request.query_params)}  # fmt: skip
    if audience["kind"] == "agency" and not audience["name"]:  # asked beside the question, answers kept
        return render(
            request,
            "exports.html",
            {**context, "audience_error": AUDIENCE_NAME_MISSING,
             "error_list": [{"text": AUDIENCE_NAME_MISSING, "href": "#audience_name_agency"}]},
            status_code=422,
        )  # fmt: skip
    try:
        result = exports.export(safeshare_app(request), user, kind, fmt, params, audit_refusal=False)
    except exports.ExportFilterError as exc:
        return render(
            request,
            "exports.html",
            {**context, "error_list": [{"text": f"{exc.message}. {exc.hint}", "href": "#kind"}]},
            status_code=exc.status_code,
        )
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
