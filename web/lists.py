"""What the list pages share (issue 12): GOV.UK pagination links that keep the filters, and a refused filter
shown as an error summary on the page rather than a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from safeshare.core.errors import FormValidationError
from safeshare.services.listing import Page


def page_href(request: Request, number: int) -> str:
    """The same address with the same filters, at page ``number``."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and v != ""]
    if number > 1:
        params.append(("page", str(number)))
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def pagination(request: Request, page: Page[Any]) -> dict[str, Any] | None:
    """``govukPagination`` parameters: previous, next, the first and last pages, and the pages either side
    of this one (gaps shown as an ellipsis); None when the list fits on one page."""
    if page.pages <= 1:
        return None
    shown = sorted({1, page.pages, page.number - 1, page.number, page.number + 1} & set(range(1, page.pages + 1)))
    items: list[dict[str, Any]] = []
    for position, number in enumerate(shown):
        if position and number - shown[position - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": page_href(request, number), "current": number == page.number})
    params: dict[str, Any] = {"items": items}
    if page.number > 1:
        params["previous"] = {"href": page_href(request, page.number - 1)}
    if page.number < page.pages:
        params["next"] = {"href": page_href(request, page.number + 1)}
    return params


def link_headers(request: Request, page: Page[Any]) -> dict[str, str]:
    """An API list's paging, in headers so its body keeps its shape: the total, and RFC 8288 links."""
    links = [f'<{page_href(request, 1)}>; rel="first"', f'<{page_href(request, page.pages)}>; rel="last"']
    if page.number > 1:
        links.append(f'<{page_href(request, page.number - 1)}>; rel="prev"')
    if page.number < page.pages:
        links.append(f'<{page_href(request, page.number + 1)}>; rel="next"')
    return {
        "X-Total-Count": str(page.total),
        "X-Page": str(page.number),
        "X-Page-Count": str(page.pages),
        "Link": ", ".join(links),
    }


def filter_errors(exc: FormValidationError) -> list[dict[str, str]]:
    """The error summary for a refused filter: each message linked to the filter it names."""
    return [{"text": message, "href": f"#{name}"} for name, message in exc.field_errors.items()] or [
        {"text": exc.message, "href": "#main-content"}
    ]
