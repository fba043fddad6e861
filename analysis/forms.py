"""The answers a user task's form can give, as far as the rest of the process can tell them apart.

Why enumerate: a gateway, a decision table or a step's rule reads only a few of a form's
fields, and each of those takes few values that matter (yes or no, one of a list, a text
that is empty, just long enough or long). Enumerating those values, and keeping only the
combinations the form's JSON Schema accepts (``if``/``then``, ``dependentRequired`` and all,
through the same validator the pages use), gives every choice a person can make there.
Fields nobody reads later are filled with one valid value, or left out when optional.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from analysis.errors import NotUnderstood

LONG_TEXT = "An answer long enough for every rule that reads it."
MAX_ANSWERS = 50_000
_CONDITIONAL_KEYS = ("if", "then", "else", "dependentRequired", "dependentSchemas", "allOf", "anyOf", "oneOf", "not")


def conditional_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """Top-level fields the schema's conditional parts mention: their values change what is required."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    found.update(value)
                elif key == "required" and isinstance(value, list):
                    found.update(str(v) for v in value)
                elif key == "dependentRequired" and isinstance(value, dict):
                    found.update(value)
                    for names in value.values():
                        found.update(names)
                elif key == "dependentSchemas" and isinstance(value, dict):
                    found.update(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for key in _CONDITIONAL_KEYS:
        if key in schema:
            walk({key: schema[key]})
    return frozenset(found) & frozenset(schema.get("properties", {}))


def _domain(name: str, prop: Mapping[str, Any], form: str, depth: int = 0) -> list[Any]:
    """The values of one field that a reader of it can tell apart."""
    if "const" in prop:
        return [prop["const"]]
    if "enum" in prop:
        return list(prop["enum"])
    choices = prop.get("oneOf") or prop.get("anyOf") or []
    if choices and all(isinstance(c, dict) and "const" in c for c in choices):  # choices as words
        return [c["const"] for c in choices]
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    values: list[Any] = []
    if "null" in kinds:
        values.append(None)
    if "boolean" in kinds:
        values += [True, False]
    if "string" in kinds:
        minimum = int(prop.get("minLength", 0))
        long_text = LONG_TEXT + "x" * max(0, minimum - len(LONG_TEXT))
        # nested texts (a recipient's agency, a document's note) are read by no rule: one value does
        values += ["x" * minimum, long_text] if minimum > 0 and depth == 0 else [long_text]
    if "integer" in kinds or "number" in kinds:
        low = prop.get("minimum", 0)
        values += [low, low + 100]
    if "array" in kinds:
        items = prop.get("items", {})
        every = _domain(f"{name}[]", items, form, depth + 1) if items else ["x"]
        item_values = every[:2]
        values += [[]] + [[v] for v in (every if "enum" in items else item_values)]
        values += [list(pair) for pair in itertools.combinations_with_replacement(item_values, 2)]
        if prop.get("uniqueItems"):
            values = [v for v in values if not isinstance(v, list) or len({json.dumps(i) for i in v}) == len(v)]
    if "object" in kinds:
        if depth > 2:
            raise NotUnderstood(form, name, "a form field nested too deeply to enumerate")
        values += list(itertools.islice(_objects(name, prop, form, depth), 12))
    if not values:
        raise NotUnderstood(form, name, f"a form field of type {kind!r} the checker cannot enumerate")
    return values


def _objects(name: str, prop: Mapping[str, Any], form: str, depth: int) -> Iterator[dict[str, Any]]:
    props = prop.get("properties", {})
    required = set(prop.get("required", []))
    domains = []
    for key, sub in props.items():
        if key not in required:
            # Left out, or one value: an optional part may still be asked for by the item's own if/then.
            domains.append([(key, _ABSENT)] + [(key, v) for v in _domain(f"{name}.{key}", sub, form, depth + 1)[:1]])
            continue
        values = _domain(f"{name}.{key}", sub, form, depth + 1)[:3]
        domains.append([(key, v) for v in values])
    validator = Draft202012Validator(prop)
    for combo in itertools.product(*domains):
        value = {k: v for k, v in combo if v is not _ABSENT}
        if validator.is_valid(value):
            yield value


class _Absent:
    def __repr__(self) -> str:
        return "(left out)"


_ABSENT = _Absent()


def _deciding_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """Fields whose value (not only presence) a conditional part of the schema tests or constrains."""
    found: set[str] = set()

    def walk(node: Any, inside: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and inside and isinstance(value, dict):
                    found.update(value)
                walk(value, inside or key in ("if", "then", "else", "dependentSchemas", "not", "anyOf", "oneOf"))
        elif isinstance(node, list):
            for item in node:
                walk(item, inside)

    for key in _CONDITIONAL_KEYS:
        if key in schema:
            walk({key: schema[key]}, False)
    return frozenset(found) & frozenset(schema.get("properties", {}))


def _one_valid(name: str, prop: Mapping[str, Any], form: str) -> Any:
    """A value of the field its own schema accepts, the fullest first."""
    validator = Draft202012Validator(prop)
    for value in reversed(_domain(name, prop, form)):
        if validator.is_valid(value):
            return value
    raise NotUnderstood(form, name, "a form field no value can satisfy")


@lru_cache(maxsize=512)
def _answers_cached(form: str, schema_json: str, relevant: frozenset[str]) -> tuple[str, ...]:
    schema = json.loads(schema_json)
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    deciding = sorted((relevant | _deciding_fields(schema)) & set(props))
    presence = sorted(conditional_fields(schema) - set(deciding))
    domains = []
    for name in deciding:
        values = [(name, v) for v in _domain(name, props[name], form)]
        domains.append(values + ([] if name in required else [(name, _ABSENT)]))
    fillers = {name: _one_valid(name, props[name], form) for name in presence}
    fixed = {name: _one_valid(name, props[name], form) for name in sorted(required - set(deciding) - set(presence))}
    validator = Draft202012Validator(schema)
    out: list[str] = []
    for count, combo in enumerate(itertools.product(*domains)):
        if count >= MAX_ANSWERS:
            raise NotUnderstood(form, ", ".join(deciding), "too many combinations of answers to check")
        chosen = dict(fixed)
        chosen.update({k: v for k, v in combo if v is not _ABSENT})
        answer = _completed(validator, chosen, fillers)
        if answer is not None:
            out.append(json.dumps(answer, sort_keys=True))
    return tuple(out)


def _completed(
    validator: Draft202012Validator, chosen: dict[str, Any], fillers: dict[str, Any]
) -> dict[str, Any] | None:
    """The chosen answers with only those of the other conditional fields the schema then insists on."""
    for start in ({**fillers, **chosen}, chosen):
        if validator.is_valid(start):
            answer = dict(start)
            for name in fillers:
                if name in answer and name not in chosen:
                    trial = {k: v for k, v in answer.items() if k != name}
                    if validator.is_valid(trial):
                        answer = trial
            return answer
    return None


def answers(form: str, schema: Mapping[str, Any], relevant: frozenset[str]) -> list[dict[str, Any]]:
    """Every valid answer to ``schema`` that differs in the ``relevant`` fields (and the conditional ones)."""
    key = (form, json.dumps(schema, sort_keys=True), relevant)
    if key not in _PARSED:
        _PARSED[key] = [json.loads(a) for a in _answers_cached(*key)]
    return _PARSED[key]


_PARSED: dict[tuple[str, str, frozenset[str]], list[dict[str, Any]]] = {}


def required_here(form: str, schema: Mapping[str, Any], answer: Mapping[str, Any], name: str) -> bool:
    """Whether the form, answered so, insists on ``name`` (leaving it out makes the answer invalid)."""
    if name not in answer:
        return False
    conditional = _conditional_cached(form, id(schema), schema)
    if not conditional:
        return name in schema.get("required", [])
    relevant = tuple(sorted((k, json.dumps(answer[k], sort_keys=True)) for k in conditional if k in answer))
    key = (form, id(schema), name, relevant)
    if key not in _REQUIRED_CACHE:
        if (form, id(schema)) not in _VALIDATORS:
            _VALIDATORS[(form, id(schema))] = Draft202012Validator(dict(schema))
        without = {k: v for k, v in answer.items() if k != name}
        _REQUIRED_CACHE[key] = not _VALIDATORS[(form, id(schema))].is_valid(without)
    return _REQUIRED_CACHE[key]


def _conditional_cached(form: str, ident: int, schema: Mapping[str, Any]) -> frozenset[str]:
    key = (form, ident)
    if key not in _CONDITIONAL:
        _CONDITIONAL[key] = conditional_fields(schema)
    return _CONDITIONAL[key]


_CONDITIONAL: dict[tuple[str, int], frozenset[str]] = {}
_VALIDATORS: dict[tuple[str, int], Draft202012Validator] = {}
_REQUIRED_CACHE: dict[tuple[str, int, str, tuple[tuple[str, str], ...]], bool] = {}
