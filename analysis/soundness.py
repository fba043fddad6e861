"""Soundness of every process: explore every state a model can reach and report what cannot finish.

Why a search over SpiffWorkflow's own parsed task-spec graph, not a workflow net in pm4py:

* The defect that started this (an application whose identity was not verified waits for
  ever at "Disclose in person") is not in the control flow at all: the net is structurally
  sound. It exists because a form answer (identity not verified) flows through a step's
  rule (nothing is disclosed before identity is verified) into a task that can then never
  be completed. A workflow net drops data, decision tables and rules; it would pass this
  model. The search here carries the data that gateways, DMN tables, step rules and forms
  read, with the values the forms and tables can produce.
* The graph searched is the one the engine runs: the specs SpiffWorkflow parsed from the
  same files, call activities resolved to the processes it would call, boundary events as
  it attached them, event subprocesses (message- or timer-started, interrupting or not)
  where it registered them (a message-started one is not an output of the start task but a
  trigger on it: it is found among the task specs, not by walking outputs).
* pm4py is AGPL-3.0. A partnership's deployment that carries it must offer its source to
  every user over the network; our own code would be pulled under the same terms. The
  checker needs none of it; pm4py stays a test-only reader of the event logs we write.

Semantics, as the engine behaves: after each thing a person or the clock does, automated
steps (service, script and decision tasks, gateways, call and end events) run until the
instance waits, as one step; a step that a rule refuses, or whose gateway finds no way,
rolls back (the task stays open). The things that can happen in a waiting state: a person
completes an open user task with any answer its form accepts; a boundary timer or message
fires (once per activation of its task); an intermediate timer or message arrives; an event
subprocess starts (a non-interrupting one again only when its last run has finished; a timer
one once per scope). Data is kept only while a later element may read it, so the state space
stays small.

What it reports, naming the model and the elements: a state from which no end can be reached
(dead end; a set of states that only lead to each other is a loop with no way out), a task or
end that no run reaches (dead), an end event reached while work on the main path is still open
(improper completion; the side paths of non-interrupting events are meant to end on their own),
and forms that cannot be completed consistently with the path that reaches them. Anything it
does not understand raises :class:`~analysis.errors.NotUnderstood`.
"""

from __future__ import annotations

import ast
import copy
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition, TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from analysis import forms
from analysis.contracts import CONTRACTS, START_DATA, Contract, Refusal
from analysis.errors import NotUnderstood
from workflows.restricted import RestrictedEnvironment

MAX_STATES = 200_000

_PASS = {"NoneTask", "SimpleBpmnTask", "ManualTask"}
_WAIT_TASKS = {"UserTask", "ManualTask"}
_CALLS = {"CallActivity", "SubWorkflowTask"}
_PURE = {"ServiceTask", "ScriptTask", "BusinessRuleTask"}
_IGNORED_OUTPUTS = {"BoundaryEventJoin", "_EndJoin"}
_KNOWN = {
    "BpmnStartTask",
    "_EndJoin",
    "SimpleBpmnTask",
    "StartEvent",
    "EndEvent",
    "UserTask",
    "ManualTask",
    "NoneTask",
    "ServiceTask",
    "ScriptTask",
    "BusinessRuleTask",
    "ExclusiveGateway",
    "ParallelGateway",
    "InclusiveGateway",
    "CallActivity",
    "SubWorkflowTask",
    "EventSubprocess",
    "BoundaryEventSplit",
    "BoundaryEventJoin",
    "BoundaryEvent",
    "IntermediateCatchEvent",
    "IntermediateThrowEvent",
    "SendTask",
    "ReceiveTask",
    "EventBasedGateway",
}


_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
#: The BPMN elements (inside a process, outside extension elements) the checker reads, or knows it may skip.
_READ_TAGS = {
    "startEvent", "endEvent", "userTask", "manualTask", "task", "serviceTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "sequenceFlow", "conditionExpression", "incoming", "outgoing", "laneSet", "lane", "flowNodeRef", "documentation",
    "script", "timerEventDefinition", "timeDate", "timeDuration", "timeCycle", "messageEventDefinition",
    "terminateEventDefinition", "dataObject", "dataObjectReference", "textAnnotation", "text", "association",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One problem, in plain words, with the model and element ids it concerns."""

    kind: str
    model: str
    elements: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.model}: {self.kind.replace('_', ' ')}: {self.message}"


@dataclass
class Report:
    """What the check found for one process, and how much it looked at."""

    model: str
    findings: list[Finding] = field(default_factory=list)
    states: int = 0
    seconds: float = 0.0

    @property
    def sound(self) -> bool:
        return not self.findings


def _kind(spec: Any) -> str:
    for cls in type(spec).__mro__:
        if cls.__name__ in _KNOWN:
            return cls.__name__
    return type(spec).__name__


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    ident = getattr(spec, "bpmn_id", None) or spec.name
    return f"'{name}' ({ident})" if name else f"({ident})"


def _ident(spec: Any) -> str:
    return str(getattr(spec, "bpmn_id", None) or spec.name)


@lru_cache(maxsize=4096)
def _names(code: str, mode: str) -> frozenset[str]:
    tree = ast.parse(code, mode=mode)
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def _inputs(names: frozenset[str], data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The values of ``names`` set in data, as a key (a name not set is left out, so told apart from None)."""
    return tuple(sorted((n, _freeze(data[n])) for n in names & data.keys()))


def _table_names(ts: Any) -> frozenset[str]:
    """Every name a decision table's expressions, rules and outputs could read (any identifier in them)."""
    if not hasattr(ts, "_analysis_names"):
        table = ts.dmnEngine.decision_table
        texts = [entry.expression or "" for entry in table.inputs]
        for rule in table.rules:
            texts += [lhs or "" for entry in rule.inputEntries for lhs in entry.lhs]
            texts += [entry.text or "" for entry in rule.outputEntries]
        ts._analysis_names = frozenset(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(texts)))
    return frozenset(ts._analysis_names)


