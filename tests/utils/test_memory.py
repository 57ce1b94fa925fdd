"""The allocator settings a session process uses (glibc, Linux: this project's platform)."""

from __future__ import annotations

import subprocess
import sys

from workbench.utils.memory import SESSION_ARENAS, settle_heap


def test_glibc_takes_the_arena_limit_and_a_trim():
    # run in a child: the limit is process-wide and would outlive this test
    code = ("from workbench.utils.memory import limit_malloc_arenas as l, release_free_memory as r; "
            "print(l(), l(), r())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]  # accepted, and again (idempotent)
    assert SESSION_ARENAS == 2



def test_a_settled_heap_leaves_what_lived_before_out_of_full_collections():
    import gc

    class Node:
        pass

    before = Node()
    before.cycle = before  # a cycle alive at settle time, held by this frame
    try:
        frozen = settle_heap()
        assert frozen == gc.get_freeze_count() > 0
        # what lived then is in the permanent generation: no collection walks it
        assert not any(o is before for o in gc.get_objects())
        after = Node()
        after.cycle = after
        assert any(o is after for o in gc.get_objects())  # made later: collected as usual
        garbage = Node()
        garbage.cycle = garbage
        del garbage
        assert gc.collect() >= 1  # later cycles are still found and freed
    finally:
        gc.unfreeze()  # the test process goes on as before
    assert any(o is before for o in gc.get_objects())
