"""The three install routes (make's lock, pyproject, conda) pin the same versions."""

from __future__ import annotations

import re
import tomllib

from .conftest import REPO


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.strip().lstrip("- ").strip()
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[a-z,]+\])?==([^\s;#]+)", line)
        if m:
            pins[_norm(m.group(1))] = m.group(3)
    return pins


def test_pyproject_lock_and_environment_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    declared = _pins(direct)
    assert len(declared) == len(direct), "every direct dependency must be pinned with =="
    lock = _pins((REPO / "requirements.lock").read_text().splitlines())
    env = _pins((REPO / "environment.yml").read_text().splitlines())
    for name, version in declared.items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, requirements.lock {lock.get(name)}"
        assert env.get(name) == version, f"{name}: pyproject {version}, environment.yml {env.get(name)}"
    assert set(env) == set(declared), "environment.yml lists exactly the direct dependencies"


def test_required_stack_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"])
    for name in ("jupyterlab", "ipywidgets", "numpy", "pandas", "mne", "plotly", "voila", "pylsl", "numba"):
        assert name in declared, f"{name} is part of the required stack"
