"""The answers a user task's form can give, as far as the rest of the process can tell them apart.

Why enumerate: a gateway, a decision table or a step's rule reads only a few of a form's
fields, and each of those takes few values that matter (yes or no, one of a list, a text
that is empty, just long enough or long). Enumerating those values, and keeping only the
combinations the form's JSON Schema accepts (``if``/``then``, ``dependentRequired`` and all,
through the same validator the pages use), gives every choice a person can make there.
Fields nobody reads later are filled with one valid value, or left out when optional.

Why it stays fast on a large decision form: only the fields something after the task reads (a
gateway, a decision table, a step's contract, another task's form) and those whose value a
condition of the schema tests are enumerated; the others are only present or absent as the
schema then insists. And a combination is not validated whole: a form's schema is a conjunction
(each field's own schema, the required fields, and each ``if``/``then`` or other conditional
part), and each conditional part constrains only the fields it names, so :class:`Validity`
checks each field value once and each part once per combination of the few fields it names,
from a cache. The answer is the same as the whole validator's (a schema with a keyword that
could constrain unnamed fields, such as ``additionalProperties`` inside a part or ``$ref``, is
validated whole).
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


def _choices(prop: Mapping[str, Any]) -> list[Any] | None:
    """A field's values when it is a choice from a list (``enum``, or ``oneOf``/``anyOf`` of constants)."""
    if "enum" in prop:
        return list(prop["enum"])
    choices = prop.get("oneOf") or prop.get("anyOf") or []
    if choices and all(isinstance(c, dict) and "const" in c for c in choices):  # choices as words
        return [c["const"] for c in choices]
    return None


def domain(name: str, prop: Mapping[str, Any], form: str) -> list[Any]:
    """The values of one top-level field that a reader of it can tell apart."""
    return _domain(name, prop, form)


def _domain(name: str, prop: Mapping[str, Any], form: str, depth: int = 0) -> list[Any]:
    """The values of one field that a reader of it can tell apart."""
    if "const" in prop:
        return [prop["const"]]
    listed = _choices(prop)
    if listed is not None:
        return listed
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
        # each choice of a list alone (a rule may look for one of them), and two together
        values += [[]] + [[v] for v in (every if _choices(items) is not None else item_values)]
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
    # An optional text inside an item (a recipient's contact, a document's note) is read by no rule: it is
    # given only where the item's own schema then insists on it.
    texts = {k for k, sub in props.items() if k not in required and _is_text(sub)}
    validator = Draft202012Validator(prop)
    for combo in itertools.product(*domains):
        value = {k: v for k, v in combo if v is not _ABSENT}
        if validator.is_valid(value) and not any(
            validator.is_valid({k: v for k, v in value.items() if k != text}) for text in texts & set(value)
        ):
            yield value


def _is_text(prop: Mapping[str, Any]) -> bool:
    kind = prop.get("type")
    return (kind == "string" or kind == ["string"]) and _choices(prop) is None and "const" not in prop


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
    validator = validity(form, schema_json)
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


def _completed(validator: Validity, chosen: dict[str, Any], fillers: dict[str, Any]) -> dict[str, Any] | None:
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


def required_here(
    form: str,
    schema: Mapping[str, Any],
    answer: Mapping[str, Any],
    name: str,
    inapplicable: frozenset[str] = frozenset(),
) -> bool:
    """Whether the form, answered so, insists on ``name`` (leaving it out makes the answer invalid).

    A requirement that only another ``inapplicable`` answer brings (a recipient chosen on a decision
    not to disclose, then asking how they can safeguard) is not insisted on: the person can leave
    both out. So the answer without every inapplicable field is tried first.
    """
    if name not in answer:
        return False
    conditional = _conditional_cached(form, id(schema), schema)
    if not conditional:
        return name in schema.get("required", [])
    # answers are the enumeration's own (kept) objects: one key per answer object, the object kept alive with it
    seen = _ANSWER_KEYS.get(id(answer))
    if seen is None or seen[0] is not answer:
        relevant = tuple(sorted((k, json.dumps(answer[k], sort_keys=True)) for k in conditional if k in answer))
        seen = _ANSWER_KEYS[id(answer)] = (answer, relevant)
    key = (form, id(schema), name, seen[1], inapplicable)
    if key not in _REQUIRED_CACHE:
        validator = validity(form, json.dumps(schema, sort_keys=True))
        if validator.is_valid({k: v for k, v in answer.items() if k not in inapplicable | {name}}):
            _REQUIRED_CACHE[key] = False
        else:
            _REQUIRED_CACHE[key] = not validator.is_valid({k: v for k, v in answer.items() if k != name})
    return _REQUIRED_CACHE[key]


def _conditional_cached(form: str, ident: int, schema: Mapping[str, Any]) -> frozenset[str]:
    key = (form, ident)
    if key not in _CONDITIONAL:
        _CONDITIONAL[key] = conditional_fields(schema)
    return _CONDITIONAL[key]


