"""``benchmarks/soak.py`` runs a short soak end to end and reports consistent figures (no timing asserted)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from .conftest import REPO

KEYS = {"samples_lost", "false_safe_states", "decisions_saved_ratio", "rss_mb_first_min", "rss_mb_last_min",
        "latency_p99_ms_windows"}


@pytest.mark.slow
def test_a_short_soak_saves_every_decision_and_reports_every_key():
    done = subprocess.run([sys.executable, "benchmarks/soak.py", "--minutes", "0.5", "--block-minutes", "0.25",
                           "--json"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)
    assert KEYS <= set(r)
    # two blocks of closed loop with a supervised recalibration between them, as a trial day does
    assert r["blocks"] == 2 and r["recalibrations"] == 1
    assert [b["decoder"] for b in r["per_block"]] == ["v1", "v2"]
    assert all(b["recording"] == "complete" for b in r["per_block"])
    # every decision made was saved, nothing left in the writer's backlog
    assert r["decisions_made"] > 0
    assert r["decisions_saved"] == r["decisions_made"] == sum(b["saved"] for b in r["per_block"])
    assert r["decisions_backlog"] == 0 and r["decisions_saved_ratio"] == 1.0
    # the counts add up: lost samples are overruns plus counter breaks
    assert r["samples_lost"] == r["samples_lost_overruns"] + r["counter_breaks"]
    assert r["false_safe_states"] == sum(r["false_safe_states_by_rule"].values())
    # the machine's own tail was probed through every block, and set beside each false safe state
    assert 0 <= r["false_safe_states_in_machine_stalls"] <= r["false_safe_states"]
    assert all(b["machine_wakeup_p99_ms"] > 0 for b in r["per_block"])
    assert r["machine_wakeup_p99_ms"] == max(b["machine_wakeup_p99_ms"] for b in r["per_block"])
    assert r["rss_mb_first_min"] > 0 and r["rss_mb_last_min"] > 0
    # under 10 minutes: one-minute windows, each p99 over every decoder output in it (all of them timed)
    assert r["latency_window_s"] == 60.0
    assert r["outputs_timed"] == sum(b["outputs_timed"] for b in r["per_block"]) > r["commands_timed"]
    # as many windows as started minutes of closed loop: a block's time counts LabRecorder's start, which
    # may take a retry of 10 s, so 30 s of cues can reach into a second minute
    assert 1 <= len(r["latency_p99_ms_windows"]) <= math.ceil(r["closed_loop_minutes"])
    assert all(v is None or v > 0 for v in r["latency_p99_ms_windows"])
    # each window's p99 inside its own bootstrap interval; the extremes' verdict given when both have one
    assert len(r["latency_p99_ms_windows_ci95"]) == len(r["latency_p99_ms_windows"])
    for v, ci in zip(r["latency_p99_ms_windows"], r["latency_p99_ms_windows_ci95"]):
        assert ci is None or ci[0] <= v <= ci[1]
    assert r["latency_p99_extremes_apart"] in (True, False, None)
    # two blocks are too few to rank against the machine
    assert r["latency_p99_machine_rho"] is None and r["latency_p99_machine_rho_p"] is None
    # end to end is the amplifier's share and the workbench's, block by block
    for b in r["per_block"]:
        assert 0 < b["amplifier_share_p50_ms"] <= b["amplifier_share_p99_ms"] <= b["latency_p99_ms"]
    # memory per block and per recalibration: start, peak, end
    for b in r["per_block"]:
        assert 0 < b["rss_mb_start"] <= b["rss_mb_peak"] and b["rss_mb_end"] <= b["rss_mb_peak"]
    assert r["per_block"][0]["recalibration_rss_mb_peak"] >= r["per_block"][0]["recalibration_rss_mb_end"] > 0
    # the recalibration ran in its helper process, which says how much it needed
    assert r["per_block"][0]["recalibration_helper_rss_mb_peak"] > 0
    assert "recalibration_helper_rss_mb_peak" not in r["per_block"][-1], "no recalibration after the last block"
    # each block's slowest 1 %, slowest first, its shares adding up to its end to end
    for b in r["per_block"]:
        rows = b["slowest_outputs"]["outputs"]
        assert rows and [row[1] for row in rows] == sorted((row[1] for row in rows), reverse=True)
        assert all(abs(row[1] - row[2] - row[3]) < 0.01 for row in rows)
        # the amplifier's share split at the simulated amplifier's push: every output's chunk found (its own
        # part not above the share but by a preemption of the rig between push_chunk and its clock reading)
        assert all(row[4] is not None and row[4] >= 0 for row in rows)
        assert 0 < b["amplifier_own_p99_ms"] and 0 < b["lsl_delivery_p99_ms"] <= b["amplifier_share_p99_ms"] + 0.01
    assert "goals:" in done.stderr
    # every block held the CPUs' wake-up latency the same way (granted, or why not), and says so
    assert len(r["cpu_latency"]) == 1 and all(b["cpu_latency"] == r["cpu_latency"][0] for b in r["per_block"])


@pytest.mark.slow
def test_a_soak_without_the_machine_probe_still_reports_the_host_and_every_key():
    done = subprocess.run([sys.executable, "benchmarks/soak.py", "--minutes", "0.25", "--block-minutes", "0.25",
                           "--no-machine-probe", "--json"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)
    assert KEYS <= set(r) and r["blocks"] == 1 and r["machine_probe"] is False
    assert r["decisions_made"] > 0 and r["decisions_saved_ratio"] == 1.0 and r["decisions_backlog"] == 0
    # no probe, so no figure of it: None, never a 0 that reads as a machine that never stalled
    assert r["machine_wakeup_p99_ms"] is None and r["machine_stall_max_ms"] is None
    assert r["false_safe_states_in_machine_stalls"] is None
    block, = r["per_block"]
    assert block["machine_wakeup_p99_ms"] is None and block["machine_stall_max_ms"] is None
    assert block["machine_steal_percent"] is not None and block["machine_steal_percent"] >= 0  # read from /proc/stat
    assert all(v is None or v > 0 for v in r["latency_p99_ms_windows"]) and "goals:" in done.stderr


def test_soak_refuses_a_duration_it_cannot_run():
    done = subprocess.run([sys.executable, "benchmarks/soak.py", "--minutes", "-3"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--minutes -3.0" in done.stderr and "between 0.2 and 1440" in done.stderr
    assert "Traceback" not in done.stderr


def test_soak_refuses_a_cpu_latency_it_cannot_ask_for_before_it_starts():
    done = subprocess.run([sys.executable, "benchmarks/soak.py", "--cpu-latency-us", "-1"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--cpu-latency-us" in done.stderr and "'-1'" in done.stderr and "0 to 2000000" in done.stderr
    assert "Traceback" not in done.stderr and "calibration" not in done.stderr


def test_window_intervals_tell_a_moved_tail_from_sampling():
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from soak import window_p99, window_p99_ci95

    rng = np.random.default_rng(7)
    # four 60 s windows of 3,000 outputs: the first two from one distribution, the third with its slowest
    # 3 % twice as slow, the fourth with too few outputs to tell anything
    base = [rng.lognormal(0.0, 0.35, 3000) for _ in range(2)]
    moved = rng.lognormal(0.0, 0.35, 3000)
    moved[moved > np.percentile(moved, 97)] *= 2
    rows = [(60.0 * w + 60.0 * i / len(v), float(x), 0.5) for w, v in enumerate([*base, moved, np.ones(50)])
            for i, x in enumerate(v)]
    p99, ci = window_p99(rows, 0.0, 60.0, 0), window_p99_ci95(rows, 0.0, 60.0, n_resamples=500)
    assert len(ci) == 4 and ci[3] is None
    assert all(lo <= v <= hi for v, (lo, hi) in zip(p99[:3], ci[:3]))
    assert not (ci[0][0] > ci[1][1] or ci[1][0] > ci[0][1])  # the same distribution: the intervals overlap
    assert ci[2][0] > max(ci[0][1], ci[1][1])  # the tail moved: apart


def test_the_blocks_tail_is_ranked_against_the_machines_own():
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from soak import tail_follows_machine

    rng = np.random.default_rng(3)
    machine = np.round(rng.uniform(0.4, 0.7, 12) / 0.05) * 0.05  # the probe's 0.05 ms steps, with ties
    follows = [{"latency_p99_ms": 0.9 + 2.5 * m + rng.normal(0, 0.02), "machine_wakeup_p99_ms": m} for m in machine]
    rho, p = tail_follows_machine(follows)
    assert rho > 0.8 and p < 0.01
    # the same tails against a machine that did not change with them
    unrelated = [{**b, "machine_wakeup_p99_ms": m} for b, m in zip(follows, rng.permutation([0.4, 0.5] * 6))]
    rho, p = tail_follows_machine(unrelated)
    assert -1 <= rho <= 1 and (rho < 0.8 or p > 0.01)
    # too few blocks, a constant machine, or a block with no probe: nothing to rank
    assert tail_follows_machine(follows[:2]) == (None, None)
    assert tail_follows_machine([{**b, "machine_wakeup_p99_ms": 0.5} for b in follows]) == (None, None)
    assert tail_follows_machine([*follows[:2], {"latency_p99_ms": 2.0, "machine_wakeup_p99_ms": None}]) == (None, None)


def test_a_blocks_slowest_outputs_tell_a_burst_and_whose_share_it_was():
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from soak import slowest_outputs

    rng = np.random.default_rng(5)
    n = 3000
    t_stamp = np.arange(n) * 0.1
    amp = rng.uniform(0.3, 0.6, n) * 1e-3
    wb = rng.uniform(0.2, 0.4, n) * 1e-3
    burst = np.arange(1200, 1230)  # the slowest 1 %: 30 outputs in 3 s, all late at the amplifier
    amp[burst] += rng.uniform(2.0, 3.0, len(burst)) * 1e-3
    own = amp * 1e3 * np.where(np.isin(np.arange(n), burst), 0.1, 0.5)  # the burst: late in delivery
    out = slowest_outputs(t_stamp, t_stamp + amp, t_stamp + amp + wb, own)
    e2e = (amp + wb) * 1e3
    naive = sorted(range(n), key=lambda k: -e2e[k])[:10]  # the naive reference: sort every output
    assert [row[1] for row in out["outputs"]] == [round(float(e2e[k]), 3) for k in naive]
    assert all(abs(row[1] - row[2] - row[3]) < 2e-3 for row in out["outputs"])  # both shares add up
    assert out["span_s"] == round(float(t_stamp[burst[-1]] + amp[burst[-1]] + wb[burst[-1]]
                                        - t_stamp[burst[0]] - amp[burst[0]] - wb[burst[0]]), 1) <= 3.0
    assert out["amplifier_share_of_tail"] > 0.8
    assert out["amplifier_own_of_tail"] == pytest.approx(0.1)  # the simulated amplifier's own part of it
    assert [row[4] for row in out["outputs"]] == [round(float(own[k]), 3) for k in naive]
    assert slowest_outputs(*(np.empty(0),) * 3) == {"outputs": [], "span_s": None, "amplifier_share_of_tail": None,
                                                    "amplifier_own_of_tail": None}
    assert slowest_outputs(t_stamp, t_stamp + amp, t_stamp + amp + wb)["amplifier_own_of_tail"] is None
