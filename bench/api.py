"""The API process under work: whole consent episodes driven over HTTP, and the server's peak memory.

One ``uvicorn --factory web.asgi:create`` process (one worker, so its ``VmHWM`` is the API
process's peak resident memory) on the benchmark database. ``clients`` threads, each a
practitioner with its own API token and cases, drive episodes end to end through the API (start
the episode, judge competence, seek consent); a manager client gives the advice in between.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.episodes import ADVISE, JUDGE, seek_form
from bench.world import Partnership, make_app, open_cases
from safeshare.core.records import Role, User
from safeshare.services import accounts, directory

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _wait_for(client: httpx.Client, path: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check(client.get(path).json())
        if found:
            return found
        time.sleep(0.01)
    raise TimeoutError(f"nothing at {path} after {timeout} s")


def run(url: str, *, episodes_per_client: int, clients: int) -> dict[str, Any]:
    app = make_app(url)
    people = Partnership.create(app)
    tokens: list[tuple[str, list[tuple[int, int, int]]]] = []
    with app.transaction() as s:
        team = s.get(User, people.practitioner_id).team  # type: ignore[union-attr]
        manager = s.get(User, people.manager_id)
        assert manager is not None
        manager_token = accounts.issue_token(app, s, manager, "bench")
        practitioners = [
            directory.create_user(s, f"bp{n}", f"Bench Practitioner {n}", [Role.PRACTITIONER], team=team)
            for n in range(clients)
        ]
        issued = [accounts.issue_token(app, s, p, "bench") for p in practitioners]
        ids = [p.id for p in practitioners]
    for token, uid in zip(issued, ids, strict=True):
        tokens.append((token, open_cases(app, uid, episodes_per_client, 12, f"api{uid}")))
    app.close()
    port = _free_port()
    env = {**os.environ, "SAFESHARE_DATABASE_URL": url, "SAFESHARE_SECRET_KEY": "bench-" + "k" * 40}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "web.asgi:create", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    errors: list[str] = []
    done = [0]
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

        def manager_loop() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {manager_token}"}) as c:
                while not stop.is_set():
                    tasks = [t for t in c.get("/api/tasks").json()["tasks"] if t["step"] == "advise_on_competence"]
                    for t in tasks:
                        c.post(f"/api/tasks/{t['id']}/complete", json=ADVISE)
                    if not tasks:
                        time.sleep(0.01)

        def practitioner_loop(token: str, my_cases: list[tuple[int, int, int]]) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
                for case_id, _child, parent in my_cases:
                    try:
                        started = c.post(f"/api/cases/{case_id}/episodes", json={"purpose": "Benchmark"})
                        started.raise_for_status()

                        def mine(body: dict[str, Any], step: str, case: int = case_id) -> Any:
                            return next((t for t in body["tasks"] if t["step"] == step and t["case_id"] == case), None)

                        judge = _wait_for(c, "/api/tasks", lambda b: mine(b, "judge_competence"))
                        c.post(f"/api/tasks/{judge['id']}/complete", json=JUDGE).raise_for_status()
                        seek = _wait_for(c, "/api/tasks", lambda b: mine(b, "seek_consent"))
                        end = c.post(f"/api/tasks/{seek['id']}/complete", json=seek_form(parent))
                        end.raise_for_status()
                        assert end.json()["status"] == "completed", end.text
                        done[0] += 1
                    except Exception as exc:  # reported in the figure, not hidden
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])

        helper = threading.Thread(target=manager_loop, daemon=True)
        helper.start()
        workers = [threading.Thread(target=practitioner_loop, args=t) for t in tokens]
        started_at = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started_at
        stop.set()
        helper.join(timeout=10)
        peak = _peak_rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return {
        "clients": clients,
        "episodes": done[0],
        "errors": errors[:5],
        "seconds": round(elapsed, 3),
        "episodes_per_second": round(done[0] / elapsed, 2),
        "api_process_peak_rss_mb": peak,
    }
