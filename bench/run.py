"""Run the benchmark: ``python -m bench.run [--quick] [--backends sqlite,postgresql]`` (``make bench``).

Each figure is measured in its own child process (so peak memory, ``ru_maxrss``, is
that figure's alone) on a fresh database, then printed as a table and written as JSON to
``bench/results/bench-<UTC time>.json`` and ``bench/results/latest.json``. Figures are
ratios or distributions from the same run; nothing here asserts a bare time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.world import PG_ADMIN, RESULTS_DIR, fresh_database
from safeshare.core.clock import SystemClock

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    episodes: int
    inbox_instances: int
    inbox_open_tasks: int
    inbox_teams: int
    inbox_samples: int
    timer_open: tuple[int, ...]
    timer_due: int
    api_clients: int
    api_episodes_per_client: int


FULL = Sizes(300, 1_000_000, 100_000, 100, 500, (10_000, 100_000), 1_000, 4, 25)
QUICK = Sizes(10, 5_000, 500, 10, 40, (300, 600), 20, 2, 2)


# -- one figure, in a child process -------------------------------------------------------


def _figure(name: str, backend: str, params: dict[str, Any], pg_admin: str) -> dict[str, Any]:
    from bench import api, episodes, inbox, timers

    if name == "bare":
        return episodes.bare_throughput(params["episodes"])
    with fresh_database(backend, pg_admin) as url:
        if name == "episodes":
            return episodes.safeshare_throughput(url, params["episodes"])
        if name == "inbox":
            return inbox.run(url, instances=params["instances"], open_tasks=params["open_tasks"],
                             teams=params["teams"], samples=params["samples"])
        if name == "timers":
            return timers.run(url, open_timers=params["open_timers"], due=params["due"])
        if name == "api":
            return api.run(url, episodes_per_client=params["episodes_per_client"], clients=params["clients"])
    raise ValueError(f"unknown figure {name}")


def child_main(spec: str) -> None:
    job = json.loads(spec)
    result = _figure(job["name"], job["backend"], job["params"], job["pg_admin"])
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("BENCH-RESULT " + json.dumps(result))


def measure(name: str, backend: str, params: dict[str, Any], pg_admin: str) -> dict[str, Any]:
    spec = json.dumps({"name": name, "backend": backend, "params": params, "pg_admin": pg_admin})
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", spec], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH-RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        return {"error": f"{name} on {backend} failed (exit {done.returncode})", "detail": tail}
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
    return result


# -- the whole run ------------------------------------------------------------------------


def run(sizes: Sizes, backends: list[str], pg_admin: str, log: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": sizes.__dict__ | {"timer_open": list(sizes.timer_open)}, "backends": backends}
    log("bare SpiffWorkflow episodes ...")
    bare = measure("bare", "none", {"episodes": sizes.episodes}, pg_admin)
    results["bare"] = bare
    results["episodes"] = {}
    results["inbox"] = {}
    results["timers"] = {}
    results["api"] = {}
    for backend in backends:
        log(f"{backend}: consent episodes through the task service ...")
        ours = measure("episodes", backend, {"episodes": sizes.episodes}, pg_admin)
        if "episodes_per_second" in ours and "episodes_per_second" in bare:
            ours["ratio_to_bare"] = round(ours["episodes_per_second"] / bare["episodes_per_second"], 3)
        results["episodes"][backend] = ours
        log(f"{backend}: inbox with {sizes.inbox_instances:,} instances, {sizes.inbox_open_tasks:,} open tasks ...")
        results["inbox"][backend] = measure(
            "inbox", backend,
            {"instances": sizes.inbox_instances, "open_tasks": sizes.inbox_open_tasks, "teams": sizes.inbox_teams,
             "samples": sizes.inbox_samples},
            pg_admin,
        )
        log(f"{backend}: consent episodes through the HTTP API, {sizes.api_clients} clients ...")
        results["api"][backend] = measure(
            "api", backend, {"clients": sizes.api_clients, "episodes_per_client": sizes.api_episodes_per_client},
            pg_admin,
        )
        results["timers"][backend] = {}
        for open_timers in sizes.timer_open:
            log(f"{backend}: timer sweep, {open_timers:,} open timers, {sizes.timer_due:,} due ...")
            results["timers"][backend][str(open_timers)] = measure(
                "timers", backend, {"open_timers": open_timers, "due": sizes.timer_due}, pg_admin
            )
        low, high = (results["timers"][backend][str(n)] for n in (sizes.timer_open[0], sizes.timer_open[-1]))
        if "sweep_seconds" in low and "sweep_seconds" in high:
            results["timers"][backend]["cost_ratio_high_to_low_open"] = round(
                high["sweep_seconds"] / low["sweep_seconds"], 2
            )
    return results


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table (the README's format)."""
    rows = [("figure", "backend", "measured", "target")]
    bare = results["bare"]
    rows.append(("episodes/s, bare SpiffWorkflow in memory", "none", f"{bare.get('episodes_per_second')}", ""))
    for backend, ep in results["episodes"].items():
        rows.append(("episodes/s, task service + database", backend,
                     f"{ep.get('episodes_per_second')} (ratio {ep.get('ratio_to_bare')})", ">= 0.5 of bare"))
        size = ep.get("state_bytes_per_finished_instance", {})
        rows.append(("stored state per finished instance", backend,
                     f"{size.get('mean')} B mean, {size.get('max')} B max "
                     f"(bare: {bare.get('state_bytes_per_finished_instance', {}).get('mean')} B)", "<= 8192 B"))
    for backend, api in results["api"].items():
        rows.append((f"episodes/s through the HTTP API ({api.get('clients')} clients, 1 uvicorn worker)", backend,
                     f"{api.get('episodes_per_second')} ({api.get('episodes')} episodes, errors {api.get('errors')})",
                     ""))
    for backend, inbox in results["inbox"].items():
        rows.append((f"my_tasks, {inbox.get('instances', 0):,} instances / {inbox.get('open_tasks', 0):,} open",
                     backend, f"p50 {inbox.get('p50_ms')} ms, p95 {inbox.get('p95_ms')} ms", "p95 <= 20 ms"))
    for backend, sweeps in results["timers"].items():
        for open_timers, sweep in sweeps.items():
            if not isinstance(sweep, dict):
                continue
            late = sweep.get("lateness_s", {})
            visible = sweep.get("visible_lateness_s", {})
            rows.append((f"timer sweep, {int(open_timers):,} open, {sweep.get('due')} due", backend,
                         f"{sweep.get('sweep_seconds')} s ({sweep.get('ms_per_due_timer')} ms/timer, "
                         f"{sweep.get('workers')} worker(s), batches of {sweep.get('batch_size')}), late p50 "
                         f"{late.get('p50')} s max {late.get('max')} s (committed: max {visible.get('max')} s), "
                         f"fired {sweep.get('fired')}, again {sweep.get('fired_again_by_second_sweep')}",
                         "cost ~ due, not open; max late <= 1 s"))
        if "cost_ratio_high_to_low_open" in sweeps:
            rows.append(("sweep time, most open / fewest open", backend, f"{sweeps['cost_ratio_high_to_low_open']}",
                         "~1.0"))
    for group in ("episodes", "inbox"):
        for backend, fig in results[group].items():
            rows.append((f"peak RSS, {group} process", backend, f"{fig.get('peak_rss_mb')} MB", ""))
    for backend, api in results["api"].items():
        rows.append(("peak RSS, API process (uvicorn worker)", backend, f"{api.get('api_process_peak_rss_mb')} MB", ""))
    for backend, sweeps in results["timers"].items():
        peaks = [s.get("peak_rss_mb") for s in sweeps.values() if isinstance(s, dict)]
        rows.append(("peak RSS, scheduler (sweep) process", backend, f"{max((p for p in peaks if p), default=None)} MB",
                     ""))
    errors = [
        f"{g}/{b}: {f['error']}" for g in ("episodes", "inbox", "api") for b, f in results[g].items() if "error" in f
    ]
    width = [max(len(str(r[i])) for r in rows) for i in range(4)]
    lines = ["| " + " | ".join(str(c).ljust(width[i]) for i, c in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in width) + "|")
    return "\n".join(lines + [f"ERROR {e}" for e in errors])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke test of the benchmark itself")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-admin", default=PG_ADMIN, help="PostgreSQL URL used to create the scratch databases")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write (default bench/results/...)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}: use sqlite and/or postgresql")
    sizes = QUICK if args.quick else FULL
    started = SystemClock().now()
    results = run(sizes, backends, args.pg_admin, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    results["started_at"] = started.isoformat()
    results["quick"] = args.quick
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS_DIR / f"bench-{started:%Y%m%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    text = json.dumps(results, indent=2)
    out.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    print(table(results))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
