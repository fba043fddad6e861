"""The benchmark itself runs: ``python -m bench.run --quick`` on this run's database backend writes a result
file of the documented shape. Times are not checked (they belong in the benchmark table, not in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import backend

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--backends", backend(), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    b = backend()
    bare, ours = results["bare"], results["episodes"][b]
    assert "error" not in bare and "error" not in ours, (bare, ours)
    assert bare["episodes"] == ours["episodes"] == results["sizes"]["episodes"]
    assert ours["ratio_to_bare"] > 0 and ours["peak_rss_mb"] > 0
    assert ours["state_bytes_per_finished_instance"]["max"] > 0
    inbox = results["inbox"][b]
    assert inbox["open_tasks"] == results["sizes"]["inbox_open_tasks"] and inbox["p50_ms"] <= inbox["p95_ms"]
    sweeps = results["timers"][b]
    for open_timers in results["sizes"]["timer_open"]:
        sweep = sweeps[str(open_timers)]
        # Correctness, not speed: every due timer fired once, none twice, the rest still wait.
        assert sweep["fired"] == sweep["due"] and sweep["fired_again_by_second_sweep"] == 0 and sweep["parked"] == 0
        assert sweep["still_open_after"] == open_timers - sweep["due"]
    assert "cost_ratio_high_to_low_open" in sweeps
    api = results["api"][b]
    assert api["errors"] == [] and api["episodes"] == results["sizes"]["api_clients"] * results["sizes"][
        "api_episodes_per_client"]
    assert api["api_process_peak_rss_mb"] > 0
    assert "| figure" in done.stdout and "my_tasks" in done.stdout
