"""A live session loads a saved decoder and decodes without loading scikit-learn.

scikit-learn (with the scipy.stats and pandas it imports) costs about a second
of start-up, more than the rest of a warm start; the estimators carry their own
parameter handling (``workbench/decoding/_base.py``) and import it only to fit.
"""

import subprocess
import sys

import numpy as np
import pytest

from workbench.decoding import MDM, Covariances, Decoder, IIRFilter, LogisticRegression, TangentSpace

SESSION = """
import sys
import numpy as np
from workbench.decoding import load_decoder
online = load_decoder({fname!r}).online()
online.warm(23)
out = online.update(np.load({chunk!r}))
assert len(out), "no output"
print(sorted(m for m in ("sklearn", "pyriemann", "scipy.signal", "pandas") if m in sys.modules))
"""


def _session_imports(fname, chunk, tmp_path):
    np.save(tmp_path / "chunk.npy", chunk)
    code = SESSION.format(fname=str(fname), chunk=str(tmp_path / "chunk.npy"))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip().splitlines()[-1]


def test_loading_and_running_a_saved_csp_decoder_imports_no_sklearn(csp_decoder, eegmmidb_runs, tmp_path):
    fname = csp_decoder.save(tmp_path / "csp.npz")
    assert _session_imports(fname, eegmmidb_runs[2].data[:400], tmp_path) == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", [lambda: [TangentSpace(), LogisticRegression()], lambda: [Covariances(), MDM()]],
                         ids=["ts_lr", "mdm"])
def test_loading_and_running_a_saved_riemannian_decoder_imports_no_sklearn(pipeline, eegmmidb_runs, tmp_path):
    runs = eegmmidb_runs[:2]
    sf = runs[0].sfreq
    dec = Decoder([IIRFilter(8.0, 30.0, sfreq=sf)], pipeline(), sfreq=sf, ch_names=runs[0].ch_names,
                  window=161, step=23)
    dec.fit([r.data for r in runs], [r.onsets + 320 for r in runs], np.concatenate([r.labels for r in runs]))
    fname = dec.save(tmp_path / "riemann.npz")
    assert _session_imports(fname, eegmmidb_runs[2].data[:400], tmp_path) == "[]"
