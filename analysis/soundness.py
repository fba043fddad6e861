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
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def _names(code: str, mode: str) -> set[str]:
    tree = ast.parse(code, mode=mode)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


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
            for ts in pspec.task_specs.values():
                self._check_understood(proc, ts)
        self.live = self._liveness()

    # -- reading the specs --------------------------------------------------------------------------

    def model_name(self, proc: str) -> str:
        file = getattr(self.specs[proc], "file", None)
        return f"{Path(file).name} ({proc})" if file else proc

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
        """A service task's parameters, evaluated (they are literals in these models)."""
        params = {}
        for name, param in (ts.operation_params or {}).items():
            try:
                params[name] = _ENV.evaluate(param["value"], {})
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
            found = self.form(proc, ts)
            if found:
                out |= set(found[1].get("properties", {}))
        return out

    def _liveness(self) -> dict[tuple[str, str], frozenset[str]]:
        """Variables each element or anything after it may read (calls and event subprocesses included)."""
        nodes: dict[tuple[str, str], Any] = {}
        edges: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
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
                    edges[(proc, ts.name)].add((proc, esp.name))
        live = {key: set(self.reads(key[0], ts)) for key, ts in nodes.items()}
        changed = True
        while changed:
            changed = False
            for key, targets in edges.items():
                before = len(live[key])
                for target in targets:
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
            chosen = []
            for cond, target in ts.cond_task_specs:
                if target == ts.default_task_spec:
                    continue
                if cond is None:
                    chosen.append(target)
                else:
                    try:
                        ok = _ENV.evaluate(cond.args[0], dict(data))
                    except NameError as exc:
                        self._unset(proc, ts, exc)
                    except Exception as exc:
                        raise _StepRefused(_ident(ts), f"{_label(ts)}: a condition fails: {exc}") from exc
                    if ok:
                        chosen.append(target)
                if chosen and k == "ExclusiveGateway":
                    break
            if not chosen and ts.default_task_spec:
                chosen = [ts.default_task_spec]
            if not chosen:
                raise _StepRefused(_ident(ts), f"no way out of {_label(ts)} matches")
            self._arrive(tokens, scope, proc, [self._spec(proc, c) for c in chosen], side, node)
        elif k == "ParallelGateway":
            self._arrive(tokens, scope, proc, succ, side, node)
        else:
            raise NotUnderstood(self.p.model_name(proc), _label(ts), f"an element of kind {k} on a path")

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
        for name in sorted(contract.not_applicable(data)):
            if forms.required_here(form_name, schema, answer, name):
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
        if found is None:
            choices: list[dict[str, Any]] = [{}]
            form_name = ""
        else:
            form_name, schema = found
            relevant = self.p.live.get((proc, node), frozenset())
            successors_live: set[str] = set()
            for s in self.p.successors(ts):
                successors_live |= self.p.live.get((proc, s.name), frozenset())
            props = set(schema.get("properties", {}))
            decided = {k: v for k, v in data0.items() if k in props and v is not None}
            relevant = frozenset((successors_live & props) | set(decided))
            all_answers = forms.answers(form_name, schema, relevant)
            choices = [a for a in all_answers if all(decided[k] == v for k, v in a.items() if k in decided)]
            if not choices:
                self._form_uncompletable(state, proc, ts, schema, all_answers, data0)
                return set()
        out: set[State] = set()
        for answer in self._representatives(state, tok, ts, form_name, choices, data0):
            tokens = list(state.tokens)
            tokens.remove(tok)
            data = dict(data0)
            data.update(answer)
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
        """One answer for each different outcome of the steps straight after the task.

        Why: a decision form has thousands of answer combinations but its next step (a rule)
        either refuses them or leaves a handful of different facts. Running those steps'
        contracts (cheap) groups the answers; only one of each group runs the whole step.
        Each answer is still checked for fields it is made to give that mean nothing there.
        """
        proc = tok[2]
        chain = []
        node = ts
        while True:
            nxt = self.p.successors(node)
            if len(nxt) != 1 or _kind(nxt[0]) not in _PURE or self.p.boundary_events(proc, nxt[0]):
                break
            node = nxt[0]
            chain.append(node)
        if not chain or getattr(ts, "postscript", None) or len(choices) < 8:
            return choices
        after = self.p.successors(chain[-1])
        keep: set[str] = set()
        for target in after:
            keep |= self.p.live.get((proc, target.name), frozenset())
        for other in state.tokens:
            if other != tok:
                keep |= self.p.live.get((other[2], other[3]), frozenset())
        for _scope, sproc in self._active_scopes(state.tokens):
            for esp in self.p.event_subprocesses(sproc):
                keep |= self.p.live.get((sproc, esp.name), frozenset())
        groups: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        for answer in choices:
            data = dict(data0)
            data.update(answer)
            try:
                for step in chain:
                    self._pure_step(proc, step, data, (proc, tok[3], form_name, answer))
            except _StepRefused as exc:
                self.refusals[(state, tok[3])].add(exc.reason)
                continue
            signature = tuple(sorted((k, _freeze(v)) for k, v in data.items() if k in keep))
            groups.setdefault(signature, answer)
        return list(groups.values())

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
            data.update(writes)
        elif k == "ScriptTask":
            self._script(ts.script, data, proc, ts)
        else:
            try:
                result = ts.dmnEngine.result(_Task(dict(data)))
            except NameError as exc:
                self._unset(proc, ts, exc)
            except Exception as exc:
                raise _StepRefused(_ident(ts), f"{_label(ts)} fails: {exc}") from exc
            data.update(result)

    def _form_uncompletable(
        self,
        state: State,
        proc: str,
        ts: Any,
        schema: dict[str, Any],
        all_answers: list[dict[str, Any]],
        data0: dict[str, Any],
    ) -> None:
        clashes = sorted({k for a in all_answers for k, v in a.items() if data0.get(k) not in (None, v)})
        said = ", ".join(f"{schema['properties'].get(k, {}).get('title', k)} {_word(data0[k])}" for k in clashes)
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
            facts = ", ".join(f"{k} {_word(json.loads(v))}" for k, v in s.data)
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
) -> Report:
    """Explore one process (with what it calls) and report everything that stops it finishing."""
    began = time.perf_counter()
    program = Program(process_id, spec, subprocess_specs, forms_dir)
    explorer = Explorer(program, start_data)
    findings = explorer.analyse()
    return Report(process_id, findings, len(explorer.edges), time.perf_counter() - began)


def check_folder(bpmn_dir: Path) -> list[Report]:
    """Check every process of a model folder (each as a process of its own, calls expanded)."""
    from workflows.model_registry import ModelRegistry

    registry = ModelRegistry(bpmn_dir)
    reports = []
    for process_id in registry.process_ids:
        model = registry.current(process_id)
        reports.append(check_process(process_id, model.spec, model.subprocess_specs, bpmn_dir / "forms"))
    return reports
