"""Render every template once, at start-up, so a broken one stops the scheduler now, not at 3 a.m.

Message templates come in threes (``<name>.subject.txt``, ``.txt``, ``.html``) and are rendered with
their sample context from :mod:`notifications.samples`. A template without a sample (added by
someone who did not add one) is rendered with placeholder values: that still catches syntax errors,
unknown filters and missing parts; it is reported so a sample gets added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError, meta

from notifications.outbox import message_templates
from notifications.rendering import TEMPLATE_DIR, environment
from notifications.samples import SAMPLE_RECIPIENT, SAMPLES
from safeshare.core.errors import ConfigurationError


class Placeholder(str):
    """Stands in for any value in a template that has no sample context: a string that also has
    every attribute and item, so ``x.name`` and ``x['a']`` render instead of failing."""

    def __new__(cls, name: str = "sample") -> Placeholder:
        return super().__new__(cls, f"[{name}]")

    def __getattr__(self, name: str) -> Placeholder:
        if name.startswith("__"):
            raise AttributeError(name)
        return Placeholder(name)

    def __getitem__(self, key: Any) -> Placeholder:  # type: ignore[override]
        return Placeholder(str(key))

    def strftime(self, _format: str) -> str:
        return "[date]"


@dataclass
class CheckReport:
    rendered: list[str] = field(default_factory=list)
    without_sample: list[str] = field(default_factory=list)


def message_names(template_dir: Path = TEMPLATE_DIR) -> list[str]:
    return sorted(p.name.removesuffix(".subject.txt") for p in (template_dir / "messages").glob("*.subject.txt"))


def _placeholder_context(env: Environment, template_names: tuple[str, ...]) -> dict[str, Any]:
    names: set[str] = set()
    for name in template_names:
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        names |= meta.find_undeclared_variables(env.parse(source))
    return {name: Placeholder(name) for name in names}


def check_templates(template_dir: Path = TEMPLATE_DIR, env: Environment | None = None) -> CheckReport:
    """Render every message with its sample and parse every document; raise listing every failure.

    ``env`` defaults to the application's environment (autoescaped, strict); tests pass an overlay
    of it on another folder.
    """
    env = env or environment()
    report = CheckReport()
    problems: list[str] = []
    for name in message_names(template_dir):
        parts = message_templates(name)
        sample = SAMPLES.get(name)
        if sample is None:
            report.without_sample.append(name)
            context: dict[str, Any] = _placeholder_context(env, parts)
        else:
            context = dict(sample)
        context["recipient"] = SAMPLE_RECIPIENT
        for part in parts:
            try:
                text = env.get_template(part).render(**context)
            except TemplateError as exc:
                problems.append(f"{part}: {exc}")
                continue
            except Exception as exc:  # a filter or value blowing up is as fatal at 3 a.m.
                problems.append(f"{part}: {type(exc).__name__}: {exc}")
                continue
            if not text.strip():
                problems.append(f"{part}: renders empty")
            report.rendered.append(part)
    for path in sorted((template_dir / "documents").glob("*.html")):
        part = f"documents/{path.name}"
        try:
            env.get_template(part)  # documents have their own tests with real records; here: it parses
            report.rendered.append(part)
        except TemplateError as exc:
            problems.append(f"{part}: {exc}")
    if problems:
        raise ConfigurationError(
            f"{len(problems)} notification template(s) failed to render: {'; '.join(problems)}",
            "Fix the templates in notifications/templates (and their samples in notifications/samples.py)",
        )
    return report
