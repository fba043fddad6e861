"""The scaled mode as a working ``docker compose`` file: compose itself reads ``compose.yaml`` (``config``)
with secrets from an env file, and the file holds no secret of its own.

Nothing is started here (this machine runs no container engine); ``docker compose config`` is compose's own
check of the file: its syntax, every ``depends_on``, every variable it needs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
POSTGRES_PASSWORD = "pg-from-the-env-file-0a1b2c"
SECRET_KEY = "session-key-from-the-env-file-3d4e5f6a7b8c9d0e"
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)


def compose_command() -> list[str]:
    """``docker compose`` (the plugin) or the standalone ``docker-compose`` (tools/install-system-packages.sh)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        return [standalone]
    if docker is None:
        pytest.skip("The docker CLI is not installed, so compose cannot read compose.yaml here")
    pytest.fail("docker is installed without compose: run 'bash tools/install-system-packages.sh' (docker-compose)")


def compose_config(tmp_path: Path, env_lines: list[str]) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "test.env"
    env_file.write_text("\n".join(env_lines) + "\n")
    return subprocess.run(
        [*compose_command(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},  # nothing leaks in from this shell
    )


@pytest.fixture
def resolved(tmp_path: Path) -> dict[str, Any]:
    done = compose_config(tmp_path, [f"POSTGRES_PASSWORD={POSTGRES_PASSWORD}", f"SAFESHARE_SECRET_KEY={SECRET_KEY}"])
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_compose_runs_the_scaled_mode_services_in_order(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert set(services) == {"db", "migrate", "prefect", "scheduler", "api"}
    assert "build" in services["migrate"] and services["api"]["image"] == services["migrate"]["image"]
    assert services["migrate"]["command"] == ["safeshare", "db", "upgrade"]
    for worker in ("api", "scheduler"):  # nothing serves or fires on a schema not yet migrated
        assert services[worker]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["scheduler"]["depends_on"]["prefect"]["condition"] == "service_healthy"
    assert services["scheduler"]["environment"]["PREFECT_API_URL"] == "http://prefect:4200/api"
    assert services["scheduler"]["command"][:2] == ["safeshare", "scheduler"]
    assert "web.asgi:create" in " ".join(services["api"]["command"])
    assert services["api"]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/safeshare-metrics"
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["prefect"]["command"][:3] == ["prefect", "server", "start"]
    assert services["prefect"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"].endswith("@db:5432/prefect")
    for name in ("api", "scheduler", "migrate"):
        assert services[name]["environment"]["SAFESHARE_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_secrets_come_from_the_env_file_and_none_is_written_in_compose_yaml(
    resolved: dict[str, Any], tmp_path: Path
) -> None:
    services = resolved["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == POSTGRES_PASSWORD
    assert services["api"]["environment"]["PGPASSWORD"] == POSTGRES_PASSWORD
    assert services["api"]["environment"]["SAFESHARE_SECRET_KEY"] == SECRET_KEY
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    written: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str | int) and SECRET_NAMES.search(str(key)):
                    written.append((str(key), str(value)))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw)
    assert written, "the check found no secret setting at all, so it checked nothing"
    for key, value in written:  # each one only names a variable: ${NAME:?message} or ${NAME:-}
        assert re.fullmatch(r"\$\{[A-Z_]+(:[?-][^}]*)?\}", value), f"{key} has a value written in compose.yaml"
    urls = re.findall(r"[a-z+]+://\S+", COMPOSE_FILE.read_text())
    assert urls and not [url for url in urls if re.search(r"://[^/@\s]+:[^/@\s]+@", url)]  # no user:password@
    missing = compose_config(tmp_path, [f"SAFESHARE_SECRET_KEY={SECRET_KEY}"])
    assert missing.returncode != 0 and "Set POSTGRES_PASSWORD in .env" in missing.stderr


def test_the_env_example_names_every_required_secret_without_a_value() -> None:
    example = (ROOT / "deploy/compose.env.example").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE_FILE.read_text()))
    assert required == {"POSTGRES_PASSWORD", "SAFESHARE_SECRET_KEY"}
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    for name in required | {"SAFESHARE_SMTP_PASSWORD"}:
        assert values[name] == "", f"{name} has a value in the example"
    assert ".env" in (ROOT / ".gitignore").read_text().split() and ".env" in (ROOT / ".dockerignore").read_text()


def test_the_image_runs_as_its_own_user_with_no_secret_built_in() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER safeshare\n" in dockerfile and "pip install --no-cache-dir -e ." in dockerfile
    built_in = re.findall(r"^(?:ENV|ARG)\s+(.*)$", dockerfile, re.MULTILINE)
    assert not [line for line in built_in if SECRET_NAMES.search(line.split("=")[0])]
    assert "npm ci" in dockerfile  # the pages' assets, from the lock file


def test_the_api_workers_log_json_lines_as_safeshare_serve_does(resolved: dict[str, Any]) -> None:
    """uvicorn reads its logging from a file: it must be the configuration ``safeshare serve`` uses."""
    from web.observability import json_log_config

    assert json.loads((ROOT / "deploy/logging.json").read_text()) == json_log_config()
    assert "--log-config deploy/logging.json" in " ".join(resolved["services"]["api"]["command"])
    assert '"--log-config", "deploy/logging.json"' in (ROOT / "Dockerfile").read_text()
