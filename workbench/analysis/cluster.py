"""Where units run: in this process, on a local Dask cluster, or on any Dask scheduler.

Nothing of the workbench's own is in the scheduling: a unit is a plain
function call submitted with ``Client.map``, so any Dask deployment
(``LocalCluster``, dask-jobqueue on Slurm/PBS, dask-kubernetes, Coiled) runs
it unchanged. The workbench only needs the scheduler's address.
"""

from __future__ import annotations

import logging

from ..errors import Problem, ValidationError

#: Seconds to wait for a scheduler to answer before saying it does not.
CONNECT_TIMEOUT_S = 10.0


def local_client(n_workers: int = 2, *, dashboard: bool = True):
    """A ``LocalCluster`` of ``n_workers`` single-threaded processes and its client.

    One thread per process: the units are numpy/numba work that holds the GIL
    in parts, and processes keep one unit's memory out of the others'.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValidationError([Problem("workers", n_workers, "an integer >= 1")], what="local cluster")
    # Dask's statistical profiler samples every task's stack every 10 ms; on the units here it
    # cost about 10% of the workers' CPU (benchmarks/reanalyze.py, cpu_s). The dashboard's task
    # stream and progress do not need it.
    # Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 in every worker; glibc then stops raising
    # its mmap threshold, so every array of a unit (15 MB for 2 min at 64 ch) is a fresh mmap
    # whose pages fault in again: 3x the page faults and 15-20 % more worker CPU per unit than
    # the same units in a plain process (measured, issue 20). A worker runs one unit at a time,
    # so keeping the freed memory of the last unit for the next costs one unit's peak.
    with dask.config.set({"distributed.worker.profile.enabled": False,
                          "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0" if dashboard else None, silence_logs=logging.ERROR)
    return Client(cluster)


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A client of the running scheduler at ``address``; a clear error if it does not answer in time."""
    from dask.distributed import Client

    if not isinstance(address, str) or "://" not in address:
        raise ValidationError([Problem("--scheduler", address, "a scheduler address such as tcp://host:8786")],
                              what="Dask scheduler")
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as err:
        raise ValidationError(
            [Problem("--scheduler", address, f"the address of a running Dask scheduler that answers within "
                     f"{timeout:g} s ({type(err).__name__}: {' '.join(str(err).split())[:200]})")],
            what="Dask scheduler",
        ) from None


def close_client(client) -> None:
    """Close a client and, for a local cluster we started, the cluster too."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()
