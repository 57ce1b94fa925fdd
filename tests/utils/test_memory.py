"""The allocator settings a session process uses (glibc, Linux: this project's platform)."""

from __future__ import annotations

import subprocess
import sys

from workbench.utils.memory import SESSION_ARENAS


def test_glibc_takes_the_arena_limit_and_a_trim():
    # run in a child: the limit is process-wide and would outlive this test
    code = ("from workbench.utils.memory import limit_malloc_arenas as l, release_free_memory as r; "
            "print(l(), l(), r())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]  # accepted, and again (idempotent)
    assert SESSION_ARENAS == 2

