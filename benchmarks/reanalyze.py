"""Cohort re-analysis: how it scales with the number of Dask workers, against the serial path.

``python benchmarks/reanalyze.py --workers 1,2,4 --json`` times the serial
path and a local cluster of each worker count over the same simulated
sessions and prints the scaling table: time, speed-up over the serial path
and parallel efficiency (speed-up / workers) per count, and the client's own
CPU time (the one serial part left: it writes every result into the store).
``--workers`` defaults to 1 and every power of two up to the machine's cores.
JSON keys: ``scaling`` (one row per count), ``efficiency_min`` (goal >= 0.8 at
every count up to the cores), ``speedup`` (at the largest count),
``same_results`` (every cluster result equals the serial one), ``units``,
``load_before``/``load_after`` (1-min load average: the machine may be shared;
each row's ``cpu_efficiency`` and ``speedup_idle_estimate`` do not depend on it)
and ``scaling_note`` (time per unit at two recording sizes). The cluster's
start-up is not timed (a cohort run starts it once), its scheduling is.
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


def _default_workers() -> list[int]:
    """1 and every power of two up to the machine's cores."""
    cores = os.cpu_count() or 1
    counts, n = [], 1
    while n <= cores:
        counts.append(n)
        n *= 2
    return counts


def _parse_workers(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        counts = []
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: worker counts >= 1 separated by commas, "
                                         "such as 1,2,4")
    return sorted(set(counts))


def _scaling_note(args, half_s, full_s, efficiency_min) -> str:
    """How the time per unit grows, from the two measured sizes (a line through both)."""
    minutes = args.minutes
    per_min = (full_s - half_s) / (minutes / 2)
    fixed = max(full_s - per_min * minutes, 0.0)
    return (
        f"time per unit {half_s:.3f} s at {minutes / 2:g} min and {full_s:.3f} s at {minutes:g} min of {args.montage}: "
        f"about {fixed:.2f} s per recording (open, decoder, its share of a store transaction) + {per_min:.2f} s per "
        f"recorded minute (read, ERD filters over every channel, decoding its sensorimotor channels), so a unit "
        f"grows with minutes x channels; units are independent, so a study of N sessions costs N x that, divided "
        f"by the workers (lowest parallel efficiency here {efficiency_min:.2f}) until the client, the store's one "
        f"writer, is the limit: see client_cpu_s per worker count."
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=_parse_workers, default=_default_workers(), metavar="N,N,...",
                        help="worker counts to time (default: 1 and every power of two up to the cores: "
                             f"{','.join(map(str, _default_workers()))})")
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--montage", default="eeg-64")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each path, alternating (best of each)")
    args = parser.parse_args(argv)

    ws = Path(tempfile.mkdtemp(prefix="wb-bench-reanalyze-"))
    try:
        result = _run(args, ws)
    finally:
        shutil.rmtree(ws, ignore_errors=True)  # 40 two-minute sessions are 600 MB
    if args.json:
        print(json.dumps(result))
    else:
        print(_table(result))
        for k, v in result.items():
            if k != "scaling":
                print(f"{k:>18}  {v}")
    return result


def _table(result) -> str:
    lines = [f"{result['units']} units, serial {result['serial_s']:.2f} s",
             f"{'workers':>7} {'time s':>8} {'speed-up':>9} {'efficiency':>10} {'client CPU s':>12} {'workers CPU s':>13} "
             f"{'CPU efficiency':>14} {'idle estimate':>13}"]
    lines += [f"{r['workers']:>7} {r['time_s']:>8.2f} {r['speedup']:>8.2f}x {r['efficiency']:>10.2f} "
              f"{r['client_cpu_s']:>12.2f} {r['workers_cpu_s']:>13.2f} {r['cpu_efficiency']:>14.2f} "
              f"{r['speedup_idle_estimate']:>12.2f}x" for r in result["scaling"]]
    return "\n".join(lines)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _time_cluster(store, units, spec, client, version):
    from workbench.analysis import reanalyze

    t, c = time.perf_counter(), time.process_time()
    report = reanalyze(store, units, dataclasses.replace(spec, result_version=version), client=client)
    return time.perf_counter() - t, time.process_time() - c, report


