"""The engine: persistence and restart, optimistic locking under a real race, compact state, sandboxing."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.config import BPMN_DIR, Settings
from safeshare.core.errors import ConflictError, FormValidationError, ModelError
from safeshare.core.records import CompletedTask, ConsentRecord, OpenTask, ProcessDefinition, ProcessInstance
from tasks import service
from tasks.automated import HANDLERS
from tests.builders import EXPLAINED, Scenario
from tests.conftest import backend
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry


def test_save_restart_resume_gives_the_same_state(scenario: Scenario, app: App) -> None:
    case_id, ids = scenario.open_case(13)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "Clear grasp of what sharing means"},
    )
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        before = app.engine.load(s, row)
        before_data = dict(before.data)
        before_ready = [t.task_spec.bpmn_id for t in app.engine.ready_user_tasks(before)]

    # A new process: fresh registry and engine, nothing cached in memory.
    fresh_models = ModelRegistry(BPMN_DIR)
    restarted = App(app.settings, app.db, fresh_models, WorkflowEngine(fresh_models, HANDLERS), app.clock)
    with restarted.db.read() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        after = restarted.engine.load(s, row)
        assert [t.task_spec.bpmn_id for t in restarted.engine.ready_user_tasks(after)] == before_ready
        assert after.data == before_data
    scenario.app = restarted
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )
    row2 = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "refused",
            "consenting_person_id": ids["child"],
        },
    )
    # The refusal leads on to deciding whether to share without consent (P2, a call activity).
    assert row2.status == "waiting" and [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_grounds"]


def test_definition_is_stored_once_and_instances_stay_small(scenario: Scenario, app: App) -> None:
    for _ in range(3):
        case_id, _ = scenario.open_case(16)
        scenario.start_episode(case_id)
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 1
        sizes = [len(r.state_json) for r in s.scalars(select(ProcessInstance))]
        spec_size = len(s.scalars(select(ProcessDefinition)).one().spec_json)
    assert all(size < spec_size for size in sizes), (sizes, spec_size)
    assert max(sizes) < 8192


def test_running_instance_keeps_its_model_version(scenario: Scenario, app: App, tmp_path: Path) -> None:
    """Edit the model on disk after an instance started: the instance still runs on its own version."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    changed = tmp_path / "bpmn"
    changed.mkdir()
    for f in BPMN_DIR.glob("*.*"):
        text = f.read_text()
        if f.name == "consent_seeking.bpmn":
            text = text.replace('name="Explain and seek consent"', 'name="Explain and seek consent (v2)"')
        (changed / f.name).write_text(text)
    (changed / "forms").symlink_to(BPMN_DIR / "forms")
    new_models = ModelRegistry(changed)
    assert new_models.current("consent_seeking").content_hash != app.models.current("consent_seeking").content_hash
    upgraded = App(app.settings, app.db, new_models, WorkflowEngine(new_models, HANDLERS), app.clock)
    scenario.app = upgraded
    row = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
        },
    )
    assert row.definition_hash == app.models.current("consent_seeking").content_hash
    assert row.outcome == "consent_given"


def test_a_form_changed_under_a_running_instance_does_not_apply_to_it(
    scenario: Scenario, app: App, tmp_path: Path
) -> None:
    """Forms are part of the definition: the running instance keeps its form, a new one gets the new form."""
    case_id, ids = scenario.open_case(16)
    running = scenario.start_episode(case_id)
    changed = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, changed)
    form_path = changed / "forms" / "seek_consent.schema.json"
    form = json.loads(form_path.read_text())
    form["properties"]["witness"] = {"type": "string", "title": "Who else was there?", "minLength": 1}
    form["required"] = [*form["required"], "witness"]
    form_path.write_text(json.dumps(form))
    new_models = ModelRegistry(changed)  # a new release: only the form changed, so did the definition's hash
    assert new_models.current("consent_seeking").content_hash != app.models.current("consent_seeking").content_hash
    scenario.app = App(app.settings, app.db, new_models, WorkflowEngine(new_models, HANDLERS), app.clock)
    fresh = scenario.start_episode(case_id)
    answers = {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": ids["child"],
        "recipients": [{"agency": "CAMHS"}],
    }

    def shown_fields(instance_id: int) -> set[str]:
        with scenario.app.db.read() as s:
            pat = scenario.user(s, "pat")
            view = service.show_task(scenario.app, s, pat, scenario.task(instance_id, "seek_consent").task_id)
            return set(view.form_schema["properties"])

    assert "witness" not in shown_fields(running)
    assert "witness" in shown_fields(fresh)
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(fresh, "seek_consent", "pat", answers)
    assert "witness" in str(refused.value.field_errors)
    row = scenario.complete(running, "seek_consent", "pat", answers)  # validated against its own, older form
    assert row.outcome == "consent_given"
    assert scenario.complete(fresh, "seek_consent", "pat", answers | {"witness": "Her aunt"}).outcome == (
        "consent_given"
    )


