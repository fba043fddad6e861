"""Model versions: a changed model set checked and deployed, running work moved onto it after a preview."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli
from safeshare.core.config import BPMN_DIR
from safeshare.core.errors import PermissionDeniedError
from safeshare.core.records import AuditEvent, ModelVersion, OpenTask, ProcessDefinition, ProcessInstance
from safeshare.services import model_versions
from safeshare.services.model_versions import ModelSetRejected
from tests.builders import EXPLAINED, Scenario

CONSENT_ANSWERS = {"understanding_confirmed": True, "consent_outcome": "given", "recipients": [{"agency": "CAMHS"}]}


def changed_models(tmp_path: Path, *, rename_judgement: bool = False) -> Path:
    """A copy of the models where 'Explain and seek consent' is renamed (same id) and, if asked, the
    competence judgement's id changes (so an instance waiting on it cannot be mapped)."""
    folder = tmp_path / "models-v2"
    shutil.copytree(BPMN_DIR, folder)
    path = folder / "consent_seeking.bpmn"
    text = path.read_text().replace('name="Explain and seek consent"', 'name="Explain the sharing and seek consent"')
    if rename_judgement:
        text = re.sub(r"judge_competence(?=[\"<])", "judge_understanding", text)
    path.write_text(text)
    return folder


def admin(scenario: Scenario, app: App, name: str = "alex"):  # type: ignore[no-untyped-def]
    with app.db.read() as s:
        return scenario.user(s, name)


def test_a_broken_model_set_is_refused_with_one_line_per_problem_and_nothing_stored(
    scenario: Scenario, app: App, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(BPMN_DIR, folder)
    (folder / "referral.bpmn").write_text("<not a model")
    (folder / "forms" / "seek_consent.schema.json").write_text("{ not json")
    (folder / "forms" / "give_advice.schema.json").write_text('{"type": "no such type"}')
    with pytest.raises(ModelSetRejected) as refused:
        model_versions.deploy(app, admin(scenario, app), folder, "broken")
    problems = refused.value.problems
    assert any("referral.bpmn cannot be read" in p for p in problems), problems
    assert any("seek_consent.schema.json is not valid JSON" in p for p in problems), problems
    assert any("give_advice.schema.json is not a valid form definition" in p for p in problems), problems
    assert any("'referral'" in p and "is missing" in p for p in problems), problems
    assert all("\n" not in p for p in problems)
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ModelVersion)) == 0
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_only_an_administrator_deploys_and_an_unchanged_set_is_not_a_new_version(scenario: Scenario, app: App) -> None:
    with pytest.raises(PermissionDeniedError):
        model_versions.deploy(app, admin(scenario, app, "pat"), BPMN_DIR, "bpmn")
    with pytest.raises(ModelSetRejected, match="it has 1 problem") as refused:
        model_versions.deploy(app, admin(scenario, app), BPMN_DIR, "bpmn")
    assert refused.value.problems == [
        "Nothing in this model set differs from the models installed with the system, which is in use: "
        "nothing to deploy"
    ]


def test_deploy_then_move_chosen_running_work_after_a_preview(scenario: Scenario, app: App, tmp_path: Path) -> None:
    case16, ids16 = scenario.open_case(16)
    waiting_consent = scenario.start_episode(case16)
    case13, _ = scenario.open_case(13)
    waiting_judgement = scenario.start_episode(case13)
    old_hash = scenario.instance(waiting_consent).definition_hash
    task_before = scenario.task(waiting_consent, "seek_consent")

    version = model_versions.deploy(app, admin(scenario, app), changed_models(tmp_path, rename_judgement=True), "v2")
    assert version.number == 1
    with app.db.read() as s:
        listed = {v.number: v.running for v in model_versions.list_versions(s)}
    assert listed == {1: 0, None: 2}  # running work stays on its version
    assert scenario.instance(waiting_consent).definition_hash == old_hash

    new_case, _ = scenario.open_case(16)
    started_new = scenario.instance(scenario.start_episode(new_case))
    assert started_new.model_version_id == 1 and started_new.definition_hash != old_hash
    assert scenario.task(started_new.id, "seek_consent").title == "Explain the sharing and seek consent"

    previews = model_versions.preview(app, admin(scenario, app), [waiting_consent, waiting_judgement])
    assert previews[0].possible and previews[0].waiting == [
        "'Explain and seek consent' stays waiting, now called 'Explain the sharing and seek consent'"
    ]
    assert previews[0].added == ["Judge the child's understanding (replaces the step of the same name)"]
    assert previews[0].removed == []
    assert not previews[1].possible
    assert previews[1].problems == ["The waiting step 'Judge the child's understanding' is not in version 1"]

    outcomes = model_versions.migrate(app, admin(scenario, app), [waiting_consent, waiting_judgement])
    assert [(o.instance_id, o.moved) for o in outcomes] == [(waiting_consent, True), (waiting_judgement, False)]
    moved = scenario.instance(waiting_consent)
    assert moved.model_version_id == 1 and moved.definition_hash == started_new.definition_hash
    task_after = scenario.task(waiting_consent, "seek_consent")
    assert task_after.task_id == task_before.task_id and task_after.title == "Explain the sharing and seek consent"
    refused = scenario.instance(waiting_judgement)
    assert refused.model_version_id is None and refused.definition_hash == old_hash
    assert [t.task_spec for t in scenario.open_tasks(waiting_judgement)] == ["judge_competence"]
    with app.db.read() as s:
        events = {e.event_type: e for e in s.scalars(select(AuditEvent))}
        listed = {v.number: v.running for v in model_versions.list_versions(s)}
    assert "moved from the models installed with the system to version 1" in events["instance_migrated"].summary
    assert "Judge the child's understanding" in events["instance_migration_refused"].summary
    assert listed == {1: 2, None: 1}

    # The moved instance goes on under the new version to its end.
    row = scenario.complete(
        waiting_consent, "seek_consent", "pat", {**EXPLAINED, **CONSENT_ANSWERS, "consenting_person_id": ids16["child"]}
    )
    assert row.outcome == "consent_given"
    # A fresh process (nothing in memory) restores the new version from the database.
    from tasks.automated import HANDLERS
    from workflows.engine import WorkflowEngine
    from workflows.model_registry import ModelRegistry

    fresh = ModelRegistry(BPMN_DIR)
    restarted = App(app.settings, app.db, fresh, WorkflowEngine(fresh, HANDLERS), app.clock)
    scenario.app = restarted
    third, _ = scenario.open_case(16)
    assert scenario.instance(scenario.start_episode(third)).model_version_id == 1


