"""The procedure's rules: one named, directly tested unit per rule, and the one place it lives.

Why a layer of its own: a rule such as "a share without consent needs a ground or a
public-interest case" used to be written in a form schema, again in a handler and
again in a service, and only the first copy ever ran. Here each rule is a plain
function that looks at the facts it needs and returns the breaches it finds (an
empty list when the rule holds). Forms, handlers, services, the API, the pages and
the CLI all call the same function, so a rule refused by the page and by the engine
is the same code, and a test that calls the unit proves the rule itself.

A unit is declared with :func:`rule`, which records its rule id (R1 to R37 of
DOMAIN.md, or a new id agreed in docs/traceability.md) so ``docs/traceability.md``
can name it and ``tests/test_traceability.py`` can check it exists and is called by
its test. Messages are plain words for the person acting (GOV.UK style: what is
wrong, then what to do); the rule id never reaches the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ParamSpec

from safeshare.core.errors import DomainRuleError, FormValidationError

P = ParamSpec("P")


@dataclass(frozen=True)
class Breach:
    """One way the facts break a rule: what is wrong, what to do, and the form field it concerns."""

    rule_id: str
    message: str
    hint: str = ""
    field: str | None = None


RuleUnit = Callable[..., list[Breach]]

#: Every rule unit by its qualified name (``module.function``), filled as the modules import.
REGISTRY: dict[str, RuleUnit] = {}


def rule(rule_id: str) -> Callable[[Callable[P, list[Breach]]], Callable[P, list[Breach]]]:
    """Declare a function as the unit enforcing ``rule_id``; it returns the breaches it finds."""

    def register(unit: Callable[P, list[Breach]]) -> Callable[P, list[Breach]]:
        unit.rule_id = rule_id  # type: ignore[attr-defined]
        REGISTRY[f"{unit.__module__}.{unit.__qualname__}"] = unit
        return unit

    return register


def enforce(breaches: Iterable[Breach]) -> None:
    """Refuse a state change that breaks a rule: raise for the first breach, nothing is written.

    Used by handlers and services, whose callers show one message and roll back.
    """
    for breach in breaches:
        raise DomainRuleError(breach.rule_id, breach.message, breach.hint)


def enforce_on_form(breaches: Iterable[Breach], message: str = "Check your answers") -> None:
    """Refuse a form whose answers break a rule, each breach beside the question it concerns."""
    found = list(breaches)
    if found:
        raise FormValidationError(message, {(b.field or "(form)"): b.message for b in found})
