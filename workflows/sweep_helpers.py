"""Helper processes that share a burst of due timers with the sweep that starts them (PostgreSQL).

A step is mostly Python (SpiffWorkflow, the ORM), which the threads of one interpreter cannot
run at once, so a burst is shared by processes: each helper builds its own :class:`App` from
the parent's settings and clock (``workflows.sweep_worker``), runs the sweep's worker on its share
(``SKIP LOCKED`` keeps the workers apart) and prints its report as one JSON line. The parent
waits for every helper, so none is orphaned, and a helper that failed fails the sweep.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

from safeshare.core.config import PROJECT_ROOT
from safeshare.core.errors import SafeshareError
from safeshare.core.runtime import App
from workflows.sweep_report import SweepReport, report_from_json

# The helper's instructions travel in the environment, not the command line: the database URL may
# hold a password, and any user sees argv.
HELPER_SPEC_VAR = "SAFESHARE_SWEEP_HELPER_SPEC"
# Starts the line of a helper's stdout that holds its report (anything a library prints is ignored).
REPORT_MARK = "SWEEP-REPORT "


@dataclass
class Helper:
    """A running helper process and the files its report and errors go to (pipes could fill and block it)."""

    process: subprocess.Popen[bytes]
    out: IO[bytes]
    err: IO[bytes]

    def report(self) -> SweepReport:
        """Wait for the helper and read its report; a helper that failed is an error of the sweep."""
        code = self.process.wait()
        self.out.seek(0)
        self.err.seek(0)
        out, err = self.out.read().decode(), self.err.read().decode(errors="replace")
        if code != 0:
            last = (err.strip().splitlines() or ["no output"])[-1]
            raise SafeshareError(
                f"A timer sweep helper process failed (exit {code}): {last}",
                "What it committed stays fired and the next sweep takes the rest; see the scheduler's log",
            )
        lines = [line for line in out.splitlines() if line.startswith(REPORT_MARK)]
        if not lines:
            raise SafeshareError("A timer sweep helper process ended without a report", "See the scheduler's log")
        return report_from_json(json.loads(lines[-1].removeprefix(REPORT_MARK)))


def start_helper(app: App, worker: str, limit: int, size: int, files: ExitStack) -> Helper:
    """A sweep worker in its own Python process: its own interpreter, so it can run on another core."""
    spec = {
        # The parent's whole settings tree, so a helper runs exactly as configured (the audit witness, the
        # model-code budget), with the parent's models folder.
        "settings": base64.b64encode(pickle.dumps(app.settings.replace(bpmn_dir=app.models.bpmn_dir))).decode(),
        "clock": base64.b64encode(pickle.dumps(app.clock)).decode(),
        "worker": worker,
        "limit": limit,
        "batch_size": size,
    }
    # In the environment, not the command line: the database URL may hold a password, and any user sees argv.
    env = dict(os.environ, **{HELPER_SPEC_VAR: json.dumps(spec)})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    # Files, not pipes: a helper writing while this process is busy sweeping must never block on a full pipe.
    out = files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by the caller's ExitStack
    err = files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by the caller's ExitStack
    process = subprocess.Popen(
        [sys.executable, "-c", "from workflows.sweep_worker import main; main()"],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        env=env,
    )
    return Helper(process, out, err)