class _Task:
    """Just enough of a SpiffWorkflow task for its DMN engine to evaluate a table over data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.workflow = self

    script_engine = PythonScriptEngine(environment=RestrictedEnvironment())
    data_objects: dict[str, Any] = {}


_ENV = RestrictedEnvironment()


class Program:
    """The parsed specs of one process and everything it calls, read the way the checker needs them."""

    def __init__(
        self,
        process_id: str,
        spec: BpmnProcessSpec,
        subprocess_specs: Mapping[str, BpmnProcessSpec],
        forms_dir: Path,
        contracts: Mapping[str, Contract] = CONTRACTS,
    ) -> None:
        self.process_id = process_id
        self.specs: dict[str, BpmnProcessSpec] = {process_id: spec, **subprocess_specs}
        self.forms_dir = forms_dir
        self.contracts = contracts
        self.form_cache: dict[str, dict[str, Any]] = {}
        for proc, pspec in self.specs.items():
            self._check_file(proc, pspec)
            for ts in pspec.task_specs.values():
                self._check_understood(proc, ts)
        self.askers = self._askers()
        self.bound_cache: dict[tuple[str, str], frozenset[str]] = {}
        self.route_cache: dict[tuple[str, str], frozenset[str]] = {}
        self.live = self._liveness()

    # -- reading the specs --------------------------------------------------------------------------

    def model_name(self, proc: str) -> str:
        file = getattr(self.specs[proc], "file", None)
        return f"{Path(file).name} ({proc})" if file else proc

    def _check_file(self, proc: str, pspec: BpmnProcessSpec) -> None:
        """Every element of the process in its file is of a kind the checker reads. Why the file as well as
        the specs: the parser reads some elements it does not support as something else (a signal end event
        becomes a plain end), so the specs alone could let a model pass that the check never understood."""
        file = getattr(pspec, "file", None)
        if not file:
            return
        for process in ElementTree.parse(file).getroot().iter(f"{_BPMN}process"):
            if process.get("id") == proc:
                self._check_elements(proc, process)

    def _check_elements(self, proc: str, parent: ElementTree.Element) -> None:
        for element in parent:
            tag = element.tag.removeprefix(_BPMN)
            if tag == "extensionElements":
                continue
            if tag not in _READ_TAGS:
                owner = parent if tag.endswith("EventDefinition") else element  # an event is named by its own id
                ident = owner.get("id") or element.get("id") or "no id"
                name = f"'{owner.get('name')}' ({ident})" if owner.get("name") else f"({ident})"
                raise NotUnderstood(self.model_name(proc), name, f"an element of kind {tag}")
            self._check_elements(proc, element)

    def _check_understood(self, proc: str, ts: Any) -> None:
        kind = _kind(ts)
        where = self.model_name(proc)
        if kind not in _KNOWN:
            raise NotUnderstood(where, _label(ts), f"an element of kind {type(ts).__name__}")
        if kind == "ServiceTask" and ts.operation_name not in self.contracts:
            raise NotUnderstood(
                where, _label(ts), f"a service task calling {ts.operation_name!r}, which has no contract"
            )
        if kind in (
            "StartEvent",
            "EndEvent",
            "BoundaryEvent",
            "IntermediateCatchEvent",
            "IntermediateThrowEvent",
            "SendTask",
            "ReceiveTask",
        ):
            ed = ts.event_definition
            ok: tuple[type, ...] = (NoneEventDefinition, TimerEventDefinition, MessageEventDefinition)
            if kind == "EndEvent":
                ok = (NoneEventDefinition, TerminateEventDefinition, MessageEventDefinition)
            if not isinstance(ed, ok):
                raise NotUnderstood(where, _label(ts), f"an event of kind {type(ed).__name__}")
        if kind == "InclusiveGateway" and len(ts.inputs) > 1:
            raise NotUnderstood(where, _label(ts), "an inclusive gateway that joins")
        if kind in _CALLS and ts.spec not in self.specs:
            raise NotUnderstood(where, _label(ts), f"a call to {ts.spec!r}, which is not among the models")
        if kind == "UserTask":
            self.form(proc, ts)

    def params(self, proc: str, ts: Any) -> dict[str, Any]:
        """A service task's literal parameters, evaluated. One worked out from task data (a message's title
        naming the application, a deadline's kind chosen by the risk) is left out: no contract reads such a
        parameter, and one whose reads depend on it (``reads_by_param``) is not understood."""
        params = {}
        contract = self.contracts[ts.operation_name]
        for name, param in (ts.operation_params or {}).items():
            try:
                params[name] = _ENV.evaluate(param["value"], {})
            except NameError as exc:
                if name in contract.reads_by_param:
                    raise NotUnderstood(
                        self.model_name(proc), _label(ts), f"parameter {name!r} is not a literal: {exc}"
                    ) from exc
            except Exception as exc:
                raise NotUnderstood(self.model_name(proc), _label(ts), f"parameter {name!r}: {exc}") from exc
        return params

    def form(self, proc: str, ts: Any) -> tuple[str, dict[str, Any]] | None:
        filename = (getattr(ts, "extensions", None) or {}).get("properties", {}).get("formJsonSchemaFilename")
        if not filename:
            return None
        if filename not in self.form_cache:
            path = self.forms_dir / filename
            try:
                self.form_cache[filename] = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise NotUnderstood(
                    self.model_name(proc), _label(ts), f"its form {filename} cannot be read: {exc}"
                ) from exc
        return filename, self.form_cache[filename]

    def successors(self, ts: Any) -> list[Any]:
        return [o for o in ts.outputs if _kind(o) not in _IGNORED_OUTPUTS]

    def boundary_events(self, proc: str, ts: Any) -> list[Any]:
        split = self.specs[proc].task_specs.get(f"{ts.name}.BoundaryEventSplit")
        return [o for o in split.outputs if _kind(o) == "BoundaryEvent"] if split else []

    def start_events(self, proc: str) -> list[Any]:
        starts = [o for o in self.specs[proc].start.outputs if _kind(o) == "StartEvent"]
        if not starts:
            raise NotUnderstood(self.model_name(proc), proc, "a process with no plain start event")
        return starts

    def event_subprocesses(self, proc: str) -> list[Any]:
        return [ts for ts in self.specs[proc].task_specs.values() if _kind(ts) == "EventSubprocess"]

    def esp_start(self, esp: Any) -> Any:
        sub = self.specs[esp.spec]
        starts = [ts for ts in sub.task_specs.values() if _kind(ts) == "StartEvent"]
        if len(starts) != 1:
            raise NotUnderstood(self.model_name(esp.spec), _label(esp), "an event subprocess without exactly one start")
        return starts[0]

    def reads(self, proc: str, ts: Any) -> set[str]:
        kind = _kind(ts)
        out: set[str] = set()
        for script in (getattr(ts, "prescript", None), getattr(ts, "postscript", None)):
            if script:
                out |= _names(script, "exec")
        if kind in ("ExclusiveGateway", "InclusiveGateway"):
            for cond, _ in ts.cond_task_specs:
                if cond is not None:
                    out |= _names(cond.args[0], "eval")
        elif kind == "ScriptTask":
            out |= _names(ts.script, "exec")
        elif kind == "BusinessRuleTask":
            table = ts.dmnEngine.decision_table
            for entry in table.inputs:
                out |= _names(entry.expression, "eval")
        elif kind == "ServiceTask":
            out |= set(self.contracts[ts.operation_name].reads_for(self.params(proc, ts)))
        elif kind == "UserTask":
            out |= self.bound(proc, ts)
        return out

    def bound(self, proc: str, ts: Any) -> frozenset[str]:
        """The fields of a task's form an earlier answer on another task's form could leave it unable to repeat.

        A form's answers replace the same fields (the engine), so nothing stops a person contradicting an
        earlier answer; but a form whose every answer must contradict one (asking again, with a value it
        cannot take) is reported. Only such fields are kept in the states for it: a field the form can always
        leave out, or answer with whatever value the other forms give, never makes it uncompletable. A task's
        own earlier answer (a sign-off after an extension, a re-arranged meeting) is asked again, never binding.
        """
        key = (proc, ts.name)
        if key not in self.bound_cache:
            found = self.form(proc, ts)
            out: set[str] = set()
            for name in self.fields(proc, ts):
                others = self.askers[name] - {key}
                if not others or found is None:
                    continue
                mine = {
                    _freeze(a[name]) if name in a else None
                    for a in forms.answers(found[0], found[1], frozenset({name}))
                }
                if None in mine:
                    continue
                for oproc, onode in sorted(others):
                    other = self.form(oproc, self.specs[oproc].task_specs[onode])
                    assert other is not None
                    given = forms.domain(name, other[1]["properties"][name], other[0])
                    if any(_freeze(v) not in mine for v in given):
                        out.add(name)
            self.bound_cache[key] = frozenset(out)
        return self.bound_cache[key]

    def fields(self, proc: str, ts: Any) -> frozenset[str]:
        """The top-level fields of a user task's form (none without a form)."""
        found = self.form(proc, ts)
        return frozenset(found[1].get("properties", {})) if found else frozenset()

    def _askers(self) -> dict[str, set[tuple[str, str]]]:
        """For each form field, the user tasks whose forms ask it."""
        askers: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for proc, pspec in self.specs.items():
            for ts in pspec.task_specs.values():
                if _kind(ts) == "UserTask":
                    for name in self.fields(proc, ts):
                        askers[name].add((proc, ts.name))
        return askers

    def route_reads(self, proc: str, target: Any) -> frozenset[str]:
        """Everything the automated steps and exclusive gateways from ``target`` on can read, up to the first
        element of another kind (what :meth:`Explorer._automated_route` runs)."""
        key = (proc, target.name)
        if key not in self.route_cache:
            out: set[str] = set()
            seen: set[str] = set()
            todo = [target]
            while todo:
                ts = todo.pop()
                k = _kind(ts)
                if ts.name in seen or not (
                    k in _PURE and not self.boundary_events(proc, ts) or k == "ExclusiveGateway"
                ):
                    continue
                seen.add(ts.name)
                out |= self.reads(proc, ts) | (_table_names(ts) if k == "BusinessRuleTask" else set())
                if k == "ServiceTask":
                    out |= self.contracts[ts.operation_name].reads
                todo += self.successors(ts)
            self.route_cache[key] = frozenset(out)
        return self.route_cache[key]

    def joins_after(self, proc: str, split: Any) -> bool:
        """Whether the branches of a parallel split can meet again at a parallel join."""
        seen: set[str] = set()
        todo = list(split.outputs)
        while todo:
            ts = todo.pop()
            if ts.name in seen:
                continue
            seen.add(ts.name)
            if _kind(ts) == "ParallelGateway" and len(ts.inputs) > 1:
                return True
            todo += ts.outputs
        return False

    def kills(self, proc: str, ts: Any) -> frozenset[str]:
        """Variables an element always sets before anything after it reads them: their old values are dead there.

        A script's assignments at its top level (not those under an ``if``), a service task's result
        variable and the fields a form always requires; a table sets its outputs only when a row matches.
        """
        out: set[str] = set()
        kind = _kind(ts)
        scripts = [getattr(ts, "prescript", None), getattr(ts, "postscript", None)]
        if kind == "ScriptTask":
            scripts.append(ts.script)
        for script in scripts:
            if script:
                out |= _assigned_always(script)
        if kind == "ServiceTask" and ts.result_variable:
            out.add(ts.result_variable)
        if kind == "UserTask":
            found = self.form(proc, ts)
            out |= set(found[1].get("required", [])) if found else set()  # every answer gives them
        return frozenset(out)

    def _liveness(self) -> dict[tuple[str, str], frozenset[str]]:
        """Variables each element or anything after it may read before setting them (calls and event
        subprocesses included): data no later element reads is dropped from a state, so states stay few."""
        nodes: dict[tuple[str, str], Any] = {}
        edges: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        anytime: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for proc, pspec in self.specs.items():
            for ts in pspec.task_specs.values():
                nodes[(proc, ts.name)] = ts
                for o in ts.outputs:
                    edges[(proc, ts.name)].add((proc, o.name))
                if _kind(ts) in _CALLS or _kind(ts) == "EventSubprocess":
                    callee = self.specs[ts.spec]
                    edges[(proc, ts.name)].add((ts.spec, callee.start.name))
                    for end in callee.task_specs.values():
                        if _kind(end) == "EndEvent":
                            for o in ts.outputs:
                                edges[(ts.spec, end.name)].add((proc, o.name))
                for esp in self.event_subprocesses(proc):
                    anytime[(proc, ts.name)].add((proc, esp.name))  # may start before this element runs
        live = {key: set(self.reads(key[0], ts)) for key, ts in nodes.items()}
        kills = {key: self.kills(key[0], ts) for key, ts in nodes.items()}
        changed = True
        while changed:
            changed = False
            for key in nodes:
                before = len(live[key])
                for target in edges.get(key, ()):
                    live[key] |= live.get(target, set()) - kills[key]
                for target in anytime.get(key, ()):
                    live[key] |= live.get(target, set())
                if len(live[key]) != before:
                    changed = True
        return {key: frozenset(v) for key, v in live.items()}


