"""Parse the BPMN and DMN models once, and keep every version a running instance needs.

A process definition's identity is the SHA-256 of its serialized spec (with the
specs of the processes it calls). Starting an instance stores the definition
once under that hash; an instance keeps pointing at the hash it started on, so
editing a model never changes a running instance underneath it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from safeshare.errors import ModelError

LANE_ROLES = {
    "Practitioner": "practitioner",
    "Manager": "manager",
    "Senior manager": "senior_manager",
    "Police staff": "police_staff",
    "Police supervisor": "police_supervisor",
}


@dataclass(frozen=True)
class ProcessModel:
    """One executable process with the subprocesses it calls, ready to run."""

    process_id: str
    content_hash: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    spec_json: str


def definition_serializer() -> BpmnWorkflowSerializer:
    """The stock serializer, used to store a definition (and to hash it)."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


class ModelRegistry:
    """All models of a ``bpmn/`` folder, parsed together, plus every stored version seen since."""

    def __init__(self, bpmn_dir: Path) -> None:
        self.bpmn_dir = bpmn_dir
        self._by_hash: dict[str, ProcessModel] = {}
        self._current: dict[str, ProcessModel] = {}
        self._serializer = definition_serializer()
        self._parse_current()

    def _parse_current(self) -> None:
        if not self.bpmn_dir.is_dir():
            raise ModelError(f"The model folder {self.bpmn_dir} does not exist", "Set SAFESHARE_BPMN_DIR")
        parser = SpiffBpmnParser(validator=VALIDATOR)
        for path in sorted(self.bpmn_dir.glob("*.dmn")):
            self._add(parser.add_dmn_file, path)
        bpmn_files = sorted(self.bpmn_dir.glob("*.bpmn"))
        if not bpmn_files:
            raise ModelError(f"No .bpmn models found in {self.bpmn_dir}", "Restore the bpmn/ folder")
        for path in bpmn_files:
            self._add(parser.add_bpmn_file, path)
        for process_id in parser.get_process_ids():
            try:
                spec = parser.get_spec(process_id)
                subprocesses = parser.get_subprocess_specs(process_id)
            except ValidationException as exc:
                raise ModelError(f"The model of process {process_id!r} is invalid: {exc}", "Fix it in bpmn/") from exc
            model = self._model(process_id, spec, subprocesses)
            self._current[process_id] = model
            self._by_hash[model.content_hash] = model

    @staticmethod
    def _add(adder: Any, path: Path) -> None:
        try:
            adder(str(path))
        except ValidationException as exc:
            raise ModelError(f"The model file {path.name} is invalid: {exc}", "Fix the file or restore it") from exc
        except Exception as exc:  # lxml syntax errors and friends: the file is not a model at all
            raise ModelError(
                f"The model file {path.name} cannot be read: {exc}", "Check that it is BPMN/DMN XML"
            ) from exc

    def _model(self, process_id: str, spec: BpmnProcessSpec, subprocesses: dict[str, BpmnProcessSpec]) -> ProcessModel:
        content = {
            "spec": self._serializer.to_dict(spec),
            "subprocess_specs": {name: self._serializer.to_dict(s) for name, s in sorted(subprocesses.items())},
        }
        spec_json = json.dumps(content, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(spec_json.encode()).hexdigest()
        spec._safeshare_hash = digest  # type: ignore[attr-defined]
        for sub in subprocesses.values():
            sub._safeshare_hash = digest  # type: ignore[attr-defined]
        return ProcessModel(process_id, digest, spec, dict(subprocesses), spec_json)

    @cached_property
    def process_ids(self) -> list[str]:
        return sorted(self._current)

    def current(self, process_id: str) -> ProcessModel:
        """The latest version of a process, as the files on disk define it."""
        try:
            return self._current[process_id]
        except KeyError:
            raise ModelError(
                f"There is no process model {process_id!r}",
                f"Known processes: {', '.join(self.process_ids)}",
            ) from None

    def by_hash(self, content_hash: str, stored_spec_json: str | None = None) -> ProcessModel:
        """A definition by hash; restores it from its stored JSON if this process has not seen it yet."""
        model = self._by_hash.get(content_hash)
        if model is not None:
            return model
        if stored_spec_json is None:
            raise ModelError(f"Process definition {content_hash[:12]} is unknown", "Its stored definition is missing")
        content = json.loads(stored_spec_json)
        spec = self._serializer.from_dict(content["spec"])
        subs = {name: self._serializer.from_dict(s) for name, s in content["subprocess_specs"].items()}
        for s in (spec, *subs.values()):
            s._safeshare_hash = content_hash
        model = ProcessModel(spec.name, content_hash, spec, subs, stored_spec_json)
        self._by_hash[content_hash] = model
        return model

    def form_schema(self, filename: str) -> dict[str, Any]:
        """The JSON Schema of a user task's form, from ``bpmn/forms``."""
        return _load_form(self.bpmn_dir / "forms" / filename)


_FORM_CACHE: dict[Path, dict[str, Any]] = {}


def _load_form(path: Path) -> dict[str, Any]:
    if path not in _FORM_CACHE:
        try:
            _FORM_CACHE[path] = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelError(f"The form schema {path.name} is missing", "Restore it in bpmn/forms/") from None
        except json.JSONDecodeError as exc:
            raise ModelError(f"The form schema {path.name} is not valid JSON: {exc}", "Fix the file") from exc
    return _FORM_CACHE[path]
