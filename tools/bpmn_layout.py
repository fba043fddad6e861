"""Grid layout for BPMN diagrams: writes the BPMN DI (``bpmndi:BPMNDiagram``) of a model.

The semantic part of a ``bpmn/*.bpmn`` file (collaboration, lanes, flow nodes, sequence
flows) is written by hand; this tool computes the diagram from a small grid:
every flow node gets a cell ``(column, row)`` where the row counts from the top of the
node's own lane (lanes are stacked in ``laneSet`` order).  From that it derives:

* a shape for the participant, each lane (``isHorizontal="true"``) and each flow node
  (tasks 100x80, events 36x36, gateways 50x50, centred in their cell);
* an orthogonal edge with waypoints for every sequence flow;
* label bounds for events (below), gateways (above) and named sequence flows (above
  their first horizontal segment),

then replaces the file's ``bpmndi:BPMNDiagram`` (or adds one before
``</bpmn:definitions>``), leaving the hand-written semantic XML untouched.

Edge routing, for a flow from S to T:

* same row: a straight line from S's right side to T's left side;
* same column: a straight vertical line;
* T to the right on another row: from a gateway, leave by its top/bottom and turn
  towards T's left side ("vh"); from anything else, leave by its right side and turn
  into T's top/bottom ("hv").  A flow can force either with ``bends``;
* T to the left (a loop back): out of S's bottom, along a channel under both, into
  T's bottom.

Usage::

    python tools/bpmn_layout.py bpmn/consent_seeking.bpmn            # grid from bpmn/layout/<process id>.json
    python tools/bpmn_layout.py bpmn/x.bpmn --grid x.layout.json     # grid from another file
    python tools/bpmn_layout.py bpmn/consent_seeking.bpmn --check    # exit 1 if stale

Boundary events (``attachedToRef``) are drawn on their task's bottom edge, side by
side, as bpmn.io and Camunda Modeler expect; their grid cell is ignored.

A grid file is JSON: ``{"cells": {"node_id": [column, row], ...},
"bends": {"flow_id": "hv" | "vh", ...}}`` (``bends`` optional).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}

Bend = Literal["hv", "vh"]
Point = tuple[float, float]

# Geometry (pixels).
TASK_SIZE = (100.0, 80.0)
EVENT_SIZE = (36.0, 36.0)
GATEWAY_SIZE = (50.0, 50.0)
COLUMN_WIDTH = 160.0  # centre to centre
ROW_HEIGHT = 140.0  # centre to centre, and the height of one lane row
ORIGIN_X = 160.0  # participant's top-left corner
ORIGIN_Y = 80.0
LABEL_BAND = 30.0  # participant's name band, left of the lanes
LEFT_PAD = 70.0  # lane's left edge to column 0's centre
RIGHT_PAD = 90.0  # last column's centre to the lane's right edge
LABEL_WIDTH = 90.0
LABEL_LINE_HEIGHT = 14.0
LABEL_CHARS_PER_LINE = 16
LABEL_GAP = 5.0


@dataclass(frozen=True)
class Grid:
    """Where each flow node goes: ``cells[node_id] = (column, row_in_lane)``."""

    cells: Mapping[str, tuple[int, int]]
    bends: Mapping[str, Bend] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> Grid:
        """Reads a grid from JSON (see the module docstring for the format)."""
        raw = json.loads(text)
        cells = {node: (int(cell[0]), int(cell[1])) for node, cell in raw["cells"].items()}
        bends: dict[str, Bend] = {}
        for flow, bend in raw.get("bends", {}).items():
            if bend not in ("hv", "vh"):
                raise ValueError(f"bend for {flow} must be 'hv' or 'vh', not {bend!r}")
            bends[flow] = bend
        return cls(cells=cells, bends=bends)


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (BPMN DI ``dc:Bounds``)."""

    x: float
    y: float
    width: float
    height: float

    @classmethod
    def centred(cls, cx: float, cy: float, size: tuple[float, float]) -> Box:
        return cls(cx - size[0] / 2, cy - size[1] / 2, size[0], size[1])

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class FlowNode:
    id: str
    kind: Literal["task", "event", "gateway"]
    tag: str  # local name, e.g. "userTask"
    name: str
    attached_to: str | None = None  # host task of a boundary event


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    name: str


