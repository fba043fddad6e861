"""A process model as a workflow net whose visible transitions are its user tasks: what conformance replays.

Why a net, and why our own: token-based replay (Rozinat and van der Aalst) needs a Petri net, and the event log
records what people did (a user task completed), so the user tasks are the net's visible transitions and every
other element (service, script and rule tasks, gateways, events, calls) is silent. pm4py would build one, but it is
AGPL-3.0 (see analysis/soundness.py), so it stays a test-only reader that cross-checks these figures.

The translation is the usual flow-based one, read from the BPMN file itself:

* each sequence flow is a place; the start event takes the token from the source place, every end event puts
  one in the sink; a terminate end event also clears every other place (as the engine cancels what is open);
* an activity with several incoming flows joins them as BPMN does (any one of them starts it); with several
  outgoing flows it starts them all; an exclusive gateway is a choice of silent transitions, a parallel gateway
  one transition that waits for all its incoming flows and starts all its outgoing ones;
* an activity with boundary events gets a "busy" place: an interrupting event takes the activity's token, a
  non-interrupting one (a reminder) leaves it and starts its own path;
* a call activity is replaced by the net of the process it calls (its places prefixed with the call's id), as
  the engine runs the called process inside the caller's instance: its user tasks are in the caller's trace.
  A terminate end event inside it ends only the called process.

Anything else (an event subprocess, an inclusive or event-based gateway) raises :class:`NotUnderstood`, naming
the element, rather than giving a figure for a model it did not read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from analysis.errors import NotUnderstood

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ACTIVITIES = {"userTask", "serviceTask", "scriptTask", "businessRuleTask", "callActivity", "manualTask",
              "task", "sendTask", "receiveTask", "intermediateCatchEvent", "intermediateThrowEvent"}
KNOWN = ACTIVITIES | {"startEvent", "endEvent", "exclusiveGateway", "parallelGateway", "boundaryEvent",
                      "sequenceFlow", "laneSet", "documentation", "extensionElements", "dataObject",
                      "dataObjectReference", "textAnnotation", "association", "ioSpecification"}
SOURCE, SINK = "source", "sink"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | None  # the user task's id for a visible transition; None for a silent one
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    # A terminate end event: firing it empties every place whose name starts with this prefix (its process's
    # places: "" for the top process, "<call id>/" for a called one). None for every other transition.
    terminate: str | None = None


@dataclass
class WorkflowNet:
    process_id: str
    transitions: list[Transition] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # visible label -> the task's name, for people

    @property
    def places(self) -> set[str]:
        return {p for t in self.transitions for p in (*t.inputs, *t.outputs)}

    def add(self, name: str, inputs: tuple[str, ...], outputs: tuple[str, ...], *, label: str | None = None,
            terminate: str | None = None) -> None:
        self.transitions.append(Transition(name, label, inputs, outputs, terminate))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def process_files(bpmn_dir: Path) -> dict[str, Path]:
    """Every executable process id in the folder, with the file it is in."""
    found: dict[str, Path] = {}
    for path in sorted(bpmn_dir.glob("*.bpmn")):
        for process in ElementTree.parse(path).getroot().iter(f"{BPMN}process"):
            if process.get("isExecutable", "true") != "false":
                found[process.get("id", "")] = path
    return found


def read_net(bpmn_dir: Path, process_id: str, files: dict[str, Path] | None = None) -> WorkflowNet:
    """The workflow net of the process ``process_id`` (in one of the folder's files), calls expanded.

    ``files``: :func:`process_files` of the folder, when the caller already has it (reading every process of a
    folder then parses each file for its ids once, not once per process).
    """
    files = process_files(bpmn_dir) if files is None else files
    if process_id not in files:
        raise NotUnderstood(str(bpmn_dir), process_id, "no process with that id in the models")
    net = WorkflowNet(process_id)
    _add_process(net, files, process_id, prefix="", calling=())
    return net


def _add_process(net: WorkflowNet, files: dict[str, Path], process_id: str, prefix: str,
                 calling: tuple[str, ...]) -> None:
    """Add the process's transitions to ``net``, every place and transition named with ``prefix``."""
    bpmn_file = files[process_id]
    process = next(p for p in ElementTree.parse(bpmn_file).getroot().iter(f"{BPMN}process")
                   if p.get("id") == process_id)
    where = f"{bpmn_file.name} ({process_id})"
    kinds: dict[str, str] = {}
    names: dict[str, str] = {}
    called: dict[str, str] = {}
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    boundaries: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    terminates: set[str] = set()
    for element in process:
        kind, ident = _local(element.tag), element.get("id", "")
        if kind not in KNOWN:
            raise NotUnderstood(where, ident or kind, f"an element of kind {kind}, which conformance cannot read")
        if kind == "sequenceFlow":
            outgoing[element.get("sourceRef", "")].append(prefix + ident)
            incoming[element.get("targetRef", "")].append(prefix + ident)
            continue
        if kind in {"laneSet", "documentation", "extensionElements", "dataObject", "dataObjectReference",
                    "textAnnotation", "association", "ioSpecification"}:
            continue
        kinds[ident], names[ident] = kind, element.get("name") or ident
        if kind == "callActivity":
            called[ident] = element.get("calledElement", "")
        if kind == "boundaryEvent":
            boundaries[element.get("attachedToRef", "")].append((ident, element.get("cancelActivity") != "false"))
        if kind == "endEvent" and element.find(f"{BPMN}terminateEventDefinition") is not None:
            terminates.add(ident)
    source, sink = prefix + SOURCE, prefix + SINK
    for ident, kind in kinds.items():
        ins, outs = tuple(incoming[ident]), tuple(outgoing[ident])
        name = prefix + ident
        if kind == "startEvent":
            net.add(name, (source,), outs)
        elif kind == "endEvent":
            for flow in ins:
                net.add(f"{name}:{flow}", (flow,), (sink,), terminate=prefix if ident in terminates else None)
        elif kind == "exclusiveGateway":
            for flow_in in ins:
                for flow_out in outs:
                    net.add(f"{name}:{flow_in}->{flow_out}", (flow_in,), (flow_out,))
        elif kind == "parallelGateway":
            net.add(name, ins, outs)
        elif kind in ACTIVITIES:
            body = None
            if kind == "callActivity":
                callee = called[ident]
                if callee not in files:
                    raise NotUnderstood(where, ident, f"a call to {callee!r}, which is not among the models")
                if callee in calling:
                    raise NotUnderstood(where, ident, f"a call to {callee!r}, which calls itself in the end")
                inner = f"{name}/"
                _add_process(net, files, callee, inner, (*calling, process_id))
                body = (inner + SOURCE, inner + SINK)
            boundary = [(prefix + event, interrupting) for event, interrupting in boundaries.get(ident, [])]
            events_out = {prefix + event: outgoing[event] for event, _ in boundaries.get(ident, [])}
            _activity(net, name, ident if kind == "userTask" else None, names[ident], ins, outs, boundary,
                      events_out, body)


def _activity(
    net: WorkflowNet,
    name: str,
    label: str | None,
    title: str,
    ins: tuple[str, ...],
    outs: tuple[str, ...],
    boundary: list[tuple[str, bool]],
    events_out: dict[str, list[str]],
    body: tuple[str, str] | None,
) -> None:
    """One activity: ``label`` for a user task (visible), ``body`` the (source, sink) of a called process."""
    if label:
        net.labels[label] = title
    ready = ins[0] if len(ins) == 1 else f"ready:{name}"
    if len(ins) > 1:  # any incoming flow starts it (BPMN's uncontrolled merge)
        for flow in ins:
            net.add(f"{name}:join:{flow}", (flow,), (ready,))
    busy = f"busy:{name}"
    if body is not None:  # the called process runs between the call's start and its end
        net.add(f"{name}:call", (ready,), (body[0], busy) if boundary else (body[0],))
        net.add(f"{name}:return", (body[1], busy) if boundary else (body[1],), outs)
    elif not boundary:
        net.add(name, (ready,), outs, label=label)
        return
    else:
        net.add(f"{name}:begin", (ready,), (busy,))
        net.add(name, (busy,), outs, label=label)
    for event, interrupting in boundary:
        out = tuple(events_out[event])
        net.add(event, (busy,), out if interrupting else (busy, *out))
