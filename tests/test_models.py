"""Static checks of every model in ``bpmn/`` against the modelling conventions (docs/modelling.md).

Files are found by glob, so a new ``bpmn/*.bpmn``, ``bpmn/*.dmn`` or form schema is
checked as soon as it is added. Running the processes is the engine's tests' job.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

BPMN_DIR = Path(__file__).resolve().parents[1] / "bpmn"
FORMS_DIR = BPMN_DIR / "forms"
BPMN_FILES = sorted(BPMN_DIR.glob("*.bpmn"))
DMN_FILES = sorted(BPMN_DIR.glob("*.dmn"))
FORM_FILES = sorted(FORMS_DIR.glob("*.schema.json"))

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
DMN_NS = {
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "dmndi": "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "dc": "http://www.omg.org/spec/DMN/20180521/DC/",
}
LANE_ROLES = {
    "Practitioner",
    "Manager",
    "Senior manager",
    "Police staff",
    "Police supervisor",
    "Data protection officer",
}
FLOW_NODE_TAGS = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "subProcess",
    "callActivity",
    "transaction",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
}
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _tree(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def _flow_nodes(root: etree._Element) -> list[etree._Element]:
    """Every flow node of every process in the file, including those inside subprocesses."""
    return [
        el
        for process in root.findall("bpmn:process", NS)
        for el in process.iter()
        if isinstance(el.tag, str)
        and etree.QName(el).namespace == NS["bpmn"]
        and etree.QName(el).localname in FLOW_NODE_TAGS
    ]


def _full_parser() -> SpiffBpmnParser:
    """A validating parser holding every model, as the engine loads them."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for dmn in DMN_FILES:
        parser.add_dmn_file(str(dmn))
    for bpmn in BPMN_FILES:
        parser.add_bpmn_file(str(bpmn))
    return parser


def test_there_are_models() -> None:
    assert BPMN_FILES, f"no .bpmn files in {BPMN_DIR}"


# ---------------------------------------------------------------- BPMN: parsing


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_bpmn_parses_with_validation(path: Path) -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for dmn in DMN_FILES:
        parser.add_dmn_file(str(dmn))
    parser.add_bpmn_file(str(path))  # XSD validation happens here
    # Called processes may live in other files: resolve them against the whole folder.
    full = _full_parser()
    process_ids = [p.get("id") for p in _tree(path).findall("bpmn:process", NS)]
    assert process_ids, f"{path.name} defines no bpmn:process"
    for process_id in process_ids:
        spec = full.get_spec(process_id)  # also builds each businessRuleTask's DMN engine
        full.get_subprocess_specs(process_id)
        assert spec.name == process_id


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_one_executable_process_in_a_collaboration(path: Path) -> None:
    root = _tree(path)
    processes = root.findall("bpmn:process", NS)
    assert len(processes) == 1, f"{path.name}: one executable process per file"
    process = processes[0]
    assert process.get("isExecutable") == "true", f'{path.name}: process must be isExecutable="true"'
    assert path.stem == process.get("id"), f"{path.name}: file name must be <process id>.bpmn"
    participants = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert [p.get("processRef") for p in participants] == [process.get("id")], (
        f"{path.name}: expected a collaboration with one participant for the process"
    )


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_ids_are_unique(path: Path) -> None:
    # SpiffWorkflow indexes every element carrying an id attribute, extension elements
    # included: a serviceTaskOperator whose id equals its task's id hides the task.
    # An operator id (e.g. compute_deadline) or parameter id (e.g. kind) may repeat between
    # service tasks: it is a name, not an element id, as long as no BPMN element uses it.
    elements = [el for el in _tree(path).iter() if isinstance(el.tag, str) and el.get("id")]
    spiff = {el.get("id") for el in elements if etree.QName(el).namespace == NS["spiffworkflow"]}
    counts = Counter(el.get("id") for el in elements if etree.QName(el).namespace != NS["spiffworkflow"])
    duplicates = sorted(i for i, n in counts.items() if n > 1 or (n and i in spiff))
    assert not duplicates, f"{path.name}: ids used more than once: {duplicates}"


# ---------------------------------------------------------------- BPMN: diagram


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_bpmn_has_full_diagram(path: Path) -> None:
    root = _tree(path)
    diagrams = root.findall("bpmndi:BPMNDiagram", NS)
    assert len(diagrams) == 1, f"{path.name}: expected one bpmndi:BPMNDiagram"
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}

    needs_shape = (
        [el.get("id") for el in _flow_nodes(root)]
        + [el.get("id") for el in root.iterfind(".//bpmn:lane", NS)]
        + [el.get("id") for el in root.iterfind("bpmn:collaboration/bpmn:participant", NS)]
    )
    problems = []
    for element_id in needs_shape:
        shape = shapes.get(element_id)
        bounds = shape.find("dc:Bounds", NS) if shape is not None else None
        if bounds is None:
            problems.append(f"{element_id}: no BPMNShape with dc:Bounds")
        elif float(bounds.get("width", 0)) <= 0 or float(bounds.get("height", 0)) <= 0:
            problems.append(f"{element_id}: empty bounds")
    for lane in root.iterfind(".//bpmn:lane", NS):
        shape = shapes.get(lane.get("id"))
        if shape is not None and shape.get("isHorizontal") != "true":
            problems.append(f'{lane.get("id")}: lane shape must be isHorizontal="true"')
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        edge = edges.get(flow.get("id"))
        waypoints = edge.findall("di:waypoint", NS) if edge is not None else []
        if len(waypoints) < 2:
            problems.append(f"{flow.get('id')}: no BPMNEdge with at least 2 waypoints")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- BPMN: tasks


