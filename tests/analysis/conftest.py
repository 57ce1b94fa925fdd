"""A study workspace with simulated recorded sessions and the demo decoder, made once per module."""

from __future__ import annotations

import dataclasses
import json

import pytest

from workbench.analysis import AnalysisSpec, demo_decoder, simulate_sessions, workspace_units
from workbench.records.demo import open_demo_store

#: Short sessions keep the suite modest on 2 cores: 12 s hold two complete rest/grasp/open cycles.
SESSION_S = 12.0


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """(workspace, units, spec): 20 simulated sessions of the demo study and the demo decoder."""
    ws = tmp_path_factory.mktemp("reanalysis-ws")
    with open_demo_store(ws, role="investigator") as store:
        simulate_sessions(store, ws, n_sessions=20, duration_s=SESSION_S)
        units = workspace_units(store, ws)
    spec = AnalysisSpec.from_files(demo_decoder(ws, seconds=60.0))
    return ws, units, spec


def open_store(ws):
    return open_demo_store(ws, role="investigator")


def comparable(result) -> dict:
    """A unit result without what names the run (key): what must match between two paths."""
    out = dataclasses.asdict(result)
    out.pop("key")
    return json.loads(json.dumps(out, default=str))
