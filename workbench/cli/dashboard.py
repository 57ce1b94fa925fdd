"""``workbench dashboard``: the clinicians' Voila dashboard, on loopback, behind a token."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

#: The dashboard notebook shipped with the repository.
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help="serve the clinicians' dashboard (Voila) on loopback with a token",
                       description="Serve the clinicians' dashboard with Voila: no code shown, bound to "
                                   "127.0.0.1 unless --ip says otherwise, and refused without the token "
                                   "(generated and printed unless given with --token).")
    p.add_argument("--port", type=int, default=8866, help="TCP port (default 8866)")
    p.add_argument("--token", default=None, help="the access token (default: a new random one, printed)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.set_defaults(func=run)


def voila_command(notebook: Path, *, port: int, token: str, ip: str, runtime_dir: str) -> list[str]:
    """The Voila command line (STACK.md): token, loopback, no code, idle kernels culled."""
    return [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
        f"--token={token}", "--strip_sources=True", "--show_tracebacks=False",
        # Each page load starts a ~135 MB kernel: cull the idle ones.
        "--MappingKernelManager.cull_idle_timeout=120", "--MappingKernelManager.cull_interval=30",
        # One kernel kept started with the notebook already run (the sign-in panel, nothing of any
        # user's): opening the page no longer waits for a kernel and the imports (6.3 s -> see
        # benchmarks/report.py). Voila never culls pooled kernels and refills the pool after each use.
        "--preheat_kernel=True", "--pool_size=1",
        # Kernels talk over local sockets, not TCP (the ip must be an absolute path).
        "--KernelManager.transport=ipc", f"--KernelManager.ip={os.path.join(runtime_dir, 'kernel')}",
    ]


def run(args: argparse.Namespace) -> int:
    from ..config import get_workspace
    from ..errors import Problem, ValidationError

    if not NOTEBOOK.is_file():
        raise ValidationError([Problem("notebook", str(NOTEBOOK), "the dashboard notebook of a workbench checkout")],
                              what="dashboard")
    if not 0 < args.port < 65536:
        raise ValidationError([Problem("--port", args.port, "a TCP port from 1 to 65535")], what="dashboard")
    token = args.token or secrets.token_urlsafe(24)
    ws = get_workspace(args.workspace)
    env = {**os.environ, "WORKBENCH_HOME": str(ws.root)}  # the kernels use the same workspace as this command
    with tempfile.TemporaryDirectory(prefix="wb-voila-") as runtime:
        cmd = voila_command(NOTEBOOK, port=args.port, token=token, ip=args.ip, runtime_dir=runtime)
        host = "127.0.0.1" if args.ip in ("0.0.0.0", "::") else args.ip
        print(f"workbench dashboard: workspace {ws.root}", flush=True)
        print(f"workbench dashboard: open http://{host}:{args.port}/?token={token}", flush=True)
        if args.ip not in ("127.0.0.1", "localhost", "::1"):
            print(f"workbench dashboard: listening on {args.ip}: reachable from other machines (token required)",
                  file=sys.stderr, flush=True)
        proc = subprocess.Popen(cmd, env=env, cwd=NOTEBOOK.parent)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait(timeout=10)
            raise