@dataclass
class Model:
    """What the layout needs from a BPMN file's semantic part."""

    collaboration_id: str | None
    participant_id: str | None
    participant_name: str
    process_id: str
    lanes: list[tuple[str, list[str]]]  # (lane id, flow node ids), in laneSet order
    nodes: dict[str, FlowNode]
    flows: list[SequenceFlow]


def _kind(tag: str) -> Literal["task", "event", "gateway"]:
    if tag.endswith("Event"):
        return "event"
    if tag.endswith("Gateway"):
        return "gateway"
    return "task"


def read_model(path: Path) -> Model:
    """Reads the collaboration, lanes, flow nodes and sequence flows of a one-process file."""
    root = etree.parse(str(path)).getroot()
    processes = root.findall("bpmn:process", NS)
    if len(processes) != 1:
        raise ValueError(f"{path}: expected exactly one bpmn:process, found {len(processes)}")
    process = processes[0]
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    collaboration = root.find("bpmn:collaboration", NS)
    lanes = [
        (lane.get("id"), [ref.text.strip() for ref in lane.findall("bpmn:flowNodeRef", NS)])
        for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)
    ]
    nodes: dict[str, FlowNode] = {}
    flows: list[SequenceFlow] = []
    for child in process:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = etree.QName(child).localname
        if tag == "sequenceFlow":
            flows.append(
                SequenceFlow(child.get("id"), child.get("sourceRef"), child.get("targetRef"), child.get("name", ""))
            )
        elif tag not in (
            "laneSet",
            "documentation",
            "extensionElements",
            "dataObject",
            "dataObjectReference",
            "dataStoreReference",
            "textAnnotation",
            "association",
            "property",
            "ioSpecification",
        ):
            nodes[child.get("id")] = FlowNode(
                child.get("id"), _kind(tag), tag, child.get("name", ""), child.get("attachedToRef")
            )
    return Model(
        collaboration_id=collaboration.get("id") if collaboration is not None else None,
        participant_id=participant.get("id") if participant is not None else None,
        participant_name=participant.get("name", "") if participant is not None else "",
        process_id=process.get("id"),
        lanes=lanes,
        nodes=nodes,
        flows=flows,
    )


def _size(node: FlowNode) -> tuple[float, float]:
    return {"task": TASK_SIZE, "event": EVENT_SIZE, "gateway": GATEWAY_SIZE}[node.kind]


def _label_box(text: str, cx: float, top: float | None = None, bottom: float | None = None) -> Box:
    """A label centred on ``cx`` whose top (or bottom) edge is given."""
    lines = max(1, len(textwrap.wrap(text, LABEL_CHARS_PER_LINE)))
    height = lines * LABEL_LINE_HEIGHT
    y = top if top is not None else (bottom or 0.0) - height
    return Box(cx - LABEL_WIDTH / 2, y, LABEL_WIDTH, height)


def _route(source: FlowNode, s: Box, t: Box, bend: Bend | None) -> list[Point]:
    """Orthogonal waypoints from box ``s`` to box ``t`` (see the module docstring)."""
    if abs(s.cy - t.cy) < 1 and t.cx > s.cx:
        return [(s.right, s.cy), (t.x, t.cy)]
    if abs(s.cx - t.cx) < 1:
        return [(s.cx, s.bottom), (t.cx, t.y)] if t.cy > s.cy else [(s.cx, s.y), (t.cx, t.bottom)]
    if t.cx > s.cx:
        down = t.cy > s.cy
        if (bend or ("vh" if source.kind == "gateway" or source.attached_to else "hv")) == "vh":
            return [(s.cx, s.bottom if down else s.y), (s.cx, t.cy), (t.x, t.cy)]
        return [(s.right, s.cy), (t.cx, s.cy), (t.cx, t.y if down else t.bottom)]
    channel = max(s.bottom, t.bottom) + (ROW_HEIGHT - TASK_SIZE[1]) / 2
    return [(s.cx, s.bottom), (s.cx, channel), (t.cx, channel), (t.cx, t.bottom)]


