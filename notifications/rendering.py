"""One Jinja2 environment for every template: autoescaped, and strict about missing values.

StrictUndefined turns a misspelt variable into an error instead of an empty
gap in a legal document.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from safeshare.core.errors import ModelError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # HTML is escaped; plain-text bodies are not HTML, so escaping would only garble them.
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda dt: dt.strftime("%d %B %Y, %H:%M UTC") if dt else ""
    env.filters["day"] = lambda d: d.strftime("%d %B %Y") if d else ""
    env.filters["humanize"] = lambda s: str(s).replace("_", " ")
    env.filters["yesno"] = _yes_no
    env.filters["iso_when"] = _iso_when
    return env


def _yes_no(value: object) -> str:
    """Booleans in plain words on a document people sign; an unanswered question says so."""
    if value is None or value == "":
        return "Not recorded"
    return "Yes" if value else "No"


def _iso_when(value: str | None) -> str:
    """An ISO time stored in task data or a record, as on the other documents."""
    if not value:
        return "Not recorded"
    return datetime.fromisoformat(value).strftime("%d %B %Y, %H:%M UTC")


def render(template_name: str, context: dict[str, Any]) -> str:
    """Render a template, turning any template problem into a clear error."""
    try:
        return environment().get_template(template_name).render(**context)
    except TemplateError as exc:
        raise ModelError(f"The template {template_name} failed to render: {exc}", "Fix the template") from exc