def _run(args, ws) -> dict:
    from workbench.analysis import AnalysisSpec, analyse_unit, demo_decoder, local_client, reanalyze
    from workbench.analysis import simulate_sessions, workspace_units
    from workbench.records.demo import open_demo_store

    load_before = _load()
    with open_demo_store(ws, role="investigator") as store:
        simulate_sessions(store, ws, n_sessions=args.sessions, duration_s=args.minutes * 60, montage=args.montage)
        units = workspace_units(store, ws)
        spec = AnalysisSpec.from_files(demo_decoder(ws, montage=args.montage))
        reanalyze(store, units[:1], dataclasses.replace(spec, result_version=99), scheduler="serial")  # warm numba
        version = iter(range(100, 10_000))
        reference = None

        def serial_run():
            nonlocal reference
            t, c = time.perf_counter(), time.process_time()
            report = reanalyze(store, units, dataclasses.replace(spec, result_version=next(version)),
                               scheduler="serial")
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            reference = reference or {r.unit.identity: _comparable(r) for r in report.results}
            return elapsed, cpu, report

        serial_times, serial_cpu, same, rows = [], [], True, []
        for n in args.workers:
            client = local_client(n, dashboard=False)
            try:
                if _autogroup():
                    # Linux autogroup shares the CPU per session, not per process: LocalCluster's workers
                    # share the benchmark's session, so on a busy machine they get the CPU of one.
                    # Workers started by a cluster manager (dask worker, jobqueue, Kubernetes) each have
                    # their own session; give these theirs, as the serial path has its own.
                    client.run(os.setsid)
                # Warm every worker (imports, numba's cached kernels, the decoder), as a running cluster is.
                client.run(analyse_unit, units[0], spec)
                # Serial and cluster alternate, best of --repeat each: the machine's load changes
                # during a run, and alternating exposes both paths to it alike.
                times, client_cpu, workers_cpu = [], [], []
                for _ in range(args.repeat):
                    elapsed, cpu, report = serial_run()
                    serial_times.append(elapsed)
                    serial_cpu.append(cpu)
                    before = client.run(time.process_time)
                    elapsed, cpu, report = _time_cluster(store, units, spec, client, next(version))
                    times.append(elapsed)
                    client_cpu.append(cpu)
                    workers_cpu.append(sum(v - before[a] for a, v in client.run(time.process_time).items()))
                    same = same and report.done == len(units) and \
                        {r.unit.identity: _comparable(r) for r in report.results} == reference
            finally:
                client.close()
                client.cluster.close()
            rows.append({"workers": n, "time_s": min(times), "client_cpu_s": round(min(client_cpu), 3),
                         # CPU seconds do not depend on how busy the machine is: the workers' total
                         # close to serial_cpu_s means they waste little, whatever the wall time.
                         "workers_cpu_s": round(min(workers_cpu), 3),
                         "runs_s": [round(x, 3) for x in times]})
        serial_s = min(serial_times)
        for row in rows:
            row["speedup"] = round(serial_s / row["time_s"], 3)
            row["efficiency"] = round(serial_s / row["time_s"] / row["workers"], 3)
            row["time_s"] = round(row["time_s"], 3)
            # Load-independent view of the same run (the machine may be shared): the serial CPU
            # over the cluster's (workers + client), and the speed-up on an idle machine with one
            # core per worker, the client sharing them (its own CPU is the floor: it is serial).
            total = row["workers_cpu_s"] + row["client_cpu_s"]
            row["cpu_efficiency"] = round(min(serial_cpu) / total, 3)
            row["speedup_idle_estimate"] = round(
                min(serial_cpu) / max(total / row["workers"], row["client_cpu_s"]), 3)

        # Time per unit at a second size: recordings half as long (same channels).
        short = simulate_sessions(store, ws, n_sessions=8, duration_s=args.minutes * 30, montage=args.montage,
                                  seed=900)
        short_units = [u for u in workspace_units(store, ws) if u.session_id in {s.id for s in short}]
        per_unit_full = serial_s / len(units)
        per_unit_half = min(_per_unit_s(store, short_units, dataclasses.replace(spec, result_version=next(version)))
                            for _ in range(args.repeat))
    efficiency_min = min(r["efficiency"] for r in rows)
    return {
        "units": len(units),
        "cores": os.cpu_count(),
        "serial_s": round(serial_s, 3),
        "serial_cpu_s": round(min(serial_cpu), 3),
        "scaling": rows,
        "efficiency_min": efficiency_min,
        "speedup": rows[-1]["speedup"],
        "same_results": bool(same),
        "per_unit_s": {f"{args.minutes:g} min": round(per_unit_full, 4),
                       f"{args.minutes / 2:g} min": round(per_unit_half, 4)},
        "scaling_note": _scaling_note(args, per_unit_half, per_unit_full, efficiency_min),
        "workers_own_session": _autogroup(),
        "load_before": load_before,
        "load_after": _load(),
    }


if __name__ == "__main__":
    main()
