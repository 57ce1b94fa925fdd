"""Kernels import numpy and numba only (STYLE.md: imports point down)."""

import ast

from tests.conftest import REPO

ALLOWED = {"numpy", "numba", "__future__"}


def test_kernels_import_only_numpy_numba_and_the_jit_wrapper():
    files = sorted((REPO / "workbench" / "decoding" / "kernels").glob("*.py"))
    assert len(files) >= 8
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.split(".")[0] not in ALLOWED]
                assert not bad, f"{f.name} imports {bad}"
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                ok = node.level > 0 and (mod in ("utils._jit",) or node.level == 1)
                ok = ok or mod.split(".")[0] in ALLOWED
                assert ok, f"{f.name} imports from {'.' * node.level}{mod}"
