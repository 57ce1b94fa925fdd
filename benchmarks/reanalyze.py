"""Cohort re-analysis: serial against 2 local Dask workers over simulated sessions.

``python benchmarks/reanalyze.py --json`` prints ``speedup`` (serial time over
cluster time for the same units, goal >= 1.4 on 2 cores), ``same_results``
(every cluster result equals the serial one), ``units`` and ``scaling_note``
(time per unit measured at two recording sizes). Both paths write their
results to the same kind of store; the cluster's start-up is not timed (a
cohort run starts it once), its scheduling overhead is.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _autogroup() -> bool:
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def _scaling_note(args, half_s, full_s, speedup) -> str:
    """How the time per unit grows, from the two measured sizes (a line through both)."""
    minutes = args.minutes
    per_min = (full_s - half_s) / (minutes / 2)
    fixed = max(full_s - per_min * minutes, 0.0)
    return (
        f"time per unit {half_s:.3f} s at {minutes / 2:g} min and {full_s:.3f} s at {minutes:g} min of {args.montage}: "
        f"about {fixed:.2f} s per recording (open, decoder, one store transaction) + {per_min:.2f} s per recorded "
        f"minute (read, ERD filters over every channel, decoding its sensorimotor channels), so a unit grows with "
        f"minutes x channels; units are independent, so a study of N sessions costs N x that, divided by the "
        f"workers ({speedup:.2f}x with 2 here) until the store's one writer, the client, is the limit."
    )


def _comparable(result) -> str:
    out = dataclasses.asdict(result)
    out.pop("key")
    return json.dumps(out, sort_keys=True, default=str)


def _per_unit_s(store, units, spec) -> float:
    from workbench.analysis import reanalyze

    t = time.perf_counter()
    report = reanalyze(store, units, spec, scheduler="serial")
    elapsed = time.perf_counter() - t
    failed = [r.error for r in report.results if r.status != "done"]
    if failed or report.done != len(units):
        raise RuntimeError(f"size measurement: {report.summary()}; {failed[:1]}")
    return elapsed / len(units)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--montage", default="eeg-64")
    parser.add_argument("--repeat", type=int, default=2, help="alternating serial/cluster runs (best of each)")
    args = parser.parse_args(argv)

    ws = Path(tempfile.mkdtemp(prefix="wb-bench-reanalyze-"))
    try:
        result = _run(args, ws)
    finally:
        shutil.rmtree(ws, ignore_errors=True)  # 40 two-minute sessions are 600 MB
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>14}  {v}")
    return result


def _run(args, ws) -> dict:
    from workbench.analysis import AnalysisSpec, demo_decoder, local_client, reanalyze, simulate_sessions
    from workbench.analysis import analyse_unit, workspace_units
    from workbench.records.demo import open_demo_store

    with open_demo_store(ws, role="investigator") as store:
        simulate_sessions(store, ws, n_sessions=args.sessions, duration_s=args.minutes * 60, montage=args.montage)
        units = workspace_units(store, ws)
        spec = AnalysisSpec.from_files(demo_decoder(ws, montage=args.montage))
        reanalyze(store, units[:1], dataclasses.replace(spec, result_version=99), scheduler="serial")  # warm numba

        client = local_client(2, dashboard=False)
        try:
            if _autogroup():
                # Linux autogroup shares the CPU per session, not per process: LocalCluster's workers
                # share the benchmark's session, so on a busy machine 2 workers get the CPU of one.
                # Workers started by a cluster manager (dask-worker, jobqueue, Kubernetes) each have
                # their own session; give these theirs, as the serial path has its own.
                client.run(os.setsid)
            # Warm every worker (imports, numba's cached kernels, the decoder), as a running cluster is.
            client.run(analyse_unit, units[0], spec)
            # Serial and cluster alternate, best of --repeat each: the machine's load changes
            # during a run, and alternating exposes both paths to it alike.
            serial_times, cluster_times, same = [], [], True
            cpu = {"serial": [], "cluster_workers": [], "cluster_client": []}
            reference = None
            for k in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                serial = reanalyze(store, units, dataclasses.replace(spec, result_version=10 + k), scheduler="serial")
                serial_times.append(time.perf_counter() - t)
                cpu["serial"].append(time.process_time() - c)
                w = client.run(time.process_time)
                t, c = time.perf_counter(), time.process_time()
                cluster = reanalyze(store, units, dataclasses.replace(spec, result_version=20 + k), client=client)
                cluster_times.append(time.perf_counter() - t)
                cpu["cluster_client"].append(time.process_time() - c)
                cpu["cluster_workers"].append(sum(v - w[a] for a, v in client.run(time.process_time).items()))
                reference = reference or {r.unit.identity: _comparable(r) for r in serial.results}
                same = same and serial.done == cluster.done == len(units) and all(
                    {r.unit.identity: _comparable(r) for r in run.results} == reference for run in (serial, cluster))
        finally:
            client.close()
            client.cluster.close()
        serial_s, cluster_s = min(serial_times), min(cluster_times)

        # Time per unit at a second size: recordings half as long (same channels).
        short = simulate_sessions(store, ws, n_sessions=8, duration_s=args.minutes * 30, montage=args.montage,
                                  seed=900)
        short_units = [u for u in workspace_units(store, ws) if u.session_id in {s.id for s in short}]
        per_unit_full = serial_s / len(units)
        per_unit_half = min(_per_unit_s(store, short_units, dataclasses.replace(spec, result_version=30 + k))
                            for k in range(args.repeat))
    return {
        "units": len(units),
        "serial_s": round(serial_s, 3),
        "cluster_s": round(cluster_s, 3),
        "speedup": round(serial_s / cluster_s, 3),
        "serial_runs_s": [round(x, 3) for x in serial_times],
        "cluster_runs_s": [round(x, 3) for x in cluster_times],
        "same_results": bool(same),
        # CPU seconds do not depend on how busy the machine is: the cluster's total close to the
        # serial path's means the 2 workers waste little, and an idle 2-core machine sees ~2x.
        "cpu_s": {k: round(min(v), 3) for k, v in cpu.items()},
        # Estimate for an idle machine: the workers' CPU spread over 2 cores against the serial CPU.
        "speedup_idle_estimate": round(min(cpu["serial"]) / max(min(cpu["cluster_workers"]) / 2,
                                                                 min(cpu["cluster_client"])), 3),
        "per_unit_s": {f"{args.minutes:g} min": round(per_unit_full, 4),
                       f"{args.minutes / 2:g} min": round(per_unit_half, 4)},
        "scaling_note": _scaling_note(args, per_unit_half, per_unit_full, serial_s / cluster_s),
        "workers_own_session": _autogroup(),
    }


if __name__ == "__main__":
    main()