def _edge_label(name: str, points: Sequence[Point]) -> Box:
    """Label bounds above the first horizontal segment (or beside the first segment)."""
    width = min(LABEL_WIDTH, 6.0 * len(name) + 4)
    lines = max(1, len(textwrap.wrap(name, LABEL_CHARS_PER_LINE)))
    height = lines * LABEL_LINE_HEIGHT
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        if abs(y1 - y2) < 1:
            return Box(min(x1, x2) + 8, y1 - LABEL_GAP - height, width, height)
    (x1, y1), (_, y2) = points[0], points[1]
    return Box(x1 + 8, (y1 + y2) / 2 - height / 2, width, height)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _bounds(box: Box) -> str:
    return f'<dc:Bounds x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" height="{_num(box.height)}" />'


def _place_boundary_events(model: Model, boxes: dict[str, Box]) -> dict[str, int]:
    """Put each boundary event on its host's bottom edge, left to right in document order.

    Returns each boundary event's position on its host (0 = leftmost), so labels can be
    set apart: the leftmost label hangs to the left, the others to the right.
    """
    placed: dict[str, int] = {}
    position: dict[str, int] = {}
    for node_id, node in model.nodes.items():
        if node.attached_to is None or node.attached_to not in boxes:
            continue
        host = boxes[node.attached_to]
        k = placed.get(node.attached_to, 0)
        placed[node.attached_to] = k + 1
        position[node_id] = k
        boxes[node_id] = Box.centred(host.x + 18 + 64 * k, host.bottom, EVENT_SIZE)
    return position