# -- state ------------------------------------------------------------------------------------------
# A token is a tuple: (kind, scope, proc, node, fired, side)
#   kind "arr": arrived at node, not yet run (only a parallel join keeps one in a waiting state)
#   kind "wait": waiting at node (a user task, a catching event, an event-based gateway)
#   kind "call": a call activity or embedded subprocess running in scope + (node,)
#   kind "esp": an event subprocess running in scope + ("esp:" + node,)
# fired: boundary events already fired on this activation; side: on the path of a non-interrupting event.

Token = tuple[str, tuple[str, ...], str, str, frozenset[str], bool]


def _freeze(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# Who gave a value: the data key "@" + name holds the user task whose form answered it ("proc:node"), or "start"
# for the start data. A value a script, step or table sets has none: a reset or a worked-out value is no one's
# decision. A later form is bound by another task's answer (the same question answered on the same path), never
# by its own earlier answer: a task reached again (a sign-off after an extension, a re-arranged meeting) asks again.
START = "start"


def _by(name: str) -> str:
    return "@" + name


def _with_givers(names: Iterable[str]) -> set[str]:
    names = set(names)
    return names | {_by(n) for n in names}


def _set_by_step(data: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        data.pop(_by(name), None)


@lru_cache(maxsize=1024)
def _assigned_always(code: str) -> frozenset[str]:
    """Names a script assigns in a statement of its own top level (so on every run)."""
    out: set[str] = set()
    for stmt in ast.parse(code, mode="exec").body:
        targets = (
            stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        )
        out |= {t.id for t in targets if isinstance(t, ast.Name)}
    return frozenset(out)


@lru_cache(maxsize=1024)
def _assigned(code: str) -> frozenset[str]:
    tree = ast.parse(code, mode="exec")
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))


