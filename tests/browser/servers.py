"""Start the workbench's own servers for browser tests (the dashboard, JupyterLab) and stop them.

Importable without the test session (benchmarks/lab_scope.py uses it): nothing here imports tests/conftest.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ..ports import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Return once ``url`` answers; a server ``proc`` that exits first is an error at once, with its code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:4]} exited with code {proc.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # the server answers (a 403 without the token is an answer)
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


@contextmanager
def running(cmd: list[str], url: str, *, env=None, log: Path, cwd=None, timeout: float = 60.0):
    """Run ``cmd`` in its own process group until the block ends; the log keeps its output."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        try:
            wait_http(url, timeout, proc)
            yield proc
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # this test's own server and its kernels
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextmanager
def dashboard(workspace: Path, token: str, log: Path, timeout: float = 60.0):
    """``workbench dashboard`` on a free loopback port; yields the base URL (without the token)."""
    port = free_port()
    cmd = [sys.executable, "-m", "workbench", "--workspace", str(workspace), "dashboard", "--port", str(port)]
    base = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "WORKBENCH_DASHBOARD_TOKEN": token}  # never on a command line (ps shows those)
    with running(cmd, base, env=env, log=log, cwd=REPO, timeout=timeout):
        yield base


@contextmanager
def jupyterlab(notebook_dir: Path, token: str, log: Path, env=None):
    """JupyterLab serving ``notebook_dir`` on a free loopback port, with a token; yields the base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--notebook-dir={notebook_dir}", "--LabApp.news_url=",
           "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # what `make lab` passes as root
    base = f"http://127.0.0.1:{port}/"
    with running(cmd, f"{base}api/status", env=env, log=log):
        yield base


def run_all_cells(page) -> None:
    """Once JupyterLab shows a notebook and its kernel is ready: Run > Run All Cells, as a user does."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-Toolbar-kernelStatus",
                           timeout=120_000)
    time.sleep(3)  # the kernel is ready
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_text("Run All Cells", exact=True).first.click()


def sign_in(page, user: str, password: str) -> None:
    """Sign in through the dashboard's login panel when it asks (issue 11's LoginPanel)."""
    pw = page.locator("input[type=password]")
    try:
        pw.first.wait_for(timeout=15_000)
    except Exception:  # noqa: BLE001 - no sign-in panel on this page
        return
    page.locator(".wb-dashboard-app input[type=text]").first.fill(user)
    pw.first.fill(password)
    page.locator(".wb-dashboard-app button").first.click()