def _lane_name(root: etree._Element, node_id: str) -> str | None:
    lanes = [
        lane
        for lane in root.iterfind(".//bpmn:lane", NS)
        if node_id in {(ref.text or "").strip() for ref in lane.findall("bpmn:flowNodeRef", NS)}
    ]
    # With nested lanes the innermost (last in document order) is the role.
    return lanes[-1].get("name") if lanes else None


def _properties(node: etree._Element) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in node.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_diagram_matches_its_layout_grid(path: Path) -> None:
    """The DI is what tools/bpmn_layout.py draws from bpmn/layout/<process>.json, so edits stay tidy."""
    import subprocess
    import sys

    tool = BPMN_DIR.parent / "tools" / "bpmn_layout.py"
    result = subprocess.run([sys.executable, str(tool), "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_user_tasks_have_a_role_lane_and_a_valid_form(path: Path) -> None:
    root = _tree(path)
    problems = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        task_id = task.get("id")
        lane = _lane_name(root, task_id)
        if lane not in LANE_ROLES:
            problems.append(f"{task_id}: in lane {lane!r}, expected one of {sorted(LANE_ROLES)}")
        form = _properties(task).get("formJsonSchemaFilename")
        if not form:
            problems.append(f"{task_id}: no formJsonSchemaFilename property")
            continue
        form_path = FORMS_DIR / form
        if not form_path.is_file():
            problems.append(f"{task_id}: form {form} is not in bpmn/forms/")
            continue
        try:
            Draft202012Validator.check_schema(json.loads(form_path.read_text(encoding="utf-8")))
        except Exception as exc:  # JSON syntax or schema errors
            problems.append(f"{task_id}: form {form} is not a valid JSON Schema: {exc}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_service_tasks_name_an_operator(path: Path) -> None:
    root = _tree(path)
    operator = "bpmn:extensionElements/spiffworkflow:serviceTaskOperator"
    missing = [
        task.get("id")
        for task in root.iterfind(".//bpmn:serviceTask", NS)
        if not any(op.get("id") for op in task.iterfind(operator, NS))
    ]
    assert not missing, f"{path.name}: service tasks without a serviceTaskOperator id: {missing}"


# ---------------------------------------------------------------- forms


@pytest.mark.parametrize("path", FORM_FILES, ids=_ids(FORM_FILES))
def test_form_schema_is_draft_2020_12_with_plain_english_fields(path: Path) -> None:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema.get("$schema") == DRAFT_2020_12, f"{path.name}: $schema must be {DRAFT_2020_12}"
    assert schema.get("type") == "object", f"{path.name}: a form is an object"
    assert schema.get("title"), f"{path.name}: needs a title"
    # The web UI renders the form from these: every field needs a title and a description.
    untitled = [
        name
        for name, prop in schema.get("properties", {}).items()
        if not (prop.get("title") and prop.get("description"))
    ]
    assert not untitled, f"{path.name}: fields without title and description: {untitled}"


# ---------------------------------------------------------------- DMN


@pytest.mark.parametrize("path", DMN_FILES, ids=_ids(DMN_FILES))
def test_dmn_parses_with_validation_and_has_a_diagram(path: Path) -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_file(str(path))  # validated against the DMN XSD here
    root = _tree(path)
    assert etree.QName(root).namespace == DMN_NS["dmn"], f"{path.name}: use DMN 1.3 ({DMN_NS['dmn']})"
    decisions = [d.get("id") for d in root.iterfind("dmn:decision", DMN_NS)]
    assert decisions, f"{path.name}: no decision"
    for decision_id in decisions:
        parser.get_engine(decision_id, root)
    shapes = {s.get("dmnElementRef") for s in root.iterfind(".//dmndi:DMNShape", DMN_NS)}
    assert set(decisions) <= shapes, f"{path.name}: decisions without a DMNShape: {set(decisions) - shapes}"


def _decide(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for dmn in DMN_FILES:
        parser.add_dmn_file(str(dmn))
    engine = parser.get_engine(decision_id, None)
    # The DMN engine only needs the task's data and its workflow's script engine.
    task = SimpleNamespace(data=dict(data), workflow=SimpleNamespace(script_engine=PythonScriptEngine()))
    return dict(engine.result(task))


@pytest.mark.parametrize(
    ("age", "competent", "consent_from", "rule"),
    [
        (18, None, "adult", "R2"),
        (45, None, "adult", "R2"),
        (17, None, "young_person", "R2"),
        (16, None, "young_person", "R2"),
        (16, False, "young_person", "R2"),  # parents cannot override a 16-year-old
        (15, True, "child", "R3"),
        (0, True, "child", "R3"),
        (15, False, "person_with_pr", "R2"),
    ],
)
def test_consent_authority(age: int, competent: bool | None, consent_from: str, rule: str) -> None:
    result = _decide("consent_authority", {"child_age": age, "child_competent": competent})
    assert result["consent_from"] == consent_from
    assert f"({rule})" in result["consent_basis"]


def test_consent_authority_under_16_without_a_competence_judgement_matches_nothing() -> None:
    # Deliberate: the engine must treat an empty result as an error rather than guess.
    assert _decide("consent_authority", {"child_age": 15, "child_competent": None}) == {}
