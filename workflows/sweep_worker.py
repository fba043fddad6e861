"""Entry point of a sweep helper process: build the application from the parent's spec, sweep, report.

Started by ``workflows.sweep_helpers.start_helper`` as ``python -c``; it is an entry point like
the CLI, so it builds the application through the composition root (``safeshare.app``).
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import sys

from safeshare.app import App
from safeshare.core.config import Settings
from workflows.sweep_helpers import HELPER_SPEC_VAR, REPORT_MARK
from workflows.sweep_report import report_to_json
from workflows.timer_sweep import run_worker


def main() -> None:
    """Entry point of a helper process: sweep as its parent's spec says, print the report as JSON."""
    spec = json.loads(os.environ[HELPER_SPEC_VAR])
    clock = pickle.loads(base64.b64decode(spec["clock"]))
    settings: Settings = pickle.loads(base64.b64decode(spec["settings"]))
    app = App.create(settings, clock, migrate=False)
    try:
        report = run_worker(app, spec["worker"], spec["limit"], spec["batch_size"])
    finally:
        app.close()
    sys.stdout.write(f"\n{REPORT_MARK}{json.dumps(report_to_json(report))}\n")