@dataclass(frozen=True)
class State:
    tokens: tuple[Token, ...]
    data: tuple[tuple[str, str], ...]
    fired_esp: frozenset[tuple[tuple[str, ...], str]]

    def values(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.data}


class _StepRefused(Exception):
    def __init__(self, element: str, reason: str) -> None:
        super().__init__(reason)
        self.element = element
        self.reason = reason


class Explorer:
    """Every reachable state of one process (from each combination of its start data)."""

    def __init__(self, program: Program, start_data: Mapping[str, list[Any]] | None = None) -> None:
        self.p = program
        self.start_data = START_DATA.get(program.process_id, {}) if start_data is None else start_data
        self.findings: dict[tuple[str, tuple[str, ...], str], Finding] = {}
        self.visited: set[tuple[str, str]] = set()
        self.edges: dict[State, set[State]] = {}
        self.refusals: dict[tuple[State, str], set[str]] = defaultdict(set)
        self.initial: list[State] = []
        # A condition's or a decision table's verdict on the values it reads (they are pure): answers differ
        # in many fields, the few each one reads take few values.
        self.memo: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[bool, Any]] = {}
        self.routes: dict[tuple[Any, ...], str | tuple[tuple[str, ...], dict[str, str | None]]] = {}
        self.frozen: dict[int, tuple[dict[str, Any], dict[str, str]]] = {}

    # -- findings ---------------------------------------------------------------------------------

    def _find(self, kind: str, proc: str, elements: Iterable[str], message: str) -> None:
        key = (kind, tuple(elements), "" if kind == "form_asks_inapplicable" else message)
        if key not in self.findings:
            self.findings[key] = Finding(kind, self.p.model_name(proc), tuple(elements), message)

    # -- the automated run --------------------------------------------------------------------------

    def _spec(self, proc: str, node: str) -> Any:
        return self.p.specs[proc].task_specs[node]

    def _arrive(
        self, tokens: list[Token], scope: tuple[str, ...], proc: str, targets: Iterable[Any], side: bool, source: str
    ) -> None:
        for t in targets:
            tokens.append(("arr", scope, proc, t.name, frozenset({source}), side))

    def _start_scope(self, tokens: list[Token], scope: tuple[str, ...], proc: str, side: bool) -> None:
        for start in self.p.start_events(proc):
            tokens.append(("arr", scope, proc, start.name, frozenset(), side))

    def _run(
        self,
        tokens: list[Token],
        data: dict[str, Any],
        fired_esp: set[tuple[tuple[str, ...], str]],
        answered: tuple[str, str, str, dict[str, Any]] | None = None,
    ) -> None:
        """Run automated steps until every token waits; raise _StepRefused if the step would roll back."""
        for _ in range(10_000):
            progressed = False
            for i, tok in enumerate(sorted(tokens)):
                kind, scope, proc, node, fired, side = tok
                if kind != "arr":
                    continue
                ts = self._spec(proc, node)
                k = _kind(ts)
                if k == "ParallelGateway" and len(ts.inputs) > 1:
                    have = {
                        t[4] and next(iter(t[4])) for t in tokens if t[0] == "arr" and t[1] == scope and t[3] == node
                    }
                    if not {i.name for i in ts.inputs} <= have:
                        continue
                    for src in {i.name for i in ts.inputs}:
                        tokens.remove(
                            next(t for t in tokens if t[0] == "arr" and t[1] == scope and t[3] == node and src in t[4])
                        )
                else:
                    tokens.remove(tok)
                self.visited.add((proc, node))
                self._step(tokens, data, tok, ts, k, answered)
                progressed = True
                break
            if not progressed and not self._complete_scopes(tokens):
                return
        raise NotUnderstood(self.p.model_name(self.p.process_id), self.p.process_id, "automated steps that never wait")

    def _complete_scopes(self, tokens: list[Token]) -> bool:
        for tok in sorted(tokens):
            kind, scope, proc, node, fired, side = tok
            if kind not in ("call", "esp"):
                continue
            child = scope + ((node,) if kind == "call" else ("esp:" + node,))
            if any(t[1][: len(child)] == child for t in tokens):
                continue
            tokens.remove(tok)
            if kind == "call":
                self._arrive(tokens, scope, proc, self.p.successors(self._spec(proc, node)), side, node)
            return True
        return False

    def _script(self, script: str | None, data: dict[str, Any], proc: str, ts: Any) -> None:
        if not script:
            return
        try:
            _ENV.execute(script, data)
        except NameError as exc:
            self._unset(proc, ts, exc)
        except Exception as exc:
            raise _StepRefused(_ident(ts), f"its script fails: {exc}") from exc
        _set_by_step(data, _assigned(script))

    def _unset(self, proc: str, ts: Any, exc: NameError) -> None:
        name = getattr(exc, "name", None) or str(exc)
        self._find(
            "unset_variable",
            proc,
            (_ident(ts),),
            f"{_label(ts)} reads {name!r}, which nothing sets on a path that reaches it",
        )
        raise _StepRefused(_ident(ts), f"it reads {name!r}, which is not set")

    def _step(
        self,
        tokens: list[Token],
        data: dict[str, Any],
        tok: Token,
        ts: Any,
        k: str,
        answered: tuple[str, str, str, dict[str, Any]] | None,
    ) -> None:
        _, scope, proc, node, _, side = tok
        succ = self.p.successors(ts)
        if (
            k in ("BpmnStartTask", "StartEvent", "IntermediateThrowEvent", "SendTask")
            or k in _PASS
            and k not in _WAIT_TASKS
        ):
            self._arrive(tokens, scope, proc, succ, side, node)
        elif k == "EndEvent":
            if isinstance(ts.event_definition, TerminateEventDefinition):
                tokens[:] = [
                    t for t in tokens if t[1][: len(scope)] != scope or t[1] == scope and t[0] == "esp" and False
                ]
                return
            if not side:
                open_main = sorted(
                    {
                        _label(self._spec(t[2], t[3]))
                        for t in tokens
                        if t[1] == scope and not t[5] and t[0] in ("wait", "call", "arr")
                    }
                )
                if open_main:
                    self._find(
                        "improper_completion",
                        proc,
                        (_ident(ts),),
                        f"the end {_label(ts)} is reached while {', '.join(open_main)} is still open",
                    )
        elif k in _WAIT_TASKS or k in ("IntermediateCatchEvent", "ReceiveTask", "EventBasedGateway"):
            self._script(getattr(ts, "prescript", None), data, proc, ts)
            tokens.append(("wait", scope, proc, node, frozenset(), side))
        elif k == "BoundaryEventSplit":
            activity = next(o for o in ts.outputs if _kind(o) != "BoundaryEvent")
            self.visited.add((proc, activity.name))
            self._step(
                tokens,
                data,
                ("arr", scope, proc, activity.name, frozenset(), side),
                activity,
                _kind(activity),
                answered,
            )
        elif k in _CALLS:
            tokens.append(("call", scope, proc, node, frozenset(), side))
            self._start_scope(tokens, scope + (node,), ts.spec, False)
        elif k in _PURE:
            self._pure_step(proc, ts, data, answered)
            self._arrive(tokens, scope, proc, succ, side, node)
        elif k in ("ExclusiveGateway", "InclusiveGateway"):
            self._arrive(tokens, scope, proc, self._choose(proc, ts, k, data), side, node)
        elif k == "ParallelGateway":
            # the branches of a split that never joins end on their own (the last one, or a terminate end,
            # finishes the process), as the side paths of non-interrupting events do
            alone = len(succ) > 1 and not self.p.joins_after(proc, ts)
            self._arrive(tokens, scope, proc, succ, side or alone, node)
        else:
            raise NotUnderstood(self.p.model_name(proc), _label(ts), f"an element of kind {k} on a path")

    def _choose(self, proc: str, ts: Any, k: str, data: dict[str, Any]) -> list[Any]:
        """The ways out of an exclusive or inclusive gateway that the data takes (refused when none)."""
        chosen = []
        for cond, target in ts.cond_task_specs:
            if target == ts.default_task_spec:
                continue
            if cond is None:
                chosen.append(target)
            else:
                code = cond.args[0]
                key = (code, _inputs(_names(code, "eval"), data))
                if key not in self.memo:
                    try:
                        self.memo[key] = (True, _ENV.evaluate(code, dict(data)))
                    except Exception as exc:
                        self.memo[key] = (False, exc)
                done, value = self.memo[key]
                if not done and isinstance(value, NameError):
                    self._unset(proc, ts, value)
                elif not done:
                    raise _StepRefused(_ident(ts), f"{_label(ts)}: a condition fails: {value}") from value
                if value:
                    chosen.append(target)
            if chosen and k == "ExclusiveGateway":
                break
        if not chosen and ts.default_task_spec:
            chosen = [ts.default_task_spec]
        if not chosen:
            raise _StepRefused(_ident(ts), f"no way out of {_label(ts)} matches")
        return [self._spec(proc, c) for c in chosen]

    def _check_applicable(
        self,
        contract: Contract,
        data: dict[str, Any],
        answered: tuple[str, str, str, dict[str, Any]] | None,
        proc: str,
        ts: Any,
    ) -> None:
        """A form must not insist on an answer the route this step takes makes meaningless."""
        if answered is None:
            return
        task_proc, task_node, form_name, answer = answered
        schema = self.p.form_cache[form_name]
        inapplicable = contract.not_applicable(data)
        for name in sorted(inapplicable):
            if forms.required_here(form_name, schema, answer, name, inapplicable):
                task = self._spec(task_proc, task_node)
                title = schema.get("properties", {}).get(name, {}).get("title", name)
                self._find(
                    "form_asks_inapplicable",
                    task_proc,
                    (_ident(task), name),
                    f"the form of {_label(task)} requires '{title}' ({name}) on the route {_label(ts)} takes "
                    f"with {_describe(answer, contract)}, where it means nothing",
                )

    # -- waiting states and what can happen in them ------------------------------------------------

    def _project(self, tokens: list[Token], data: dict[str, Any], fired_esp: set[Any]) -> State:
        keep: set[str] = set()
        for t in tokens:
            keep |= self.p.live.get((t[2], t[3]), frozenset())
        scopes = self._active_scopes(tokens)
        for _scope, proc in scopes:
            for esp in self.p.event_subprocesses(proc):
                keep |= self.p.live.get((proc, esp.name), frozenset())
        keep = _with_givers(keep)
        items = tuple(sorted((k, _freeze(v)) for k, v in data.items() if k in keep))
        fired = frozenset(f for f in fired_esp if any(f[0] == s for s, _ in scopes))
        return State(tuple(sorted(tokens)), items, fired)

    def _active_scopes(self, tokens: Iterable[Token]) -> list[tuple[tuple[str, ...], str]]:
        tokens = list(tokens)
        scopes: list[tuple[tuple[str, ...], str]] = [((), self.p.process_id)] if tokens else []
        for t in tokens:
            if t[0] == "call":
                scopes.append((t[1] + (t[3],), self._spec(t[2], t[3]).spec))
            elif t[0] == "esp":
                scopes.append((t[1] + ("esp:" + t[3],), self._spec(t[2], t[3]).spec))
        return scopes

    def _moves(self, state: State) -> list[tuple[str, Any]]:
        """Everything that can happen in a waiting state, as (what, how) pairs."""
        moves: list[tuple[str, Any]] = []
        for tok in state.tokens:
            kind, scope, proc, node, fired, side = tok
            ts = self._spec(proc, node)
            k = _kind(ts)
            if kind == "wait" and k in _WAIT_TASKS:
                moves.append(("complete", tok))
            if kind == "wait" and k in ("IntermediateCatchEvent", "ReceiveTask"):
                moves.append(("catch", (tok, ts)))
            if kind == "wait" and k == "EventBasedGateway":
                moves += [("catch", (tok, o)) for o in ts.outputs]
            if kind in ("wait", "call"):
                for b in self.p.boundary_events(proc, ts):
                    if b.name not in fired:
                        moves.append(("boundary", (tok, b)))
        for scope, proc in self._active_scopes(state.tokens):
            for esp in self.p.event_subprocesses(proc):
                start = self.p.esp_start(esp)
                running = any(t[0] == "esp" and t[1] == scope and t[3] == esp.name for t in state.tokens)
                once = isinstance(start.event_definition, TimerEventDefinition) and (scope, esp.name) in state.fired_esp
                if not running and not once:
                    moves.append(("esp", (scope, proc, esp, start)))
        return moves

    def _successors(self, state: State) -> set[State]:
        out: set[State] = set()
        for what, how in self._moves(state):
            if what == "complete":
                out |= self._complete(state, how)
                continue
            tokens = list(state.tokens)
            data = state.values()
            fired_esp = set(state.fired_esp)
            if what == "catch":
                tok, event = how
                tokens.remove(tok)
                self.visited.add((tok[2], event.name))
                self._arrive(tokens, tok[1], tok[2], self.p.successors(event), tok[5], event.name)
            elif what == "boundary":
                tok, event = how
                tokens.remove(tok)
                self.visited.add((tok[2], event.name))
                if event.cancel_activity:
                    child = tok[1] + (tok[3],)
                    tokens = [t for t in tokens if t[1][: len(child)] != child]
                    self._arrive(tokens, tok[1], tok[2], self.p.successors(event), tok[5], event.name)
                else:
                    tokens.append(tok[:4] + (tok[4] | {event.name}, tok[5]))
                    self._arrive(tokens, tok[1], tok[2], self.p.successors(event), True, event.name)
            elif what == "esp":
                scope, proc, esp, start = how
                self.visited.add((proc, esp.name))
                interrupting = getattr(start, "interrupting", True)
                if interrupting:
                    tokens = [t for t in tokens if t[1][: len(scope)] != scope]
                if isinstance(start.event_definition, TimerEventDefinition):
                    fired_esp.add((scope, esp.name))
                tokens.append(("esp", scope, proc, esp.name, frozenset(), not interrupting))
                self.visited.add((esp.spec, start.name))
                self._arrive(
                    tokens, scope + ("esp:" + esp.name,), esp.spec, self.p.successors(start), False, start.name
                )
            try:
                self._run(tokens, data, fired_esp)
            except _StepRefused as exc:
                self._find(
                    "step_fails_after_event",
                    self.p.process_id,
                    (exc.element,),
                    f"after {what} {_label(how[1] if what != 'esp' else how[2])}: {exc.reason}",
                )
                continue
            out.add(self._project(tokens, data, fired_esp))
        return out

    def _complete(self, state: State, tok: Token) -> set[State]:
        _, scope, proc, node, fired, side = tok
        ts = self._spec(proc, node)
        found = self.p.form(proc, ts)
        data0 = state.values()
        me = f"{proc}:{node}"
        if found is None:
            choices: list[dict[str, Any]] = [{}]
            form_name = ""
        else:
            form_name, schema = found
            successors_live: set[str] = set()
            for s in self.p.successors(ts):
                successors_live |= self.p.live.get((proc, s.name), frozenset())
            props = set(schema.get("properties", {}))
            decided = {
                k: v
                for k, v in data0.items()
                if k in self.p.bound(proc, ts) and v is not None and data0.get(_by(k)) not in (None, me)
            }
            relevant = frozenset((successors_live & props) | set(decided))
            choices = forms.answers(form_name, schema, relevant)
            if not any(all(decided[k] == v for k, v in a.items() if k in decided) for a in choices):
                self._form_uncompletable(proc, ts, schema, choices, decided)
        out: set[State] = set()
        for answer in self._representatives(state, tok, ts, form_name, choices, data0):
            tokens = list(state.tokens)
            tokens.remove(tok)
            data = dict(data0)
            data.update(answer)
            data.update({_by(k): me for k in answer})
            fired_esp = set(state.fired_esp)
            try:
                self._script(getattr(ts, "postscript", None), data, proc, ts)
                self._arrive(tokens, scope, proc, self.p.successors(ts), side, node)
                self._run(tokens, data, fired_esp, (proc, node, form_name, answer) if form_name else None)
            except _StepRefused as exc:
                self.refusals[(state, node)].add(exc.reason)
                continue
            out.add(self._project(tokens, data, fired_esp))
        return out

    def _representatives(
        self, state: State, tok: Token, ts: Any, form_name: str, choices: list[dict[str, Any]], data0: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One answer for each different outcome of the automated steps straight after the task.

        Why: a decision form has thousands of answer combinations, but the steps after it (a
        decision table, a step's rule, the gateways choosing by them) refuse some and lead the
        rest along a few routes, to an element that waits or forks, with a few different facts
        that anything after it still reads. Running those steps on data alone (cheap) groups the
        answers by route and facts; only one of each group runs the whole step. Each answer is
        still checked for fields it is made to give that mean nothing on its route.
        """
        proc = tok[2]
        nxt = self.p.successors(ts)
        if len(nxt) != 1 or getattr(ts, "postscript", None) or len(choices) < 8:
            return choices
        keep: set[str] = set()
        for other in state.tokens:
            if other != tok:
                keep |= self.p.live.get((other[2], other[3]), frozenset())
        for _scope, sproc in self._active_scopes(state.tokens):
            for esp in self.p.event_subprocesses(sproc):
                keep |= self.p.live.get((sproc, esp.name), frozenset())
        me = _freeze(f"{proc}:{tok[3]}")
        # What the route can read: the same values there give the same route, facts and findings (the steps are
        # pure), whatever state the task is completed in; the form's conditional fields decide what it insists on.
        schema = self.p.form_cache[form_name]
        reads = self.p.route_reads(proc, nxt[0]) | forms.conditional_fields(schema)
        before = dict(state.data)
        known = tuple(sorted((n, before[n]) for n in reads & before.keys()))
        asked = sorted(reads & set(schema.get("properties", {})))
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for answer in choices:
            given = self._frozen(answer)
            key = (proc, tok[3], known, tuple([given.get(n) for n in asked]))
            if key not in self.routes:
                self.routes[key] = self._route_outcome(proc, tok[3], nxt[0], form_name, data0, answer)
            outcome = self.routes[key]
            if isinstance(outcome, str):
                self.refusals[(state, tok[3])].add(outcome)
                continue
            route, changed = outcome
            kept = keep | self.p.live.get((proc, route[-1]), frozenset())
            items = []
            for name in sorted(_with_givers(kept)):
                if name in changed:
                    value = changed[name]
                elif name in given:
                    value = given[name]
                elif name[:1] == "@" and name[1:] in given:
                    value = me
                else:
                    value = before.get(name)
                if value is not None:
                    items.append((name, value))
            groups.setdefault((route, tuple(items)), answer)
        return list(groups.values())

    def _frozen(self, answer: dict[str, Any]) -> dict[str, str]:
        """An answer's values as text (answers are kept by the forms module, so once each)."""
        ident = id(answer)
        if ident not in self.frozen:
            self.frozen[ident] = (answer, {k: _freeze(v) for k, v in answer.items()})
        return self.frozen[ident][1]

    def _route_outcome(
        self, proc: str, node: str, target: Any, form_name: str, data0: dict[str, Any], answer: dict[str, Any]
    ) -> str | tuple[tuple[str, ...], dict[str, str | None]]:
        """The automated route after an answer: the reason it is refused, or the elements passed and the values
        it set or cleared (None: a giver cleared)."""
        data = dict(data0)
        data.update(answer)
        data.update({_by(k): f"{proc}:{node}" for k in answer})
        start = dict(data)
        try:
            route = self._automated_route(proc, target, data, (proc, node, form_name, answer))
        except _StepRefused as exc:
            return exc.reason
        changed: dict[str, str | None] = {k: None for k in start if k not in data}
        for k, v in data.items():
            if k not in start or start[k] is not v:
                changed[k] = _freeze(v)
        return route, changed

    def _automated_route(
        self, proc: str, target: Any, data: dict[str, Any], answered: tuple[str, str, str, dict[str, Any]]
    ) -> tuple[str, ...]:
        """Run the service, script and decision tasks and the exclusive gateways from ``target`` on data alone,
        up to the first element of another kind (or with a boundary event); return the elements passed."""
        route = [target.name]
        for _ in range(100):
            k = _kind(target)
            if k in _PURE and not self.p.boundary_events(proc, target):
                self._pure_step(proc, target, data, answered)
                nxt = self.p.successors(target)
                if len(nxt) != 1:
                    break
                target = nxt[0]
            elif k == "ExclusiveGateway":
                target = self._choose(proc, target, k, data)[0]
            else:
                break
            route.append(target.name)
        return tuple(route)

    def _pure_step(
        self, proc: str, ts: Any, data: dict[str, Any], answered: tuple[str, str, str, dict[str, Any]] | None
    ) -> None:
        """Run a service, script or decision task on data alone (no tokens move)."""
        k = _kind(ts)
        if k == "ServiceTask":
            contract = self.p.contracts[ts.operation_name]
            self._check_applicable(contract, data, answered, proc, ts)
            try:
                result, writes = contract.run(data, self.p.params(proc, ts))
            except Refusal as exc:
                raise _StepRefused(_ident(ts), f"{_label(ts)} refuses: {exc}") from exc
            if ts.result_variable:
                data[ts.result_variable] = result
                _set_by_step(data, [ts.result_variable])
            data.update(writes)
            _set_by_step(data, writes)
        elif k == "ScriptTask":
            self._script(ts.script, data, proc, ts)
        else:
            key = (f"{proc}:{ts.name}", _inputs(_table_names(ts), data))
            if key not in self.memo:
                try:
                    self.memo[key] = (True, ts.dmnEngine.result(_Task(dict(data))))
                except Exception as exc:
                    self.memo[key] = (False, exc)
            done, value = self.memo[key]
            if not done and isinstance(value, NameError):
                self._unset(proc, ts, value)
            elif not done:
                raise _StepRefused(_ident(ts), f"{_label(ts)} fails: {value}") from value
            result = copy.deepcopy(value)
            data.update(result)
            _set_by_step(data, result)

    def _form_uncompletable(
        self, proc: str, ts: Any, schema: dict[str, Any], all_answers: list[dict[str, Any]], decided: dict[str, Any]
    ) -> None:
        clashes = sorted({k for a in all_answers for k, v in a.items() if k in decided and decided[k] != v})
        said = ", ".join(f"{schema['properties'].get(k, {}).get('title', k)} {_word(decided[k])}" for k in clashes)
        self._find(
            "form_uncompletable",
            proc,
            (_ident(ts), *clashes),
            f"the form of {_label(ts)} cannot be completed on the path where {said or 'it is reached'}: "
            "every answer it accepts contradicts what was decided before",
        )

    # -- the search ---------------------------------------------------------------------------------

    def explore(self) -> None:
        names = sorted(self.start_data)
        for combo in itertools.product(*(self.start_data[n] for n in names)):
            tokens: list[Token] = []
            data = dict(zip(names, combo, strict=True))
            data.update({_by(n): START for n in names})
            self._start_scope(tokens, (), self.p.process_id, False)
            fired: set[Any] = set()
            try:
                self._run(tokens, data, fired)
            except _StepRefused as exc:
                self._find("cannot_start", self.p.process_id, (exc.element,), exc.reason)
                continue
            self.initial.append(self._project(tokens, data, fired))
        todo = list(self.initial)
        while todo:
            state = todo.pop()
            if state in self.edges:
                continue
            if len(self.edges) >= MAX_STATES:
                raise NotUnderstood(
                    self.p.model_name(self.p.process_id), self.p.process_id, f"more than {MAX_STATES} states"
                )
            nxt = self._successors(state) if state.tokens else set()
            self.edges[state] = nxt
            todo.extend(s for s in nxt if s not in self.edges)

    def analyse(self) -> list[Finding]:
        self.explore()
        self._dead_ends()
        self._dead_elements()
        return sorted(self.findings.values(), key=lambda f: (f.kind, f.elements, f.message))

    def _dead_ends(self) -> None:
        back: dict[State, set[State]] = defaultdict(set)
        for s, nxt in self.edges.items():
            for n in nxt:
                back[n].add(s)
        good = {s for s in self.edges if not s.tokens}
        todo = list(good)
        while todo:
            s = todo.pop()
            for p in back[s]:
                if p not in good:
                    good.add(p)
                    todo.append(p)
        bad = [s for s in self.edges if s not in good]
        for s in bad:
            if self.edges[s]:
                continue  # only the states where it stops are reported; a loop is reported below
            self._report_stuck(s)
        # loops with no way out: bad states whose successors are all bad and which can reach themselves
        for s in bad:
            if not self.edges[s]:
                continue
            reach = self._reach(s)
            if s in reach and all(not self.edges[r] or r in reach for r in reach) and all(self.edges[r] for r in reach):
                elements = sorted({_label(self._spec(t[2], t[3])) for r in reach for t in r.tokens})
                ids = sorted({t[3] for r in reach for t in r.tokens})
                self._find(
                    "loop_without_way_out",
                    self.p.process_id,
                    tuple(ids),
                    f"once at {', '.join(elements)} the process can only go round: no end can be reached",
                )

    def _reach(self, s: State) -> set[State]:
        seen: set[State] = set()
        todo = list(self.edges[s])
        while todo:
            r = todo.pop()
            if r not in seen:
                seen.add(r)
                todo.extend(self.edges[r])
        return seen

    def _report_stuck(self, s: State) -> None:
        waiting = [t for t in s.tokens if t[0] in ("wait", "arr")]
        for t in waiting:
            ts = self._spec(t[2], t[3])
            reasons = sorted(self.refusals.get((s, t[3]), set()))
            facts = ", ".join(f"{k} {_word(json.loads(v))}" for k, v in s.data if not k.startswith("@"))
            why = f": every answer is refused ({'; '.join(reasons)})" if reasons else ""
            if t[0] == "arr":
                why = ": its join waits for a path that never comes"
            self._find(
                "dead_end",
                t[2],
                (_ident(ts),),
                f"waits for ever at {_label(ts)}{why}" + (f" (when {facts})" if facts else ""),
            )

    def _dead_elements(self) -> None:
        proc = self.p.process_id
        for ts in self.p.specs[proc].task_specs.values():
            k = _kind(ts)
            if (
                k
                in (
                    "UserTask",
                    "ManualTask",
                    "ServiceTask",
                    "ScriptTask",
                    "BusinessRuleTask",
                    "EndEvent",
                    "CallActivity",
                    "SubWorkflowTask",
                    "IntermediateCatchEvent",
                    "ReceiveTask",
                    "SendTask",
                    "IntermediateThrowEvent",
                )
                and (proc, ts.name) not in self.visited
            ):
                what = "end" if k == "EndEvent" else "task"
                self._find(f"unreachable_{what}", proc, (_ident(ts),), f"{_label(ts)} is never reached")


def _word(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not set"
    return str(value).replace("_", " ")


def _describe(answer: Mapping[str, Any], contract: Contract) -> str:
    said = [
        f"{k} {_word(v)}"
        for k, v in sorted(answer.items())
        if k in contract.reads and not isinstance(v, str) or k in contract.reads and isinstance(v, str) and len(v) < 30
    ]
    return ", ".join(said) or "these answers"


def check_process(
    process_id: str,
    spec: BpmnProcessSpec,
    subprocess_specs: Mapping[str, BpmnProcessSpec],
    forms_dir: Path,
    start_data: Mapping[str, list[Any]] | None = None,
    contracts: Mapping[str, Contract] = CONTRACTS,
) -> Report:
    """Explore one process (with what it calls) and report everything that stops it finishing."""
    began = time.perf_counter()
    program = Program(process_id, spec, subprocess_specs, forms_dir, contracts)
    explorer = Explorer(program, start_data)
    findings = explorer.analyse()
    return Report(process_id, findings, len(explorer.edges), time.perf_counter() - began)


def check_folder(
    bpmn_dir: Path,
    contracts: Mapping[str, Contract] = CONTRACTS,
    start_data: Mapping[str, Mapping[str, list[Any]]] = START_DATA,
) -> list[Report]:
    """Check every process of a model folder (each as a process of its own, calls expanded), with the steps'
    ``contracts`` and ``start_data`` of the handlers those models ran with (today's by default)."""
    from workflows.model_registry import ModelRegistry

    registry = ModelRegistry(bpmn_dir)
    reports = []
    for process_id in registry.process_ids:
        model = registry.current(process_id)
        reports.append(
            check_process(
                process_id,
                model.spec,
                model.subprocess_specs,
                bpmn_dir / "forms",
                start_data.get(process_id, {}),
                contracts,
            )
        )
    return reports
