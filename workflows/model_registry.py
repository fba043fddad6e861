"""Parse the BPMN and DMN models once, and keep every version a running instance needs.

A process definition's identity is the SHA-256 of its serialized spec (with the
specs of the processes it calls and the forms their user tasks show). Starting an
instance stores the definition once under that hash; an instance keeps pointing at
the hash it started on, so editing a model or a form never changes a running
instance underneath it: its tasks are shown and validated against its own forms.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from safeshare.core.errors import ModelError
from workflows.model_check import check_model_code

LANE_ROLES = {
    "Practitioner": "practitioner",
    "Manager": "manager",
    "Senior manager": "senior_manager",
    "Police staff": "police_staff",
    "Police supervisor": "police_supervisor",
    "Data protection officer": "data_protection_officer",
}

#: The task-data variable that names the one person holding a role in an instance, where the
#: instance has one (the practitioner who started the work): that role's tasks are assigned to
#: them and its messages go to them. Other roles' tasks go to every holder in the case's team.
ROLE_HOLDER_VARIABLES = {"practitioner": "practitioner_user_id"}


@dataclass(frozen=True)
class ProcessModel:
    """One executable process with the subprocesses it calls, ready to run."""

    process_id: str
    content_hash: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    spec_json: str
    forms: Mapping[str, dict[str, Any]]

    def form(self, filename: str) -> dict[str, Any]:
        """The JSON Schema of one of this definition's user-task forms, as it was when it was stored."""
        try:
            return self.forms[filename]
        except KeyError:
            raise ModelError(
                f"Process {self.process_id!r} has no form {filename!r} in its definition",
                "Check the task's formJsonSchemaFilename",
            ) from None


FORM_PROPERTY = "formJsonSchemaFilename"
#: Where a form's layout hints (its companion ``<form>.uischema.json``, react-jsonschema-form words) are kept in
#: the form as loaded: with it, they are part of the definition and of its hash, as the form is.
UISCHEMA_KEY = "x-uischema"


def uischema_path(form_path: Path) -> Path:
    """``<form>.schema.json``'s companion ``<form>.uischema.json``."""
    return form_path.with_name(form_path.name.removesuffix(".schema.json").removesuffix(".json") + ".uischema.json")


def with_uischema(form: dict[str, Any], form_path: Path, where: str = "") -> dict[str, Any]:
    """The form with its companion uiSchema, when it has one, under ``x-uischema`` (JSON Schema validators
    ignore the word; the web form engine reads it)."""
    path = uischema_path(form_path)
    if not path.is_file():
        return form
    try:
        ui = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = where or form_path.name
        raise ModelError(f"{where}: its layout {path.name} is not valid JSON: {exc}", "Fix the file") from exc
    if not isinstance(ui, dict):
        raise ModelError(f"{where or form_path.name}: its layout {path.name} is not a JSON object", "Fix the file")
    return {**form, UISCHEMA_KEY: ui}


def task_forms(specs: Iterable[BpmnProcessSpec]) -> Iterator[tuple[BpmnProcessSpec, str, str]]:
    """Each user task of ``specs`` that names a form: (its process spec, its element id, the form's file)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            if FORM_PROPERTY in properties:
                yield spec, task_spec.bpmn_id, properties[FORM_PROPERTY]


def definition_serializer() -> BpmnWorkflowSerializer:
    """The stock serializer, used to store a definition (and to hash it)."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