_CONDITIONAL: dict[tuple[str, int], frozenset[str]] = {}
_ANSWER_KEYS: dict[int, tuple[Mapping[str, Any], tuple[tuple[str, str], ...]]] = {}
_REQUIRED_CACHE: dict[tuple[str, int, str, tuple[tuple[str, str], ...], frozenset[str]], bool] = {}


# -- validity, taken apart ------------------------------------------------------------------------

_META = {"$schema", "$id", "$comment", "title", "description", "examples", "default", "x-uischema"}
_CONDITIONAL_PART_KEYS = ("if", "then", "else")
# Keywords that, at the level of the whole answer, constrain fields a part does not name.
_WIDE = {
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedProperties",
    "$ref",
    "$dynamicRef",
}


def _answer_level(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The parts of a subschema that apply to the answer itself (not to one of its fields' values)."""
    yield node
    for key in ("allOf", "anyOf", "oneOf"):
        for item in node.get(key, []):
            if isinstance(item, dict):
                yield from _answer_level(item)
    for key in ("not", "if", "then", "else"):
        if isinstance(node.get(key), dict):
            yield from _answer_level(node[key])
    for sub in (node.get("dependentSchemas") or {}).values():
        if isinstance(sub, dict):
            yield from _answer_level(sub)


def _named(part: Mapping[str, Any]) -> frozenset[str] | None:
    """The fields a conditional part names, or None when it may constrain fields it does not name."""
    names: set[str] = set()
    for node in _answer_level(part):
        if _WIDE & set(node) or "$ref" in json.dumps(node):
            return None
        names.update(node.get("properties") or {})
        names.update(str(n) for n in node.get("required") or [])
        for key, values in (node.get("dependentRequired") or {}).items():
            names.add(key)
            names.update(values)
        names.update(node.get("dependentSchemas") or {})
    return frozenset(names)


class Validity:
    """Whether an answer is valid for a form: the same verdict as the whole schema's validator, from parts.

    The schema is a conjunction of each field's own schema, its required fields, its
    ``additionalProperties: false`` and its conditional parts; each part is checked on the
    fields it names only, and every verdict is kept, so an answer costs a few look-ups.
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.props: Mapping[str, Any] = schema.get("properties", {})
        self.required = frozenset(schema.get("required", []))
        self.closed = schema.get("additionalProperties") is False
        self.whole: Draft202012Validator | None = None
        self.fields: dict[str, Draft202012Validator] = {}
        self.parts: list[tuple[frozenset[str], Draft202012Validator]] = []
        self.verdicts: dict[tuple[Any, ...], bool] = {}
        self.texts: dict[int, tuple[Any, str]] = {}
        parts: list[Mapping[str, Any]] = []
        for key, value in schema.items():
            if key in _META or key in ("properties", "required") or key in _CONDITIONAL_PART_KEYS:
                continue
            if key == "type" and value == "object" or key == "additionalProperties" and value is False:
                continue
            if key == "allOf" and isinstance(value, list):
                parts += value
            elif key in ("dependentRequired", "dependentSchemas", "anyOf", "oneOf", "not"):
                parts.append({key: value})
            else:
                parts = []
                self.whole = Draft202012Validator(dict(schema))
                break
        if self.whole is None and any(k in schema for k in _CONDITIONAL_PART_KEYS):
            parts.append({k: schema[k] for k in _CONDITIONAL_PART_KEYS if k in schema})
        for part in parts:
            named = _named(part)
            if named is None:
                self.whole, self.parts = Draft202012Validator(dict(schema)), []
                break
            self.parts.append((named, Draft202012Validator(dict(part))))

    def is_valid(self, answer: Mapping[str, Any]) -> bool:
        if self.whole is not None:
            return bool(self.whole.is_valid(dict(answer)))
        if not self.required <= set(answer) or self.closed and not set(answer) <= set(self.props):
            return False
        texts = {name: self._text(value) for name, value in answer.items()}
        for name, value in answer.items():
            if name in self.props and not self._check((-1, name, texts[name]), {name: value}, self._field(name)):
                return False
        for i, (named, validator) in enumerate(self.parts):
            sub = {k: v for k, v in answer.items() if k in named}
            if not self._check((i, *sorted((k, texts[k]) for k in sub)), sub, validator):
                return False
        return True

    def _text(self, value: Any) -> str:
        """A value as text, once per value object (the enumeration reuses the same few; each is kept alive)."""
        found = self.texts.get(id(value))
        if found is None or found[0] is not value:
            found = self.texts[id(value)] = (value, json.dumps(value, sort_keys=True))
        return found[1]

    def _field(self, name: str) -> Draft202012Validator:
        if name not in self.fields:
            self.fields[name] = Draft202012Validator({"properties": {name: self.props[name]}})
        return self.fields[name]

    def _check(self, key: tuple[Any, ...], sub: dict[str, Any], validator: Draft202012Validator) -> bool:
        if key not in self.verdicts:
            self.verdicts[key] = bool(validator.is_valid(sub))
        return self.verdicts[key]


@lru_cache(maxsize=256)
def validity(form: str, schema_json: str) -> Validity:
    """The (kept) :class:`Validity` of one form's schema."""
    return Validity(json.loads(schema_json))
