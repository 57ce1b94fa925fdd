"""Re-analyse a set of units as a Dask graph, resumably, writing each result once.

``reanalyze`` skips units whose results are stored already (finished units
are never recomputed; failed ones run again), submits the rest as one task
per unit with a key derived from the unit, and writes every result as it
arrives. A worker that dies takes its running units with it; the scheduler
runs them again elsewhere (Dask's ``allowed-failures``), and since results
are written here, once, from the arriving result, nothing is written twice.
A unit that keeps killing workers is recorded as failed with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..errors import Problem, ValidationError, WorkbenchError
from .compute import UnitResult, analyse_unit
from .results import stored_results, write_results
from .spec import AnalysisSpec
from .units import WorkUnit, link_units

PROGRESS = (None, "bar", "widget")


@dataclass
class ReanalysisReport:
    """What a run did: counts, the results it computed now, and where to watch it."""

    units: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    duplicates: int = 0
    results: list = field(default_factory=list)
    dashboard_link: str | None = None

    def summary(self) -> str:
        text = (f"{self.units} units: {self.done} done, {self.failed} failed, "
                f"{self.skipped} already finished (skipped)")
        return text + (f", {self.duplicates} already written by another run" if self.duplicates else "")


def reanalyze(store, units: Sequence[WorkUnit], spec: AnalysisSpec, *, scheduler: str | None = None,
              client=None, workers: int = 2, progress: str | None = None,
              on_result: Callable[[UnitResult], None] | None = None,
              connect_timeout: float = 10.0) -> ReanalysisReport:
    """Analyse every unit not finished yet and write its results through ``store``.

    Parameters
    ----------
    store : workbench.records.Store
        An authenticated store; results are written as its user.
    units : sequence of WorkUnit
        From :func:`workspace_units` or :func:`bids_units`.
    spec : AnalysisSpec
    scheduler : None | "serial" | address
        None starts a ``LocalCluster`` of ``workers`` processes; ``"serial"``
        runs in this process (the reference path); ``tcp://host:8786`` uses
        a running scheduler.
    client : dask.distributed.Client, optional
        An existing client (a notebook's); overrides ``scheduler``.
    progress : None | "bar" | "widget"
        A tqdm bar on the terminal, or Dask's progress widget in a notebook.
    on_result : callable, optional
        Called with each result after it is written.
    connect_timeout : float
        Seconds a scheduler at ``scheduler`` has to answer.
    """
    problems = []
    if progress not in PROGRESS:
        problems.append(Problem("progress", progress, "None, 'bar' or 'widget'"))
    if not isinstance(spec, AnalysisSpec):
        problems.append(Problem("spec", type(spec).__name__, "an AnalysisSpec"))
    bad = [i for i, u in enumerate(units) if not isinstance(u, WorkUnit)]
    problems += [Problem(f"units[{i}]", type(units[i]).__name__, "a WorkUnit") for i in bad[:5]]
    if problems:
        raise ValidationError(problems, what="reanalyze")
    units = link_units(store, units)
    _check_account_scope(store, units)
    report = ReanalysisReport(units=len(units))
    stored = stored_results(store, spec)
    todo, seen = [], set()
    for u in units:
        key = spec.unit_key(u.identity)
        if key in seen or (key in stored and stored[key].status == "done"):
            report.skipped += 1
        else:
            todo.append(u)
        seen.add(key)

    stored_ids = frozenset(r.id for r in stored.values())

    def record(results: list[UnitResult]) -> None:
        for result, outcome in zip(results, write_results(store, results, spec, stored_ids)):
            report.results.append(result)
            if outcome == "duplicate" and result.status == "done":
                report.duplicates += 1
            elif result.status == "done":
                report.done += 1
            else:
                report.failed += 1
            if on_result is not None:
                on_result(result)

    if not todo:
        return report
    if client is None and scheduler == "serial":
        bar = _bar(len(todo), progress)
        for u in todo:
            record([analyse_unit(u, spec)])
            bar.update()
        bar.close()
        return report
    from .cluster import close_client, connect, local_client

    own = client is None
    if own:
        client = local_client(workers) if scheduler is None else connect(scheduler, connect_timeout)
    try:
        report.dashboard_link = _dashboard(client)
        if progress == "bar" and report.dashboard_link:
            print(f"Dask dashboard: {report.dashboard_link}")
        _run_on(client, todo, spec, record, progress)
    finally:
        if own:
            close_client(client)
    return report


def _check_account_scope(store, units) -> None:
    """A site-restricted account writes results only on its own site's sessions.

    The store refuses anything else (``Store._check_sites``); refusing before
    the run starts says which units, instead of stopping at the first write.
    """
    site = store.user.site_id
    if site is None:
        return
    outside = [u for u in units if u.session_id is None]  # links to sessions it cannot see are dropped
    if outside:
        shown = "; ".join(u.label or u.identity for u in outside[:5]) + (" ..." if len(outside) > 5 else "")
        raise ValidationError([Problem("units", f"{len(outside)} of {len(units)}",
                                       f"recordings of sessions at site {site!r}, the site of user "
                                       f"{store.user.name!r}; not linked to one of them: {shown}")],
                              what="reanalyze")


def _run_on(client, todo, spec, record, progress) -> None:
    from dask.distributed import CancelledError, as_completed

    # Keys from the unit: the same unit submitted twice is one task, and the
    # dashboard names each task after its unit.
    keys = [f"reanalyze-{spec.unit_key(u.identity)[:16]}-v{spec.result_version}" for u in todo]
    spec_future = client.scatter(spec, broadcast=True)  # the decoder bytes travel once per worker
    futures = client.map(analyse_unit, todo, [spec_future] * len(todo), key=keys, pure=False)
    unit_of = {f.key: u for f, u in zip(futures, todo)}
    if progress == "widget":
        from dask.distributed import progress as dask_progress

        dask_progress(futures, notebook=True)
    bar = _bar(len(todo), progress if progress == "bar" else None)
    written = 0
    # Every result that has arrived while the last batch was written goes into one transaction:
    # the batches grow by themselves when the client falls behind, and stay single results when
    # it keeps up (issue 20: one transaction per result held 16 workers to the speed of 8).
    for batch in as_completed(futures).batches():
        results = []
        for future in batch:
            unit = unit_of[future.key]
            try:
                results.append(future.result())
            except CancelledError:
                raise _scheduler_lost(client, written, len(todo)) from None
            except Exception as err:  # noqa: BLE001 - a unit that killed its workers; the run goes on
                results.append(UnitResult(unit, spec.unit_key(unit.identity), "failed",
                                          error=f"{type(err).__name__}: {' '.join(str(err).split())[:2000]}"))
        record(results)
        written += len(results)
        for future in batch:
            future.release()
        bar.update(len(results))
    bar.close()


def _scheduler_lost(client, written: int, total: int) -> WorkbenchError:
    """The scheduler went away: what is stored stays, and the next run resumes from it."""
    address = getattr(client.scheduler, "address", None) or "the scheduler"
    return WorkbenchError(f"lost the Dask scheduler at {address} after {written} of {total} units; the "
                          f"{written} results are stored, run the same re-analysis again to finish the rest "
                          "(finished units are skipped)")


def _bar(total: int, progress: str | None):
    from tqdm import tqdm

    return tqdm(total=total, unit="unit", desc="reanalyze", disable=progress != "bar")


def _dashboard(client) -> str | None:
    try:
        return client.dashboard_link
    except (KeyError, AttributeError):  # a scheduler without the dashboard (bokeh missing there)
        return None
