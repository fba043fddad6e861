"""A Prefect server for ``safeshare scheduler`` when none is configured.

Prefect's local mode (no ``PREFECT_API_URL``) starts a temporary server that runs no scheduler
service, so an interval schedule never produces a run there (checked with Prefect 3.9: nothing ran
in 95 s). Rather than hand-roll a timer loop, local mode starts the real ``prefect server start`` as
a child process on 127.0.0.1, keeps its history under ``var/prefect`` (so the UI shows past runs
after a restart), and stops it with the scheduler.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from safeshare.core.errors import ConfigurationError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_prefect_server(home: Path, *, port: int | None = None, timeout: float = 90.0) -> Iterator[str]:
    """Run ``prefect server start`` until the block ends; yields its API URL (``http://127.0.0.1:PORT/api``)."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home.resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log_path = home / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(process, url, log_path, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise ConfigurationError(
                f"The local Prefect server stopped at start-up: {' / '.join(tail)}",
                f"See {log_path}, or set PREFECT_API_URL to a running Prefect server",
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ConfigurationError(
        f"The local Prefect server did not answer within {timeout:.0f} s", f"See {log_path}, or set PREFECT_API_URL"
    )
