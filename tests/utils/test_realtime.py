"""Real-time scheduling of a live loop's threads: granted where permitted, inherited by the threads it starts,
never by the processes and writers it starts, restored after; refused cleanly where not permitted."""

import os
import subprocess
import sys
import threading

import pytest

from workbench.errors import ValidationError
from workbench.utils.realtime import (LIVE_PRIORITY, live_priority, lower_current_thread, ordinary_priority,
                                      raise_current_thread, thread_priority)

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_FIFO"), reason="Linux scheduling")


def in_thread(fn):
    """Run ``fn`` in a fresh thread (so the test's own thread keeps its scheduling); returns its result."""
    box = {}

    def run():
        try:
            box["out"] = fn()
        except BaseException as err:  # re-raised in the test
            box["err"] = err

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if "err" in box:
        raise box["err"]
    return box["out"]


def permitted() -> bool:
    def probe():
        got = raise_current_thread()
        lower_current_thread()
        return got.granted

    return in_thread(probe)


needs_rt = pytest.mark.skipif(not permitted(), reason="real-time scheduling not permitted here")


@needs_rt
def test_a_raised_thread_is_fifo_and_the_threads_it_starts_inherit_it():
    def body():
        got = raise_current_thread(LIVE_PRIORITY)
        child = in_thread(thread_priority)
        mine = thread_priority()
        lower_current_thread()
        return got, mine, child, thread_priority()

    got, mine, child, after = in_thread(body)
    assert got.granted and str(got) == f"real-time (SCHED_FIFO {LIVE_PRIORITY})" and got.level == LIVE_PRIORITY
    assert mine == child == f"SCHED_FIFO {LIVE_PRIORITY}"
    assert after == "SCHED_OTHER"


@needs_rt
def test_live_priority_restores_what_the_thread_had_and_ordinary_priority_keeps_spawns_out_of_it():
    def body():
        seen = {"before": thread_priority()}
        with live_priority(30) as got:
            seen["inside"] = thread_priority()
            with ordinary_priority():
                seen["ordinary"] = thread_priority()
                proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
                writer = in_thread(thread_priority)
            seen["spawned"] = os.sched_getscheduler(proc.pid)
            proc.kill()
            proc.wait()
            seen["writer"] = writer
            seen["back"] = thread_priority()
        seen["after"] = thread_priority()
        seen["granted"] = got.granted
        return seen

    seen = in_thread(body)
    assert seen["granted"]
    assert seen["before"] == seen["after"] == "SCHED_OTHER"
    assert seen["inside"] == seen["back"] == "SCHED_FIFO 30"
    assert seen["ordinary"] == seen["writer"] == "SCHED_OTHER"
    assert seen["spawned"] == os.SCHED_OTHER


@needs_rt
def test_a_thread_already_real_time_gets_its_own_priority_back():
    def body():
        raise_current_thread(10)
        with live_priority(25):
            inside = thread_priority()
        with live_priority(None) as kept:  # left as it is: the level it runs at, for the run's records
            pass
        after = thread_priority()
        lower_current_thread()
        return inside, after, kept.level

    assert in_thread(body) == ("SCHED_FIFO 25", "SCHED_FIFO 10", 10)


@pytest.mark.parametrize("bad", [0, 100, -1, 2.5, "20", True])
def test_a_priority_outside_the_systems_range_is_refused_naming_the_field(bad):
    with pytest.raises(ValidationError, match="real-time priority") as err:
        with live_priority(bad):
            pass
    assert repr(bad) in str(err.value) or str(bad) in str(err.value)


def test_none_leaves_the_thread_as_it_is():
    def body():
        before = thread_priority()
        with live_priority(None) as got:
            inside = thread_priority()
        return before, inside, got

    before, inside, got = in_thread(body)
    assert before == inside and not got.granted and "left as the process runs" in str(got)
    assert got.level == 0 and before == "SCHED_OTHER"


