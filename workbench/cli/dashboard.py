"""``workbench dashboard``: the clinicians' Voila dashboard, on loopback, behind a token.

This process owns the Voila server and every kernel it starts: they stop
with it on SIGTERM, SIGINT (Ctrl-C) or any exit (the command is a Linux
child subreaper, so a kernel whose Voila died is still its child and is
stopped too). The token never appears on a command line, where ``ps``
shows it to every local user: it comes from ``WORKBENCH_DASHBOARD_TOKEN``
or ``--token-file`` (or is generated) and reaches Voila in a 0600 file.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..utils.signals import die_with_parent

#: The dashboard notebook shipped with the repository.
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"
#: Environment variable a token may be given in (a command line would show it in ``ps``).
TOKEN_ENV = "WORKBENCH_DASHBOARD_TOKEN"
#: Seconds Voila gets to stop its kernels itself before they are killed.
STOP_GRACE_S = 10.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help="serve the clinicians' dashboard (Voila) on loopback with a token",
                       description="Serve the clinicians' dashboard with Voila: no code shown, bound to "
                                   "127.0.0.1 unless --ip says otherwise, and refused without the token "
                                   f"(from ${TOKEN_ENV} or --token-file, else generated and printed). "
                                   "SIGTERM or Ctrl-C stops Voila and every kernel it started.")
    p.add_argument("--port", type=int, default=8866, help="TCP port (default 8866)")
    p.add_argument("--token-file", default=None, metavar="FILE",
                   help=f"file holding the access token, readable by you only (default: ${TOKEN_ENV}, "
                        "else a new random token, printed)")
    p.add_argument("--token", default=None, help=argparse.SUPPRESS)  # refused: see _token
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.set_defaults(func=run)


def voila_command(notebook: Path, *, port: int, ip: str, runtime_dir: str) -> list[str]:
    """The Voila command line (STACK.md): loopback, no code, idle kernels culled; the token comes
    from ``JUPYTER_TOKEN_FILE`` (``auto_token`` makes Voila read it), never from this line."""
    return [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
        "--Voila.auto_token=True", "--strip_sources=True", "--show_tracebacks=False",
        # The workbench's own page for a request without the token (Jupyter's talks of servers and passwords).
        "--Voila.identity_provider_class=workbench.cli._dashboard_login.WorkbenchIdentityProvider",
        # Each page load starts a ~135 MB kernel: cull the idle ones.
        "--MappingKernelManager.cull_idle_timeout=120", "--MappingKernelManager.cull_interval=30",
        # One kernel kept started with the notebook already run (the sign-in panel, nothing of any
        # user's): opening the page no longer waits for a kernel and the imports (6.3 s -> see
        # benchmarks/report.py). Voila never culls pooled kernels and refills the pool after each use.
        "--preheat_kernel=True", "--pool_size=1",
        # Kernels talk over local sockets, not TCP (the ip must be an absolute path).
        "--KernelManager.transport=ipc", f"--KernelManager.ip={os.path.join(runtime_dir, 'kernel')}",
    ]


def _token(args) -> str:
    from ..errors import Problem
    from ._checks import OptionError

    if args.token is not None:
        raise OptionError([Problem("--token", "<withheld>", f"no token on the command line (every local user sees "
                                                             f"it in ps): set ${TOKEN_ENV} or use --token-file")])
    if args.token_file is not None:
        path = Path(args.token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode & 0o077
        except (OSError, UnicodeDecodeError) as err:
            raise OptionError([Problem("--token-file", args.token_file,
                                       f"a readable file holding the token ({err.__class__.__name__})")]) from None
        if mode:
            raise OptionError([Problem("--token-file", args.token_file,
                                       f"a file only you can read (chmod 600 {path}): others can read it now")])
    else:
        token = os.environ.get(TOKEN_ENV, "").strip() or secrets.token_urlsafe(24)
    if len(token) < 16 or any(c.isspace() for c in token):
        raise OptionError([Problem("token", "<withheld>", "at least 16 characters without spaces")])
    return token


def _become_subreaper() -> None:
    """Adopt orphaned descendants (Linux PR_SET_CHILD_SUBREAPER): a kernel whose Voila died stays ours."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass  # not Linux: Voila's own shutdown still stops its kernels


def stop_all(proc: subprocess.Popen, grace: float = STOP_GRACE_S) -> None:
    """Stop Voila (it shuts its kernels down), then kill whatever of ours is left: kernels and their children."""
    import psutil

    me = psutil.Process()
    ours = me.children(recursive=True)
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    # Kernels run in sessions of their own (jupyter_client), so a process-group kill would miss them:
    # everything that was or now is below this process is stopped by pid.
    left = [p for p in {*ours, *me.children(recursive=True)} if p.is_running()]
    for p in left:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(left, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
    if proc.poll() is None:
        proc.wait()


class _Stop(Exception):
    """SIGTERM received: leave the wait and stop everything."""


def run(args: argparse.Namespace) -> int:
    from ..config import get_workspace
    from ..errors import Problem, ValidationError
    from ..records.trail.keys import write_secret

    if not NOTEBOOK.is_file():
        raise ValidationError([Problem("notebook", str(NOTEBOOK), "the dashboard notebook of a workbench checkout")],
                              what="dashboard")
    if not 0 < args.port < 65536:
        raise ValidationError([Problem("--port", args.port, "a TCP port from 1 to 65535")], what="dashboard")
    token = _token(args)
    ws = get_workspace(args.workspace)
    _become_subreaper()
    with tempfile.TemporaryDirectory(prefix="wb-voila-") as runtime:
        token_file = Path(runtime) / "token"
        write_secret(token_file, token)
        env = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, "JUPYTER_TOKEN")}
        env.update(WORKBENCH_HOME=str(ws.root),  # the kernels use the same workspace as this command
                   JUPYTER_TOKEN_FILE=str(token_file))
        cmd = voila_command(NOTEBOOK, port=args.port, ip=args.ip, runtime_dir=runtime)
        host = "127.0.0.1" if args.ip in ("0.0.0.0", "::") else args.ip
        print(f"workbench dashboard: workspace {ws.root}", flush=True)
        print(f"workbench dashboard: open http://{host}:{args.port}/?token={token}", flush=True)
        if args.ip not in ("127.0.0.1", "localhost", "::1"):
            print(f"workbench dashboard: listening on {args.ip}: reachable from other machines (token required)",
                  file=sys.stderr, flush=True)

        def on_term(signum, frame):
            raise _Stop()

        previous = signal.signal(signal.SIGTERM, on_term)
        proc = subprocess.Popen(cmd, env=env, cwd=NOTEBOOK.parent, preexec_fn=die_with_parent)
        try:
            return proc.wait()
        except _Stop:
            print("workbench dashboard: stopping (SIGTERM): Voila and its kernels", file=sys.stderr, flush=True)
            return 0
        except KeyboardInterrupt:
            print("workbench dashboard: stopping (Ctrl-C): Voila and its kernels", file=sys.stderr, flush=True)
            raise
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
            try:
                stop_all(proc)
            finally:
                signal.signal(signal.SIGTERM, previous)