def test_a_model_naming_a_form_that_does_not_exist_stops_loading(tmp_path: Path) -> None:
    changed = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, changed)
    (changed / "forms" / "seek_consent.schema.json").unlink()
    with pytest.raises(ModelError) as stopped:
        ModelRegistry(changed)
    assert str(stopped.value).startswith(
        "consent_seeking.bpmn, task 'seek_consent': its form seek_consent.schema.json does not exist"
    )


def test_two_people_completing_the_same_task_at_once(scenario: Scenario, app: App) -> None:
    """Real threads, real database: exactly one wins, the other is told it was already completed."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    task_id = scenario.task(instance, "seek_consent").task_id
    form = {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": ids["child"],
        "recipients": [{"agency": "CAMHS"}],
    }
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(who: str) -> None:
        barrier.wait()
        try:
            with app.transaction() as s:
                service.complete_task(app, s, scenario.user(s, who), task_id, form)
            results.append("ok")
        except ConflictError as exc:
            results.append(f"conflict: {exc}")

    # The same practitioner in two browser tabs, or two sessions of one account.
    threads = [threading.Thread(target=attempt, args=(who,)) for who in ("pat", "pat")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.split(":")[0] for r in results) == ["conflict", "ok"], results
    assert any("already completed" in r or "same moment" in r for r in results)
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 1
        assert s.scalar(select(func.count()).select_from(CompletedTask)) == 1
        assert s.scalar(select(func.count()).select_from(OpenTask)) == 0


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite writers queue at BEGIN IMMEDIATE, so they never race")
def test_two_first_instances_of_a_new_version_started_at_once_both_succeed(scenario: Scenario, app: App) -> None:
    """Both transactions look for the definition before either stores it: both must still start."""
    cases = [scenario.open_case(16)[0] for _ in range(2)]
    barrier = threading.Barrier(2, timeout=20)
    looked_up = app.engine.definition_row

    def both_look_first(session: Any, content_hash: str) -> ProcessDefinition | None:
        found = looked_up(session, content_hash)
        barrier.wait()
        return found

    app.engine.definition_row = both_look_first  # type: ignore[method-assign]
    results: list[str] = []

    def start(case_id: int) -> None:
        try:
            scenario.start_episode(case_id)
            results.append("ok")
        except Exception as exc:
            results.append(repr(exc))

    threads = [threading.Thread(target=start, args=(case_id,)) for case_id in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok", "ok"], results
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 1
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 2


def test_model_scripts_cannot_import(tmp_path: Path) -> None:
    """A model that tries __import__('os') stops start-up with a clear error naming where, not a shell;
    and code that reaches the environment some other way is refused there too."""
    source = (BPMN_DIR / "consent_seeking.bpmn").read_text()
    evil = source.replace("child_age &lt; 16", "__import__('os').system('echo pwned') or child_age &lt; 16")
    assert evil != source, "the consent model's gateway condition changed; update this test"
    (tmp_path / "consent_seeking.bpmn").write_text(evil)
    for dmn in BPMN_DIR.glob("*.dmn"):
        (tmp_path / dmn.name).write_text(dmn.read_text())
    for called in BPMN_DIR.glob("*.bpmn"):  # the processes consent seeking calls (P2 and what it calls)
        if called.name != "consent_seeking.bpmn":
            (tmp_path / called.name).write_text(called.read_text())
    (tmp_path / "forms").symlink_to(BPMN_DIR / "forms")  # the forms the models name must exist
    with pytest.raises(ModelError) as err:
        ModelRegistry(tmp_path)
    assert "__import__" in str(err.value) and "consent_seeking.bpmn" in str(err.value)
    from workflows.restricted import RestrictedEnvironment

    with pytest.raises(ModelError, match="not allowed"):
        RestrictedEnvironment().evaluate("__import__('os').system('echo pwned')", {})


def test_restricted_environment_allows_plain_expressions() -> None:
    from workflows.restricted import RestrictedEnvironment

    env = RestrictedEnvironment()
    assert env.evaluate("len(recipients) > 0 and age < 16", {"recipients": [1], "age": 12}) is True
    context = {"xs": [1, 2]}
    env.execute("total = sum(xs)\nitems = {'a': 1}\nitems['b'] = 2", context)
    assert context["total"] == 3 and context["items"] == {"a": 1, "b": 2}
    with pytest.raises(ModelError):
        env.evaluate("().__class__.__bases__", {})


def test_malformed_and_missing_model_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ModelRegistry(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="No .bpmn models"):
        ModelRegistry(tmp_path)
    (tmp_path / "broken.bpmn").write_text("<definitions><process id='x'")
    with pytest.raises(ModelError, match="broken.bpmn"):
        ModelRegistry(tmp_path)


def test_form_schemas_are_versioned_with_the_models() -> None:
    schema = json.loads((BPMN_DIR / "forms" / "seek_consent.schema.json").read_text())
    assert schema["properties"]["consent_outcome"]["enum"] == [
        "given",
        "given_with_restrictions",
        "refused",
        "not_sought",
    ]


def test_a_database_url_that_does_not_connect(tmp_path: Path) -> None:
    from safeshare.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Cannot connect"):
        App.create(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(ConfigurationError, match="is not a URL"):
        App.create(Settings(database_url="not a url"))


def test_instances_of_different_definitions_restore_correctly_from_many_threads_at_once(
    scenario: Scenario, app: App
) -> None:
    """FastAPI runs requests in a thread pool: restores of different definitions must not mix them up.

    A fresh registry has none of the definitions cached, so every restore registers its stored
    definition while the other threads restore theirs (the race a per-load attribute lost).
    """
    from tests.scheme_steps import start as start_application

    case_id, _ = scenario.open_case(16)
    instance_ids = [scenario.start_episode(case_id)]
    instance_ids += [start_application(scenario, route)[1] for route in ("csor", "right_to_ask", "right_to_know")]
    with app.db.read() as s:
        rows = [s.get(ProcessInstance, i) for i in instance_ids]
        expected = {
            r.id: (r.process_id, r.state_json, [t.task_spec.bpmn_id for t in app.engine.ready_user_tasks(
                app.engine.serializer.loads(r.state_json, r.definition_hash))])
            for r in rows
            if r is not None
        }
        stored = {d.content_hash: d.spec_json for d in s.scalars(select(ProcessDefinition))}
    assert len({r.definition_hash for r in rows if r is not None}) == 4

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: the interleavings a server meets
    try:
        _restore_in_threads(app, expected, stored, {r.id: r.definition_hash for r in rows if r is not None})
    finally:
        sys.setswitchinterval(interval)


def _restore_in_threads(
    app: App, expected: dict[int, tuple[str, str, list[str]]], stored: dict[str, str], hashes: dict[int, str]
) -> None:
    for _ in range(10):  # several rounds: each with a registry that has seen nothing
        fresh = WorkflowEngine(_registry_that_knows_nothing(app.models), HANDLERS)
        work = [(i, state) for i, (_, state, _) in expected.items()] * 4
        barrier = threading.Barrier(len(work))
        results: dict[int, list[tuple[str, list[str]]]] = {}
        errors: list[BaseException] = []

        def restore(
            instance_id: int, state_json: str, engine: WorkflowEngine = fresh, start: threading.Barrier = barrier
        ) -> None:
            start.wait()
            try:
                definition_hash = hashes[instance_id]
                workflow = engine.serializer.loads(state_json, definition_hash, stored[definition_hash])
                ready = [t.task_spec.bpmn_id for t in engine.ready_user_tasks(workflow)]
                results.setdefault(instance_id, []).append((workflow.spec.name, ready))  # noqa: B023 - joined below
            except BaseException as exc:
                errors.append(exc)  # noqa: B023 - joined below

        threads = [threading.Thread(target=restore, args=(i, state)) for i, state in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for instance_id, (process_id, _, ready) in expected.items():
            assert results[instance_id] == [(process_id, ready)] * 4


def _registry_that_knows_nothing(models: ModelRegistry) -> ModelRegistry:
    """A registry as a new process has it for definitions no longer on disk: none of them cached."""
    empty = ModelRegistry.__new__(ModelRegistry)
    empty.__dict__.update(models.__dict__)
    empty._by_hash = {}
    empty._restore_lock = threading.Lock()
    return empty
