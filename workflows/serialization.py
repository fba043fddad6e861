"""Serialize instances small: the process definition is stored once, not in every instance.

Bare SpiffWorkflow embeds the whole spec (about 12 KB) in each serialized
instance and rebuilds it on every load. Our instance registry writes a spec as a
reference ``{"hash", "name"}`` and restores it from the in-memory
:class:`ModelRegistry` cache, so loading an instance rebuilds only its tasks.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from workflows.model_registry import ModelRegistry

FORMAT_KEY = "serializer_version"


class InstanceSerializer:
    """Turns a running workflow into compact JSON and back, against a :class:`ModelRegistry`."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.models = registry
        spiff_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        spiff_registry.register(BpmnProcessSpec, self._spec_to_ref, self._spec_from_ref, typename="SpecRef")
        self._serializer = BpmnWorkflowSerializer(spiff_registry)

    @staticmethod
    def _spec_to_ref(spec: BpmnProcessSpec) -> dict[str, Any]:
        return {"hash": spec._safeshare_hash, "name": spec.name}  # type: ignore[attr-defined]

    def _spec_from_ref(self, ref: dict[str, Any]) -> BpmnProcessSpec:
        # Registered before ``from_dict`` runs (see ``loads``): the reference alone finds it.
        model = self.models.by_hash(ref["hash"])
        if ref["name"] == model.spec.name:
            return model.spec
        return model.subprocess_specs[ref["name"]]

    def dumps(self, workflow: BpmnWorkflow) -> str:
        dct = self._serializer.to_dict(workflow)
        dct[FORMAT_KEY] = self._serializer.VERSION
        return json.dumps(dct, separators=(",", ":"))

    def loads(self, state_json: str, definition_hash: str, stored_spec_json: str | None = None) -> BpmnWorkflow:
        """Restore an instance of the definition ``definition_hash``.

        ``stored_spec_json`` (the stored definition) is needed only if this process has not seen
        the definition yet. The definition is registered before ``from_dict`` runs and every spec
        reference in the state is pointed at it, so the converter callback needs nothing but the
        reference: no per-load state on this object, which FastAPI's threads share. (States saved
        before each definition had its own spec objects may name another definition's hash for a
        spec the two shared: the instance's own definition is the right one for all of them.)
        """
        self.models.by_hash(definition_hash, stored_spec_json)
        dct = json.loads(state_json)
        if dct.get(FORMAT_KEY) != self._serializer.VERSION:
            self._serializer.migrate(dct)
        else:
            dct.pop(FORMAT_KEY, None)
        for ref in (dct["spec"], *dct.get("subprocess_specs", {}).values()):
            ref["hash"] = definition_hash
        workflow: BpmnWorkflow = self._serializer.from_dict(dct)
        return workflow