def test_cli_deploys_lists_and_migrates(scenario: Scenario, app: App, tmp_path: Path) -> None:
    _register()
    case16, _ = scenario.open_case(16)
    waiting = scenario.start_episode(case16)
    runner = CliRunner()
    url = ["--database-url", app.settings.database_url]
    broken = tmp_path / "broken"
    shutil.copytree(BPMN_DIR, broken)
    (broken / "forms" / "seek_consent.schema.json").write_text("[]")
    result = runner.invoke(cli, ["models", "deploy", str(broken), "--as", "alex", *url])
    assert result.exit_code == 1
    assert "seek_consent.schema.json is not a JSON Schema object" in result.output
    result = runner.invoke(cli, ["models", "deploy", str(changed_models(tmp_path)), "--as", "alex", *url])
    assert result.exit_code == 0, result.output
    assert "Deployed version 1" in result.output
    result = runner.invoke(cli, ["models", "list", *url])
    assert result.exit_code == 0, result.output
    assert "Version 1" in result.output and "0 running" in result.output
    assert "The models installed with the system" in result.output and "1 running" in result.output
    result = runner.invoke(cli, ["models", "migrate", str(waiting), "--as", "alex", "--preview", *url])
    assert result.exit_code == 0, result.output
    assert "now called 'Explain the sharing and seek consent'" in result.output
    assert scenario.instance(waiting).model_version_id is None
    result = runner.invoke(cli, ["models", "migrate", str(waiting), "999999", "--as", "alex", *url])
    assert result.exit_code == 1, result.output
    assert f"Instance {waiting}: moved to version 1" in result.output
    assert "Instance 999999: not moved: There is no running instance 999999" in result.output
    assert scenario.instance(waiting).model_version_id == 1
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.instance_id == waiting)) == 1
        assert s.get(ProcessInstance, waiting) is not None


def test_a_waiting_task_keeps_its_timers_and_due_times_when_moved(scenario: Scenario, app: App, tmp_path: Path) -> None:
    """The manager's advice is waited on with a reminder and a deadline: after the move both keep their
    due times, and the reminder still fires, now under the new version."""
    from datetime import datetime, timedelta

    from safeshare.core.records import WaitingTimer
    from safeshare.services import sharing
    from workflows.timer_sweep import sweep_due_timers

    case_id, _ = scenario.open_case(16)
    with app.transaction() as s:
        consultation = sharing.start_manager_consultation(
            app, s, scenario.user(s, "pat"), case_id, urgency="standard", question="May I tell the school?"
        ).id

    def timers() -> dict[str, tuple[str, datetime, datetime | None]]:
        with app.db.read() as s:
            rows = s.scalars(select(WaitingTimer).where(WaitingTimer.instance_id == consultation))
            return {t.task_id: (t.event_name, t.due_at, t.fired_at) for t in rows}

    before, advice = timers(), scenario.task(consultation, "give_advice")
    assert len(before) == 2
    folder = tmp_path / "v2"
    shutil.copytree(BPMN_DIR, folder)
    path = folder / "manager_consultation.bpmn"
    path.write_text(path.read_text().replace('name="Reminder time"', 'name="Time to remind the manager"'))
    model_versions.deploy(app, admin(scenario, app), folder, "v2")
    assert [o.moved for o in model_versions.migrate(app, admin(scenario, app), [consultation])] == [True]
    assert timers() == before
    moved = scenario.task(consultation, "give_advice")
    assert (moved.task_id, moved.due_at, moved.assignee_id) == (advice.task_id, advice.due_at, advice.assignee_id)
    reminder_due = min(due for _name, due, _fired in before.values())
    app.clock.advance(reminder_due - app.clock.now() + timedelta(minutes=1))  # type: ignore[attr-defined]
    sweep_due_timers(app)
    fired = {name for name, _due, fired_at in timers().values() if fired_at is not None}
    assert fired == {"Reminder time"}  # the timer row keeps the name it was projected with
    assert scenario.instance(consultation).model_version_id == 1
    assert scenario.task(consultation, "give_advice").task_id == advice.task_id  # the reminder did not end the task


def test_the_model_versions_page_is_for_administrators_only(scenario: Scenario, app: App) -> None:
    from tests.webkit import make_webkit

    web = make_webkit(app, scenario)
    assert web.get("pat", "/admin/models").status_code == 403
    assert web.post("pat", "/admin/models/migrate", data={"instance": "1"}).status_code in (403, 400)
    assert web.get("alex", "/admin/models").status_code == 200
