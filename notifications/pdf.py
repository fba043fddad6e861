"""HTML documents to PDF with WeasyPrint, offline.

Documents are self-contained HTML (inline CSS, no images by URL), so the fetcher
allows ``data:`` URLs only: rendering never reaches the network or reads a local
file, whatever ends up in a document's text. WeasyPrint needs Pango and its
libraries from the operating system (``.ci/run`` installs them on Debian).
"""

from __future__ import annotations

import logging

from safeshare.core.errors import SafeshareError

# Print layout added to every document: A4 with page numbers and a footer naming the
# document, body margins left to the page (a template's screen margin would double
# them), no break between a heading or a signature label and what follows it, and a
# ``signatures`` section kept on one page.
PRINT_CSS = """
@page {
  size: A4;
  margin: 18mm 18mm 20mm 18mm;
  @bottom-left { content: FOOTER; font: 8pt Arial, Helvetica, sans-serif; color: #505a5f; }
  @bottom-right {
    content: "Page " counter(page) " of " counter(pages);
    font: 8pt Arial, Helvetica, sans-serif; color: #505a5f;
  }
}
body { margin: 0 !important; }
h1, h2, h3 { break-after: avoid; }
tr, li, .sign, .signatures { break-inside: avoid; }
.sign { break-before: avoid; }
p { orphans: 3; widows: 3; }
"""


class DocumentRenderError(SafeshareError):
    """A stored document could not be turned into a PDF."""

    status_code = 500


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes and backslashes escaped, one line)."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def html_to_pdf(html: str, *, title: str = "", footer: str = "") -> bytes:
    """Render one HTML document to PDF bytes; a clear error if it cannot be done.

    ``footer`` is printed at the foot of every page (e.g. the document number and
    the start of its SHA-256, so a printout can be matched to the stored original).
    """
    try:
        from weasyprint import CSS, HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango or its libraries missing
        raise DocumentRenderError(
            f"PDF rendering is not available on this machine: {exc}",
            "Install WeasyPrint's system libraries (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
        ) from exc
    if not html.strip():
        raise DocumentRenderError(f"The document {title} is empty, so there is nothing to render", "Produce it again")
    # WeasyPrint logs every CSS property it ignores; that is noise in a CLI or a server log.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        fetcher = URLFetcher(allowed_protocols={"data"})
        print_css = CSS(string=PRINT_CSS.replace("FOOTER", _css_string(footer)), url_fetcher=fetcher)
        pdf = HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[print_css])
    except Exception as exc:  # WeasyPrint raises many kinds; any of them means "no PDF"
        raise DocumentRenderError(
            f"The document {title} could not be rendered to PDF: {type(exc).__name__}: {exc}",
            "Download it as HTML, and tell the administrator",
        ) from exc
    if not pdf:
        raise DocumentRenderError(f"Rendering the document {title} produced no PDF", "Download it as HTML")
    return bytes(pdf)