def layout(model: Model, grid: Grid) -> str:
    """Returns the ``bpmndi:BPMNDiagram`` element (indented for a top-level child)."""
    lanes = model.lanes or [("", list(model.nodes))]
    lane_of = {node: lane_id for lane_id, refs in lanes for node in refs}
    missing = sorted(set(model.nodes) - set(grid.cells))
    if missing:
        raise ValueError(f"no grid cell for: {', '.join(missing)}")
    unknown = sorted(set(grid.cells) - set(model.nodes))
    if unknown:
        raise ValueError(f"grid cells for unknown nodes: {', '.join(unknown)}")
    laneless = sorted(set(model.nodes) - set(lane_of))
    if laneless:
        raise ValueError(f"flow nodes in no lane: {', '.join(laneless)}")
    occupied: dict[tuple[str, int, int], str] = {}
    for cell_node, (col, row) in grid.cells.items():
        key = (lane_of[cell_node], col, row)
        if key in occupied:
            raise ValueError(f"{cell_node} and {occupied[key]} share a cell")
        occupied[key] = cell_node

    lane_x = ORIGIN_X + LABEL_BAND
    columns = max(col for col, _ in grid.cells.values()) + 1
    lane_width = LEFT_PAD + (columns - 1) * COLUMN_WIDTH + RIGHT_PAD
    lane_boxes: list[tuple[str, Box]] = []
    lane_top: dict[str, float] = {}
    y = ORIGIN_Y
    for lane_id, refs in lanes:
        rows = max((grid.cells[n][1] for n in refs), default=0) + 1
        lane_boxes.append((lane_id, Box(lane_x, y, lane_width, rows * ROW_HEIGHT)))
        lane_top[lane_id] = y
        y += rows * ROW_HEIGHT
    participant = Box(ORIGIN_X, ORIGIN_Y, LABEL_BAND + lane_width, y - ORIGIN_Y)

    boxes: dict[str, Box] = {}
    for node_id, node in model.nodes.items():
        col, row = grid.cells[node_id]
        cx = lane_x + LEFT_PAD + col * COLUMN_WIDTH
        cy = lane_top[lane_of[node_id]] + ROW_HEIGHT / 2 + row * ROW_HEIGHT
        boxes[node_id] = Box.centred(cx, cy, _size(node))
    boundary_position = _place_boundary_events(model, boxes)

    i = "  "
    out = [
        f'{i}<bpmndi:BPMNDiagram id="BPMNDiagram_{model.process_id}">',
        f'{i * 2}<bpmndi:BPMNPlane id="BPMNPlane_{model.process_id}" '
        f'bpmnElement="{model.collaboration_id or model.process_id}">',
    ]

    def shape(element: str, box: Box, extra: str = "", label: Box | None = None) -> None:
        out.append(f'{i * 3}<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{extra}>')
        out.append(f"{i * 4}{_bounds(box)}")
        if label is not None:
            out.append(f"{i * 4}<bpmndi:BPMNLabel>")
            out.append(f"{i * 5}{_bounds(label)}")
            out.append(f"{i * 4}</bpmndi:BPMNLabel>")
        out.append(f"{i * 3}</bpmndi:BPMNShape>")

    if model.participant_id:
        shape(model.participant_id, participant, ' isHorizontal="true"')
    for lane_id, box in lane_boxes:
        if lane_id:
            shape(lane_id, box, ' isHorizontal="true"')
    for node_id, node in model.nodes.items():
        box = boxes[node_id]
        label: Box | None = None
        if node.id in boundary_position and node.name:
            side = -1 if boundary_position[node.id] == 0 else 1
            label = _label_box(node.name, box.cx + side * (LABEL_WIDTH / 2 - 8), top=box.bottom + LABEL_GAP)
        elif node.kind == "event" and node.name:
            label = _label_box(node.name, box.cx, top=box.bottom + LABEL_GAP)
        elif node.kind == "gateway" and node.name:
            label = _label_box(node.name, box.cx, bottom=box.y - LABEL_GAP)
        extra = ' isMarkerVisible="true"' if node.tag == "exclusiveGateway" else ""
        shape(node_id, box, extra, label)
    for flow in model.flows:
        points = _route(model.nodes[flow.source], boxes[flow.source], boxes[flow.target], grid.bends.get(flow.id))
        out.append(f'{i * 3}<bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">')
        out.extend(f'{i * 4}<di:waypoint x="{_num(px)}" y="{_num(py)}" />' for px, py in points)
        if flow.name:
            out.append(f"{i * 4}<bpmndi:BPMNLabel>")
            out.append(f"{i * 5}{_bounds(_edge_label(flow.name, points))}")
            out.append(f"{i * 4}</bpmndi:BPMNLabel>")
        out.append(f"{i * 3}</bpmndi:BPMNEdge>")
    out.append(f"{i * 2}</bpmndi:BPMNPlane>")
    out.append(f"{i}</bpmndi:BPMNDiagram>")
    return "\n".join(out) + "\n"


_DIAGRAM = re.compile(r"[ \t]*<bpmndi:BPMNDiagram\b.*?</bpmndi:BPMNDiagram>[ \t]*\n?", re.DOTALL)


def apply_layout(text: str, diagram: str) -> str:
    """Replaces (or adds) the ``bpmndi:BPMNDiagram`` element in a BPMN document's text."""
    if _DIAGRAM.search(text):
        return _DIAGRAM.sub(lambda _: diagram, text, count=1)
    end = text.rindex("</bpmn:definitions>")
    return text[:end] + diagram + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bpmn", type=Path, help="the .bpmn file to lay out (rewritten in place)")
    parser.add_argument("--grid", type=Path, help="grid JSON file (default: layout/<process id>.json beside the model)")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file's diagram differs from the layout"
    )
    args = parser.parse_args(argv)

    model = read_model(args.bpmn)
    grid_path = args.grid or args.bpmn.parent / "layout" / f"{model.process_id}.json"
    if not grid_path.exists():
        parser.error(f"no grid for process {model.process_id!r}: write {grid_path} or pass --grid")
    grid = Grid.from_json(grid_path.read_text(encoding="utf-8"))
    text = args.bpmn.read_text(encoding="utf-8")
    new_text = apply_layout(text, layout(model, grid))
    if args.check:
        if new_text != text:
            print(f"{args.bpmn}: diagram is out of date; run tools/bpmn_layout.py", file=sys.stderr)
            return 1
        return 0
    if new_text != text:
        args.bpmn.write_text(new_text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