# An unprivileged user, as most sites run the workbench: refused without an rtprio limit, granted with one.
_AS_USER = """
import os, resource, sys
from workbench.utils.realtime import live_priority, thread_priority  # before: the user may not read the venv
resource.setrlimit(resource.RLIMIT_RTPRIO, (int(sys.argv[1]), int(sys.argv[1])))
os.setgid(65534); os.setuid(65534)
with live_priority(20) as got:
    print(got.granted, thread_priority(), got, got.level, sep="|")
print(thread_priority())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an unprivileged user")
@pytest.mark.parametrize("limit, granted", [(0, False), (20, True)])
def test_an_unprivileged_user_gets_real_time_only_with_an_rtprio_limit_and_is_told_how(limit, granted):
    import resource

    hard = resource.getrlimit(resource.RLIMIT_RTPRIO)[1]
    if hard != resource.RLIM_INFINITY and hard < limit:
        pytest.skip(f"this machine's hard rtprio limit is {hard} (no CAP_SYS_RESOURCE to raise it)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", _AS_USER, str(limit)], capture_output=True, text=True,
                         cwd="/", env={**os.environ, "PYTHONPATH": root}, timeout=60)
    assert out.returncode == 0, out.stderr
    first, after = out.stdout.strip().splitlines()
    ok, inside, told, level = first.split("|")
    assert ok == str(granted) and after == "SCHED_OTHER" and level == ("20" if granted else "0")
    if granted:
        assert inside == "SCHED_FIFO 20"
    else:
        assert inside == "SCHED_OTHER" and "not permitted" in told and "ulimit -r 20" in told


def test_the_switch_interval_is_set_for_the_block_and_restored_when_the_last_block_ends():
    from workbench.utils.realtime import LIVE_SWITCH_INTERVAL_S, switch_interval

    before = sys.getswitchinterval()
    with switch_interval():
        assert sys.getswitchinterval() == pytest.approx(LIVE_SWITCH_INTERVAL_S)
        with switch_interval(0.002):  # a second block in the same process keeps the shorter of the two
            assert sys.getswitchinterval() == pytest.approx(LIVE_SWITCH_INTERVAL_S)
        assert sys.getswitchinterval() == pytest.approx(LIVE_SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == pytest.approx(before)


# The CPUs' wake-up latency (PM QoS): held while the block runs, released with it, refused cleanly.
@pytest.mark.skipif(not os.access("/dev/cpu_dma_latency", os.W_OK), reason="PM QoS not writable here")
def test_the_cpu_latency_request_holds_within_the_block_and_ends_with_it():
    import struct

    from workbench.utils.realtime import PM_QOS_DEVICE, cpu_latency

    from .pm_qos import holds_cpu_latency

    with cpu_latency(0) as got:
        assert got.granted and "0 us" in str(got) and got.level == 0
        assert holds_cpu_latency()
        with open(PM_QOS_DEVICE, "rb") as f:  # the kernel's answer: the strictest request now in force
            assert struct.unpack("=i", f.read(4))[0] == 0
    assert not holds_cpu_latency()


def test_the_request_is_the_kernels_32_bit_integer_and_none_asks_nothing(tmp_path):
    import struct

    from workbench.utils.realtime import cpu_latency

    device = tmp_path / "qos"
    device.write_bytes(b"")
    with cpu_latency(25, device=str(device)) as got:
        assert got.granted and got.level == 25
    assert struct.unpack("=i", device.read_bytes()) == (25,)
    with cpu_latency(None, device=str(device)) as got:
        assert not got.granted and "not asked" in str(got) and got.level is None
    with cpu_latency(0, device=str(tmp_path / "missing")) as got:  # asked, not held: the records say None
        assert not got.granted and "not Linux" in str(got) and got.level is None


@pytest.mark.parametrize("bad", [-1, 2_000_001, 1.5, True, "0"])
def test_a_cpu_latency_outside_the_range_is_refused_naming_the_field(bad):
    from workbench.utils.realtime import cpu_latency

    with pytest.raises(ValidationError, match="CPU wake-up latency") as err:
        with cpu_latency(bad):
            pass
    assert repr(bad) in str(err.value) or str(bad) in str(err.value)


_QOS_AS_USER = """
import os
from workbench.utils.realtime import cpu_latency
os.setgid(65534); os.setuid(65534)
with cpu_latency(0) as got:
    print(got.granted, got, got.level, sep="|")
"""


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/cpu_dma_latency"),
                    reason="needs root to become an unprivileged user, and PM QoS")
def test_an_unprivileged_user_is_told_how_to_get_the_cpu_latency_request():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", _QOS_AS_USER], capture_output=True, text=True,
                         cwd="/", env={**os.environ, "PYTHONPATH": root}, timeout=60)
    assert out.returncode == 0, out.stderr
    ok, told, level = out.stdout.strip().split("|")
    assert ok == "False" and "not permitted" in told and "/dev/cpu_dma_latency" in told and level == "None"
