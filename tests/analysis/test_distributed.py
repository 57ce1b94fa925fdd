"""A real distributed deployment: ``dask scheduler`` and ``dask worker`` started from the command line.

Not a LocalCluster: the scheduler and each worker are their own processes, as
on a cluster (Slurm, Kubernetes), talking TCP on loopback, and ``workbench
reanalyze --scheduler tcp://127.0.0.1:PORT`` is run as a user runs it. A
worker killed mid-run and a scheduler that disappears mid-run are the
failures a cluster sees; the results must equal a serial run's, each unit
written once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.records import Reanalysis
from workbench.records.demo import open_demo_store

from ..ports import free_port
from .test_run import assert_written_once

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
#: Units long enough (about 0.2 s of work each at 64 channels) that a kill lands mid-run.
N_SESSIONS, SESSION_S = 16, 60.0


class Deployment:
    """Scheduler and worker processes, each in its own process group, all stopped at the end."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.address = None
        self.scheduler = None

    def _start(self, *argv, name) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.procs)}.log", "wb")
        # A session of its own: the process group is killed whole at the end (a nanny's worker too),
        # and a test that fails leaves nothing running.
        proc = subprocess.Popen([str(BIN / "dask"), *argv], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=self.tmp)
        log.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> str:
        port = free_port()
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port", str(port),
                                     "--no-dashboard", name="scheduler")
        self.address = f"tcp://127.0.0.1:{port}"
        return self.address

    def start_worker(self) -> subprocess.Popen:
        # --no-nanny: the worker is the process; killing it takes it away for good, as a lost node.
        return self._start("worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                           "--no-dashboard", "--death-timeout", "60", name="worker")

    def wait_for_workers(self, n: int) -> None:
        from dask.distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(n, timeout=120)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def deployment(tmp_path):
    dep = Deployment(tmp_path)
    try:
        yield dep
    finally:
        dep.stop()
    assert all(p.poll() is not None for p in dep.procs)  # no orphan left behind


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A demo workspace with recorded sessions and the environment that acts as its investigator."""
    ws = tmp_path_factory.mktemp("distributed-ws")
    from workbench.analysis import demo_decoder, simulate_sessions

    with open_demo_store(ws, role="investigator") as store:
        simulate_sessions(store, ws, n_sessions=N_SESSIONS, duration_s=SESSION_S)
    demo_decoder(ws)
    env = dict(os.environ, WORKBENCH_HOME=str(ws), WORKBENCH_USER="demo.investigator",
               WORKBENCH_ROLE="investigator",
               WORKBENCH_PASSWORD=json.loads((ws / "keys" / "demo-accounts.json").read_text())["demo.investigator"])
    return ws, env


def _reanalyze(env, *argv) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "workbench"), "reanalyze", "--decoder", "demo", "--no-progress", *argv],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stored_count(ws: Path, version: int) -> int:
    with sqlite3.connect(f"file:{ws / 'workbench.sqlite'}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("SELECT count(*) FROM reanalyses WHERE result_version = ?", (version,)).fetchone()[0]


def _when_stored(ws, version, at_least, action, proc, timeout=300.0) -> threading.Thread:
    """Run ``action`` once ``at_least`` results of ``version`` are stored (while ``proc`` still runs)."""
    def watch():
        end = time.monotonic() + timeout
        while time.monotonic() < end and proc.poll() is None:
            try:
                if _stored_count(ws, version) >= at_least:
                    action()
                    return
            except sqlite3.OperationalError:  # the table is being written: look again
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _rows(ws, version):
    drop = {"id", "unit_key", "result_version", "parameters", "finished_at", "version"}
    with open_demo_store(ws, role="investigator") as store:
        rows = [{k: v for k, v in r.to_plain().items() if k not in drop}
                for r in store.find(Reanalysis, result_version=version)]
    return sorted(rows, key=lambda d: d["source"])


def _trail_and_stored(ws, version):
    with open_demo_store(ws, role="investigator") as store:
        return store.audit_trail(), {r.unit_key: r for r in store.find(Reanalysis, result_version=version)}


def test_a_worker_killed_mid_run_on_a_command_line_deployment(recorded, deployment):
    ws, env = recorded
    address = deployment.start_scheduler()
    victim = deployment.start_worker()
    deployment.start_worker()
    deployment.wait_for_workers(2)
    run = _reanalyze(env, "--scheduler", address, "--result-version", "11")
    killed = []

    def kill_worker():  # SIGKILL, no clean-up: as a node lost or the OOM killer
        os.kill(victim.pid, signal.SIGKILL)
        killed.append(victim.pid)

    watcher = _when_stored(ws, 11, 1, kill_worker, run)
    out, _ = run.communicate(timeout=600)
    watcher.join(timeout=5)
    assert killed, f"the run ended before a worker could be killed:\n{out}"
    assert victim.wait(timeout=30) == -signal.SIGKILL
    assert run.returncode == 0, out
    assert f"{N_SESSIONS} units: {N_SESSIONS} done, 0 failed" in out, out
    # The same results as this process alone computes, each written once.
    serial = _reanalyze(env, "--scheduler", "serial", "--result-version", "12")
    out, _ = serial.communicate(timeout=600)
    assert serial.returncode == 0, out
    assert _rows(ws, 11) == _rows(ws, 12)
    trail, stored = _trail_and_stored(ws, 11)
    assert len(stored) == N_SESSIONS
    assert_written_once(trail, stored)


def test_a_run_whose_scheduler_disappears_resumes_on_the_next_without_duplicates(recorded, deployment):
    ws, env = recorded
    deployment.start_scheduler()
    deployment.start_worker()
    deployment.wait_for_workers(1)
    run = _reanalyze(env, "--scheduler", deployment.address, "--result-version", "21")
    scheduler = deployment.scheduler
    watcher = _when_stored(ws, 21, 2, lambda: os.kill(scheduler.pid, signal.SIGKILL), run)
    out, _ = run.communicate(timeout=600)
    watcher.join(timeout=5)
    assert scheduler.wait(timeout=30) == -signal.SIGKILL, f"the run ended before the scheduler went:\n{out}"
    assert run.returncode != 0 and "lost the Dask scheduler" in out and "run the same re-analysis again" in out, out
    partial = _stored_count(ws, 21)
    assert 2 <= partial < N_SESSIONS
    # A new scheduler (another address, as after a restart elsewhere) and worker: the rest is done.
    deployment.start_scheduler()
    deployment.start_worker()
    deployment.wait_for_workers(1)
    again = _reanalyze(env, "--scheduler", deployment.address, "--result-version", "21")
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out
    assert f"{N_SESSIONS - partial} done, 0 failed, {partial} already finished (skipped)" in out, out
    trail, stored = _trail_and_stored(ws, 21)
    assert len(stored) == N_SESSIONS and all(r.status == "done" for r in stored.values())
    assert_written_once(trail, stored)
