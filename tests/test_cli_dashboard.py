"""``workbench dashboard`` owns Voila and its kernels, keeps its token out of ``ps``, answers without it clearly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from .ports import free_port
from .conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _wait(condition, what: str, timeout: float = 180.0):
    """Until ``condition()`` is truthy (a loaded machine may take long: the limit is generous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s")


def _get(url: str, timeout: float = 120.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback)
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def _answers(url: str):
    try:
        return _get(url, timeout=10)
    except OSError:
        return None


def _kernels(proc: psutil.Process) -> list[psutil.Process]:
    out = []
    for p in proc.children(recursive=True):
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.fixture
def started(workspace, tmp_path):
    token = "wb-test-" + os.urandom(12).hex()
    port = free_port()
    env = {**os.environ, "WORKBENCH_DASHBOARD_TOKEN": token}
    log = open(tmp_path / "dashboard.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "dashboard",
                             "--port", str(port)], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        me = psutil.Process(proc.pid)
        base = f"http://127.0.0.1:{port}/"
        _wait(lambda: _answers(base), "the dashboard answers")
        _wait(lambda: _kernels(me), "Voila's pre-run kernel starts")
        yield proc, me, base, token
    finally:
        if proc.poll() is None:  # the test failed before stopping it: clean up its process tree
            tree = me.children(recursive=True)
            proc.kill()
            for p in tree:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            proc.wait()
        log.close()


def test_sigterm_stops_voila_and_every_kernel_and_the_token_is_never_on_a_command_line(started):
    proc, me, base, token = started
    tree = me.children(recursive=True)
    assert any("voila" in " ".join(p.cmdline()) for p in tree) and _kernels(me)
    for p in psutil.process_iter(["cmdline"]):
        assert token not in " ".join(p.info["cmdline"] or ()), p.info["cmdline"]
    status, _ = _get(f"{base}?token={token}")
    assert status == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0
    survivors = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], [p.cmdline() for p in survivors]


def test_a_request_without_the_token_gets_the_workbenchs_own_page(started):
    _, _, base, token = started
    status, page = _get(base)
    assert status == 403
    assert "BCI workbench dashboard" in page and "access link" in page
    assert "jupyter server list" not in page.lower() and "Setup a Password" not in page
    assert token not in page


def test_a_token_on_the_command_line_or_in_a_readable_file_is_refused(workspace, tmp_path):
    cmd = [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "dashboard"]
    out = subprocess.run([*cmd, "--token", "x" * 20], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "WORKBENCH_DASHBOARD_TOKEN" in out.stderr
    shared = tmp_path / "token"
    shared.write_text("y" * 24)
    shared.chmod(0o644)
    out = subprocess.run([*cmd, "--token-file", str(shared)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "chmod 600" in out.stderr


def test_enter_in_the_password_field_signs_in(workspace):
    from workbench.records.demo import DEMO_USERS, demo_passwords, open_demo_store
    from workbench.ui.dashboard import dashboard_app

    open_demo_store(workspace.root, role="monitor").close()
    app = dashboard_app(workspace.root)
    user, password = app.children[0].children[:2]
    user.value = DEMO_USERS["monitor"]
    password.value = demo_passwords(workspace.root)[DEMO_USERS["monitor"]]
    # What the browser sends when Enter is pressed in the field (ipywidgets' text view).
    password.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"event": "submit"}}}, "buffers": []})
    assert "wb-dashboard" in app.children[0]._dom_classes
    # The sign-in panel is closed, not only hidden: its fields are gone from the kernel and the page.
    assert user.comm is None and password.comm is None and password.value == ""
