"""Whether this process holds a CPU wake-up latency request: for tests that a block lets it go."""

import os

from workbench.utils.realtime import PM_QOS_DEVICE


def holds_cpu_latency(device: str = PM_QOS_DEVICE) -> bool:
    """True while this process has ``device`` open (the request lasts as long; Linux ``/proc``)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == device:
                return True
        except OSError:  # the listing's own descriptor, closed meanwhile
            pass
    return False