class ModelRegistry:
    """All models of a ``bpmn/`` folder, parsed together, plus every stored version seen since."""

    def __init__(self, bpmn_dir: Path, problems: list[str] | None = None) -> None:
        """Parse ``bpmn_dir``; the first problem raises :class:`ModelError`, unless ``problems`` is given:
        then each is added to it as one line and the processes without one are kept (a set being checked
        before it is deployed, :meth:`checked`)."""
        self.bpmn_dir = bpmn_dir
        self._by_hash: dict[str, ProcessModel] = {}
        self._current: dict[str, ProcessModel] = {}
        self._serializer = definition_serializer()
        self._restore_lock = threading.Lock()  # FastAPI's thread pool restores instances concurrently
        self._problems = problems
        self._parse_current()

    @classmethod
    def checked(cls, bpmn_dir: Path) -> tuple[ModelRegistry, list[str]]:
        """The models of a folder with every problem found in them, one line each (none: it is sound)."""
        problems: list[str] = []
        return cls(bpmn_dir, problems), problems

    def _problem(self, error: ModelError) -> None:
        if self._problems is None:
            raise error
        self._problems.append(error.message)

    def _parse_current(self) -> None:
        if not self.bpmn_dir.is_dir():
            return self._problem(
                ModelError(f"The model folder {self.bpmn_dir} does not exist", "Set SAFESHARE_BPMN_DIR")
            )
        parser = SpiffBpmnParser(validator=VALIDATOR)
        for path in sorted(self.bpmn_dir.glob("*.dmn")):
            self._add(parser.add_dmn_file, path)
        bpmn_files = sorted(self.bpmn_dir.glob("*.bpmn"))
        if not bpmn_files:
            return self._problem(ModelError(f"No .bpmn models found in {self.bpmn_dir}", "Restore the bpmn/ folder"))
        for path in bpmn_files:
            self._add(parser.add_bpmn_file, path)
        claimed: set[int] = set()
        dmn_sources = {path.name: path.read_text() for path in sorted(self.bpmn_dir.glob("*.dmn"))}
        for process_id in parser.get_process_ids():
            try:
                spec = parser.get_spec(process_id)
                subprocesses = parser.get_subprocess_specs(process_id)
            except ValidationException as exc:
                self._problem(ModelError(f"The model of process {process_id!r} is invalid: {exc}", "Fix it in bpmn/"))
                continue
            # The parser hands out one spec object per process, shared by every model that calls it;
            # each definition needs its own (a spec carries its definition's hash into saved states).
            spec = self._own(spec, claimed)
            subprocesses = {name: self._own(sub, claimed) for name, sub in subprocesses.items()}
            try:
                check_model_code([spec, *subprocesses.values()], dmn_sources)  # a forbidden one stops start-up
                model = self._model(process_id, spec, subprocesses)
            except ModelError as exc:
                self._problem(exc)
                continue
            self._current[process_id] = model
            self._by_hash[model.content_hash] = model
        return None

    def _own(self, spec: BpmnProcessSpec, claimed: set[int]) -> BpmnProcessSpec:
        """``spec`` itself the first time, an equal copy once another definition holds it."""
        if id(spec) not in claimed:
            claimed.add(id(spec))
            return spec
        copy: BpmnProcessSpec = self._serializer.from_dict(self._serializer.to_dict(spec))
        claimed.add(id(copy))
        return copy

    def _add(self, adder: Any, path: Path) -> None:
        try:
            adder(str(path))
        except ValidationException as exc:
            error = ModelError(f"The model file {path.name} is invalid: {exc}", "Fix the file or restore it")
            error.__cause__ = exc
            self._problem(error)
        except Exception as exc:  # lxml syntax errors and friends: the file is not a model at all
            error = ModelError(f"The model file {path.name} cannot be read: {exc}", "Check that it is BPMN/DMN XML")
            error.__cause__ = exc
            self._problem(error)

    def _model(self, process_id: str, spec: BpmnProcessSpec, subprocesses: dict[str, BpmnProcessSpec]) -> ProcessModel:
        forms: dict[str, dict[str, Any]] = {}
        form_errors: list[ModelError] = []
        for spec_of, element, filename in task_forms((spec, *subprocesses.values())):
            try:
                forms[filename] = self._read_form(filename, spec_of, element)
            except ModelError as exc:
                form_errors.append(exc)
        if form_errors:  # every broken form is one problem of its own; the process is not kept
            if self._problems is not None:
                self._problems.extend(error.message for error in form_errors[1:])
            raise form_errors[0]
        content = {
            "spec": self._serializer.to_dict(spec),
            "subprocess_specs": {name: self._serializer.to_dict(s) for name, s in sorted(subprocesses.items())},
            "forms": forms,
        }
        spec_json = json.dumps(content, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(spec_json.encode()).hexdigest()
        spec._safeshare_hash = digest  # type: ignore[attr-defined]
        for sub in subprocesses.values():
            sub._safeshare_hash = digest  # type: ignore[attr-defined]
        return ProcessModel(process_id, digest, spec, dict(subprocesses), spec_json, forms)

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

    def register(self, model: ProcessModel) -> None:
        """Know a definition parsed elsewhere (a model version just deployed) by its hash."""
        with self._restore_lock:
            self._by_hash.setdefault(model.content_hash, model)

    def by_hash(self, content_hash: str, stored_spec_json: str | None = None) -> ProcessModel:
        """A definition by hash; restores it from its stored JSON if this process has not seen it yet."""
        model = self._by_hash.get(content_hash)
        if model is not None:
            return model
        if stored_spec_json is None:
            raise ModelError(f"Process definition {content_hash[:12]} is unknown", "Its stored definition is missing")
        with self._restore_lock:  # one parse per definition, and one spec object every thread shares
            model = self._by_hash.get(content_hash)
            if model is None:
                model = self._restore(content_hash, stored_spec_json)
                self._by_hash[content_hash] = model
        return model

    def _restore(self, content_hash: str, stored_spec_json: str) -> ProcessModel:
        content = json.loads(stored_spec_json)
        spec = self._serializer.from_dict(content["spec"])
        subs = {name: self._serializer.from_dict(s) for name, s in content["subprocess_specs"].items()}
        for s in (spec, *subs.values()):
            s._safeshare_hash = content_hash
        forms = content.get("forms")
        if forms is None:  # stored before forms were part of a definition: today's files are all there is
            forms = {}
            for spec_of, element, filename in task_forms((spec, *subs.values())):
                with contextlib.suppress(ModelError):  # a form since deleted: only its task cannot be shown
                    forms[filename] = self._read_form(filename, spec_of, element)
        return ProcessModel(spec.name, content_hash, spec, subs, stored_spec_json, forms)

    def _read_form(self, filename: str, spec: BpmnProcessSpec, element: str) -> dict[str, Any]:
        """A form file named by a user task; a missing or broken one names the model file and the task."""
        where = f"{Path(spec.file or spec.name).name}, task {element!r}"
        path = self.bpmn_dir / "forms" / filename
        try:
            form: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelError(f"{where}: its form {filename} does not exist", "Restore it in bpmn/forms/") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{where}: its form {filename} is not valid JSON: {exc}", "Fix the file") from exc
        if not isinstance(form, dict):
            raise ModelError(f"{where}: its form {filename} is not a JSON Schema object", "Fix the file")
        return with_uischema(form, path, where)
