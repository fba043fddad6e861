"""Model code runs under a budget: a looping or huge expression fails within it, its step rolls back,
and the database lock its transaction holds is free again for everyone else (issue 15, item 1)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.config import BPMN_DIR
from safeshare.core.errors import ModelError
from safeshare.core.records import ProcessInstance, Team
from safeshare.services import directory
from tasks.automated import HANDLERS
from tests.builders import Scenario
from workflows.budget import Budget, ModelCodeBudgetError
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry
from workflows.restricted import RestrictedEnvironment

BUDGET_SECONDS = 1.0
#: Generous room for a loaded test machine: the point is "seconds", not "forever".
SLACK_SECONDS = 3.0
CONDITION = "child_age &lt; 16"
SCRIPT = "advice_decision = None"


def _models(tmp_path: Path, file: str, old: str, new: str) -> ModelRegistry:
    folder = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, folder)
    source = (folder / file).read_text()
    assert old in source, f"{file} changed: update this test"
    (folder / file).write_text(source.replace(old, new, 1))
    return ModelRegistry(folder)


def _app(app: App, models: ModelRegistry) -> App:
    return App(
        app.settings, app.db, models, WorkflowEngine(models, HANDLERS, model_code_seconds=BUDGET_SECONDS), app.clock
    )


def _race(run_model_code: object, app: App) -> tuple[BaseException | None, float, float]:
    """Run the model code in one thread; meanwhile another user writes. Returns the model code's error,
    how long it took, and how long the other user's write took."""
    outcome: dict[str, object] = {}

    def model_code() -> None:
        started = time.monotonic()
        try:
            run_model_code()  # type: ignore[operator]
        except BaseException as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=model_code)
    worker.start()
    time.sleep(0.2)  # let it take the write lock and start looping
    started = time.monotonic()
    with app.transaction() as s:
        directory.create_team(s, "Somebody else's write", "Council")
    other = time.monotonic() - started
    worker.join(timeout=BUDGET_SECONDS + 30)
    assert not worker.is_alive(), "the model code never stopped"
    return outcome.get("error"), float(outcome["seconds"]), other  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression",
    [
        "9**9**9 > 0",
        "sum(range(10**12)) > 0",
        "len('a' * (3 * 10**9)) > 0",
        "len([n for n in range(10**6) for m in range(10**6)]) > 0",
    ],
)
def test_a_huge_condition_fails_within_the_budget_while_another_write_goes_through(
    app: App, tmp_path: Path, expression: str
) -> None:
    budget_app = _app(app, _models(tmp_path, "consent_seeking.bpmn", CONDITION, f"({expression}) or {CONDITION}"))
    scenario = Scenario.create(budget_app)
    case_id, _ = scenario.open_case(13)
    error, seconds, other = _race(lambda: scenario.start_episode(case_id), budget_app)
    assert isinstance(error, ModelCodeBudgetError), error
    assert "went over its limit" in error.message and "nothing was saved" in error.message
    assert seconds < BUDGET_SECONDS + SLACK_SECONDS and other < BUDGET_SECONDS + SLACK_SECONDS
    with app.db.read() as s:  # the step rolled back; the other write is there
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 0
        assert s.scalar(select(Team.id).where(Team.name == "Somebody else's write")) is not None


def test_a_looping_script_fails_within_the_budget_while_another_write_goes_through(app: App, tmp_path: Path) -> None:
    looping = "n = 0\nwhile True:\n    n += 1\n" + SCRIPT
    budget_app = _app(app, _models(tmp_path, "share_without_consent.bpmn", SCRIPT, looping))
    scenario = Scenario.create(budget_app)
    case_id, _ = scenario.open_case(13)

    def start() -> None:
        with budget_app.transaction() as s:
            budget_app.engine.start(
                s, budget_app.clock, "share_without_consent", {}, actor=scenario.user(s, "pat"), case_id=case_id
            )

    error, seconds, other = _race(start, budget_app)
    assert isinstance(error, ModelCodeBudgetError), error
    assert seconds < BUDGET_SECONDS + SLACK_SECONDS and other < BUDGET_SECONDS + SLACK_SECONDS
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_a_looping_dmn_cell_fails_within_the_budget(app: App, tmp_path: Path) -> None:
    models = _models(tmp_path, "consent_authority.dmn", "&gt;= 18", "&gt;= 18 or sum(range(10**12)) &gt; 0")
    budget_app = _app(app, models)
    scenario = Scenario.create(budget_app)
    case_id, _ = scenario.open_case(17)  # 16 or over: the consent authority table decides at once
    with pytest.raises(ModelCodeBudgetError):
        scenario.start_episode(case_id)


