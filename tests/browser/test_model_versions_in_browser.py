"""In real headless Chromium, the administrator deploys a changed model set through the page (a broken set
first: each problem named, nothing stored), then previews and moves chosen running work onto the new
version: one instance moves with its waiting task renamed, one that cannot be mapped is named and stays."""

from __future__ import annotations

from pathlib import Path

from safeshare.core.config import BPMN_DIR
from tests.browser.conftest import Site, shoot
from tests.test_model_versions import changed_models


def _model_files(folder: Path) -> list[Path]:
    return [*sorted(folder.glob("*.bpmn")), *sorted(folder.glob("*.dmn")), *sorted((folder / "forms").glob("*.json"))]


def test_the_administrator_deploys_models_and_moves_running_work(site: Site, tmp_path: Path) -> None:
    scenario = site.scenario
    movable_case, _ = scenario.open_case(16)
    movable = scenario.start_episode(movable_case)
    stuck_case, _ = scenario.open_case(13)
    stuck = scenario.start_episode(stuck_case)
    page = site.page_as("alex")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Model versions").click()
    versions = page.get_by_test_id("model-versions").inner_text()
    assert "The models installed with the system" in versions and "2" in versions
    shoot(page, "models-01-versions")

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "forms").mkdir()
    for path in _model_files(BPMN_DIR):
        target = broken / path.relative_to(BPMN_DIR)
        target.write_bytes(path.read_bytes())
    (broken / "forms" / "seek_consent.schema.json").write_text("{ not json")
    page.get_by_label("Which model files make up the new version?").set_input_files(_model_files(broken))
    page.get_by_role("button", name="Check and deploy").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    problems = page.get_by_test_id("problems").inner_text()
    assert "its form seek_consent.schema.json is not valid JSON" in problems
    assert "Nothing was stored" in problems
    shoot(page, "models-02-refused-with-problems")

    changed = changed_models(tmp_path, rename_judgement=True)
    page.get_by_label("Which model files make up the new version?").set_input_files(_model_files(changed))
    page.get_by_role("button", name="Check and deploy").click()
    page.get_by_text("Version 1 is deployed").wait_for()
    shoot(page, "models-03-deployed")

    page.locator(f"input[name=instance][value='{movable}']").check()
    page.locator(f"input[name=instance][value='{stuck}']").check()
    page.get_by_role("button", name="Preview the changes").click()
    page.get_by_role("heading", name="Check what moving the work changes").wait_for()
    assert "now called 'Explain the sharing and seek consent'" in page.get_by_test_id(f"preview-{movable}").inner_text()
    assert (
        "The waiting step 'Judge the child's understanding' is not in version 1"
        in page.get_by_test_id(f"preview-{stuck}").inner_text()
    )
    shoot(page, "models-04-preview")
    page.get_by_role("button", name="Move 1 to version 1").click()
    outcomes = page.get_by_test_id("outcomes").inner_text()
    assert f"Number {movable}: moved" in outcomes
    shoot(page, "models-05-moved")

    page.get_by_role("link", name="Back to model versions").click()
    rows = page.get_by_test_id("model-versions").locator("tbody tr")
    assert rows.nth(0).locator("td").nth(2).inner_text() == "1"  # version 1: the moved instance
    assert rows.nth(1).locator("td").nth(2).inner_text() == "1"  # the installed models: the one that could not move
    assert scenario.instance(movable).model_version_id == 1 and scenario.instance(stuck).model_version_id is None
