"""The newcomer's path from the command line: a fresh install is set up without SQL, every command says which
database it opened, a mistyped SQLite path is an error rather than a new empty database, and every malformed
database URL is one line that says how to write it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from safeshare.cli import _register
from safeshare.cli import app as cli

Run = Callable[..., Result]


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``safeshare`` in an empty folder, with no database configured, as a newcomer would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAFESHARE_DATABASE_URL", raising=False)
    _register()
    runner = CliRunner()

    def invoke(*args: str, answers: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=answers)

    return invoke


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_sqlite_file_is_an_error_until_db_upgrade_creates_it(run: Run, tmp_path: Path) -> None:
    error = _one_line_error(run("tasks", "--as", "pat"))
    assert "There is no database at" in error and "safeshare db upgrade" in error
    assert not (tmp_path / "var").exists()  # nothing was created by looking

    typo = _one_line_error(run("tasks", "--as", "pat", "--database-url", f"sqlite:///{tmp_path}/vra/demo.db"))
    assert "There is no database at" in typo
    assert not (tmp_path / "vra").exists()

    created = run("db", "upgrade")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "var" / "safeshare.db").is_file()
    assert "Using the database at var/safeshare.db" in created.stderr


def test_the_cli_opens_the_demo_database_when_it_is_the_only_one(run: Run, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--database-url", f"sqlite:///{tmp_path}/var/demo.db").exit_code == 0
    listed = run("team", "list")
    assert listed.exit_code == 0, listed.output
    assert "Using the database at var/demo.db" in listed.stderr  # what `make demo` wrote, as `make serve` serves
    assert not (tmp_path / "var" / "safeshare.db").exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite://var/demo.db", "Write three slashes before a path: sqlite:///var/demo.db"),
        ("not a url", "is not a URL"),
        ("mysql://someone@localhost/safeshare", "whose driver is not installed"),
        ("oracle2://someone@localhost/safeshare", "names a kind of database safeshare does not use"),
    ],
)
def test_every_malformed_database_url_is_one_line(run: Run, url: str, says: str) -> None:
    assert says in _one_line_error(run("team", "list", "--database-url", url))


def test_postgres_scheme_is_read_as_postgresql() -> None:
    from safeshare.core.db import parse_database_url

    assert parse_database_url("postgres://someone@localhost/safeshare").drivername == "postgresql+psycopg"


def test_a_fresh_install_gets_its_teams_and_users_without_sql(run: Run) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert "No teams yet" in run("team", "list").stdout

    no_teams = _one_line_error(run("user", "add", "sam", "--name", "Sam Patel", "--role", "practitioner",
                                   "--team", "1"))
    assert "no teams have been added yet" in no_teams and "safeshare team add" in no_teams

    added = run("team", "add", "Duty team", "--agency", "Northfield Council")
    assert added.exit_code == 0 and "Added the team Duty team (Northfield Council)" in added.stdout
    twice = _one_line_error(run("team", "add", "duty  TEAM", "--agency", "Northfield Council"))
    assert "There is already a team called 'Duty team'" in twice
    assert "Enter the agency" in _one_line_error(run("team", "add", "Early help", "--agency", "  "))

    wrong = _one_line_error(run("user", "add", "sam", "--name", "Sam Patel", "--role", "practitioner",
                                "--team", "Dutty team"))
    assert "There is no team 'Dutty team'" in wrong and "Teams: Duty team" in wrong

    password = "a long enough password 1"
    user = run("user", "add", "sam", "--name", "Sam Patel", "--role", "practitioner", "--team", "duty team",
               answers=f"{password}\n{password}\n")
    assert user.exit_code == 0, user.output
    assert "Added sam (practitioner)" in user.stdout
    assert run("team", "list").stdout.strip() == "Duty team (Northfield Council)"
    audit = run("audit", "verify")
    assert audit.exit_code == 0, audit.output


def test_unknown_user_hint_names_something_that_exists(run: Run) -> None:
    assert run("db", "upgrade").exit_code == 0
    error = _one_line_error(run("tasks", "--as", "nobody"))
    assert "No active user 'nobody'" in error and "safeshare users" not in error