@pytest.mark.parametrize(
    ("code", "script"),
    [
        ("n = 0\nwhile True:\n    n += 1", True),
        ("9**9**9 > 0", False),
        ("pow(9, 9**9) > 0", False),
        ("sum(range(10**12)) > 0", False),
        ("len('a' * (3 * 10**9))", False),
        ("len('a'.ljust(3 * 10**9))", False),
        ("len('%9999999999d' % 1)", False),
        ("def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)", True),
        ("l = [1]\nfor i in range(64):\n    l = l + l", True),
        ("l = [1]\nfor i in range(64):\n    l.extend(l)", True),
        ("s = 'ab'\nfor i in range(64):\n    s = s.replace('a', 'aa')", True),
    ],
)
def test_every_way_round_the_budget_is_stopped_quickly(code: str, script: bool) -> None:
    env = RestrictedEnvironment(budget=Budget(BUDGET_SECONDS))
    started = time.monotonic()
    with pytest.raises(ModelCodeBudgetError):
        env.execute(code, {}) if script else env.evaluate(code, {})
    assert time.monotonic() - started < BUDGET_SECONDS + SLACK_SECONDS


@pytest.mark.parametrize(
    "code",
    ["try:\n    x = 1\nexcept Exception:\n    pass", "x = [*a, *a]", "x = f'{a:>{b}}'", "x = f'{a:>99999}'"],
)
def test_what_the_budget_cannot_bound_is_refused_before_it_runs(code: str) -> None:
    with pytest.raises(ModelError, match="not allowed"):
        RestrictedEnvironment().execute(code, {"a": [1], "b": 3})


def test_plain_model_code_still_runs() -> None:
    env = RestrictedEnvironment()
    context = {"grounds": ["g"], "n": 3}
    env.execute("total = 0\nfor i in range(n):\n    total += i\nlabel = 'x' * 3 + f'{n:>3}'", context)
    assert context["total"] == 3 and context["label"] == "xxx  3"
    assert env.evaluate('"g" in grounds and 2 ** 10 == 1024 and "%d items" % n == "3 items"', context) is True


def test_a_forbidden_name_in_a_condition_stops_start_up_naming_file_and_element(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        _models(tmp_path, "consent_seeking.bpmn", CONDITION, f"__import__('os') or {CONDITION}")
    assert "consent_seeking.bpmn" in err.value.message and "is_child_under_16" in err.value.message


def test_a_forbidden_name_in_a_dmn_cell_stops_start_up_naming_file_and_table(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        _models(tmp_path, "consent_authority.dmn", "&gt;= 18", "&gt;= 18 or __import__('os')")
    assert "consent_authority.dmn" in err.value.message and "decision table" in err.value.message


def test_a_forbidden_script_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        _models(tmp_path, "share_without_consent.bpmn", SCRIPT, "import os\n" + SCRIPT)
    assert "share_without_consent.bpmn" in err.value.message and "prepare_share_decision" in err.value.message


def test_over_budget_code_after_a_timer_parks_its_instance_as_an_incident(app: App, tmp_path: Path) -> None:
    """The timer sweep runs model code nobody is waiting on: over budget, the instance is parked where an
    administrator sees it (an incident), its timers stay unfired, and the sweep ends within the budget."""
    from datetime import timedelta

    from safeshare.core.clock import FixedClock
    from tests.scheduling_support import FIXTURE_BPMN, start_fixture
    from workflows.timer_sweep import open_incidents, sweep_due_timers

    folder = tmp_path / "bpmn"
    folder.mkdir()
    source = FIXTURE_BPMN.read_text()
    title = "value=\"'Advise'\""
    assert title in source, "the timer fixture changed: update this test"
    looping = "value=\"'Advise' if sum(range(10**12)) &gt; 0 else 'Advise'\""
    (folder / FIXTURE_BPMN.name).write_text(source.replace(title, looping, 1))
    budget_app = _app(app, ModelRegistry(folder))
    scenario = Scenario.create(budget_app)
    case_id, _ = scenario.open_case(12)
    instance_id = start_fixture(scenario, case_id, "immediate_risk")
    assert isinstance(budget_app.clock, FixedClock)
    budget_app.clock.advance(timedelta(minutes=61))  # the reminder is due: its service task loops
    started = time.monotonic()
    report = sweep_due_timers(budget_app)
    assert time.monotonic() - started < BUDGET_SECONDS + SLACK_SECONDS
    assert report.parked == [instance_id] and report.fired == []
    with app.db.read() as s:
        (incident,) = open_incidents(s)
        assert incident.instance_id == instance_id and "went over its limit" in incident.message
        assert s.get(ProcessInstance, instance_id).status == "error"  # type: ignore[union-attr]
